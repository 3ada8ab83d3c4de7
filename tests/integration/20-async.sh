#!/usr/bin/env bash
# The async channel: store and forward. A message is committed before the
# sender hears ON_DELIVERY; it reaches a recipient that is down when it comes
# back; a receiver that crashes between applying and acknowledging sees it
# again and applies it once; the gateway killed with -9 mid-flight loses
# nothing; rejections, expiry and routing errors each have their status.
source "$(dirname "$0")/common.sh"
it_setup shep sink
# This test plays every part: its own participants, egovctl sending to them
it_rights_clear
it_grant 'box provide test.box' 'box route 750000000' 'egovctl send * *' 'egovctl log' 'egovctl fault'
it_admit crashy burst picky
it_start_gateway --redeliver 1000
ctl() { "$EGOV_BIN/egovctl" "$@"; }
applied() { it_psql sink -Atc "SELECT count(*) FROM inbox WHERE receiver_id = '$1'"; }
statuses() { it_psql shep -Atc "SELECT status || ':' || count(*) FROM async_message WHERE recipient_id = '$1' GROUP BY status ORDER BY 1" | tr '\n' ' '; }

# A recipient must have connected once to be addressed
check_output "an unknown recipient is refused" 'UNKNOWN_RECIPIENT' ctl send --to nobody --text hi
check_output "an unknown route is refused" 'NO_ROUTE' ctl send --route 999999999 --text hi
check_output "an unserved service is refused" 'NO_PROVIDER' ctl send --service no.such.service --text hi

# Recipient down: messages wait, then arrive, each applied once
egov_start box "$EGOV_BIN/shep-sink" --id box --service test.box --route 750000000 --db "$(it_db sink)"
egov_wait_for it_connected box
egov_kill box TERM
egov_wait_for it_gone box
ids=$(ctl send --to box --text "while you were away" --count 50 | cut -d' ' -f1)
check_output "50 messages to a recipient that is down are accepted" '^50$' bash -c "echo '$ids' | grep -c ."
check_output "... and wait ON_DELIVERY" 'ON_DELIVERY:50' statuses box
first=$(echo "$ids" | head -n 1)
check_output "the sender can ask a message's status" 'ON_DELIVERY' ctl status "$first"
egov_start box "$EGOV_BIN/shep-sink" --id box --service test.box --route 750000000 --db "$(it_db sink)"
egov_wait_for it_query_is sink "SELECT count(*) FROM inbox WHERE receiver_id = 'box'" 50
check_output "the recipient back gets all 50" '^50$' applied box
egov_wait_for it_query_is shep "SELECT count(*) FROM async_message WHERE recipient_id = 'box' AND status = 'DELIVERED'" 50
check_output "... and all are DELIVERED" 'DELIVERED:50' statuses box
check_output "status shows DELIVERED with the recipient" 'DELIVERED.*box|box.*DELIVERED' bash -c "'$EGOV_BIN/egovctl' status $first | tr '\n' ' '"

# Routing by route id reaches the participant serving the region
check_output "a message by route id (KATO) reaches the region's participant" 'ON_DELIVERY' \
    ctl send --route 750000000 --text "to the region"
egov_wait_for it_query_is sink "SELECT count(*) FROM inbox WHERE receiver_id = 'box'" 51
check_output "... and is applied there" '^51$' applied box
egov_kill box TERM

# A receiver that crashes after applying, before acknowledging
egov_start crashy "$EGOV_BIN/shep-sink" --id crashy --db "$(it_db sink)" --crash-after 5
egov_wait_for it_connected crashy
ctl send --to crashy --text "apply me once" --count 20 >/dev/null
egov_wait_for bash -c "! kill -0 $(egov_pid crashy) 2>/dev/null"
check_output "the receiver crashed after applying 5" '^5$' applied crashy
egov_start crashy2 "$EGOV_BIN/shep-sink" --id crashy --db "$(it_db sink)"
egov_wait_for it_query_is shep "SELECT count(*) FROM async_message WHERE recipient_id = 'crashy' AND status = 'DELIVERED'" 20
check_output "after restart every message is DELIVERED" 'DELIVERED:20' statuses crashy
check_output "... each applied exactly once (20 rows, no duplicates)" '^20$' applied crashy
check_output "the unacknowledged one was delivered again and recognised" 'duplicate' cat "$(egov_log crashy2)"
egov_kill crashy2 TERM

# The gateway killed with -9 while messages are in flight, then restarted
egov_start burst "$EGOV_BIN/shep-sink" --id burst --db "$(it_db sink)"
egov_wait_for it_connected burst
ctl send --to burst --text "in flight" --count 3000 > "$EGOV_TEST_DIR/burst.ids" 2>&1 &
sender=$!
sleep 0.3
egov_kill shep KILL
sleep 0.5
it_start_gateway --redeliver 1000
wait $sender
confirmed=$(grep -c ' ON_DELIVERY$' "$EGOV_TEST_DIR/burst.ids" || true)
check_output "the sender had confirmations before the crash" '^[1-9][0-9]*$' echo "$confirmed"
egov_wait_for it_query_is shep "SELECT count(*) FROM async_message WHERE recipient_id = 'burst' AND status <> 'DELIVERED'" 0
missing=$(grep ' ON_DELIVERY$' "$EGOV_TEST_DIR/burst.ids" | cut -d' ' -f1 | while read -r id; do
    it_psql sink -Atc "SELECT 1 FROM inbox WHERE message_id = '$id'" | grep -q 1 || echo "$id"; done | wc -l)
check_output "every confirmed message was applied after the restart (nothing lost)" '^0$' echo "$missing"
check_output "no message was applied twice" '^0$' it_psql sink -Atc \
    "SELECT count(*) FROM (SELECT message_id FROM inbox GROUP BY message_id HAVING count(*) > 1) twice"
egov_kill burst TERM

# A receiver that rejects: DELIVERY_STOPPED with the reason
egov_start picky "$EGOV_BIN/shep-sink" --id picky --db "$(it_db sink)" --reject-type text/plain
egov_wait_for it_connected picky
rejected=$(ctl send --to picky --text "not for me" | cut -d' ' -f1)
egov_wait_for bash -c "'$EGOV_BIN/egovctl' status $rejected | grep -q DELIVERY_STOPPED"
check_output "a rejected message is DELIVERY_STOPPED with the reason" 'DELIVERY_STOPPED|UNPROCESSABLE' ctl status "$rejected"
egov_kill picky TERM

# A message nobody picks up within its time to live: NOT_DELIVERED
expired=$(ctl send --to box --ttl 500 --text "too late" | cut -d' ' -f1)
egov_wait_for bash -c "'$EGOV_BIN/egovctl' status $expired | grep -q NOT_DELIVERED"
check_output "a message past its time to live is NOT_DELIVERED" 'NOT_DELIVERED' ctl status "$expired"
check_exit "an unknown message id is 'not found' (exit 3)" 3 ctl status 00000000-0000-4000-8000-000000000000

# Faults on the async channel: stopped with a code, an attempt lost, an attempt held
egov_start box "$EGOV_BIN/shep-sink" --id box --service test.box --route 750000000 --db "$(it_db sink)"
egov_wait_for it_connected box
ctl fault add --participant box --error RECIPIENT_DOWN --times 1 >/dev/null
stopped=$(ctl send --to box --text "stopped by a fault" | cut -d' ' -f1)
egov_wait_for bash -c "'$EGOV_BIN/egovctl' status $stopped | grep -q DELIVERY_STOPPED"
check_output "an --error fault stops a delivery with its code, as a rejecting recipient would" \
    'DELIVERY_STOPPED.*RECIPIENT_DOWN' bash -c "'$EGOV_BIN/egovctl' status $stopped | tr '\n' ' '"
check_output "... the recipient never saw it" '^0$' it_psql sink -Atc "SELECT count(*) FROM inbox WHERE message_id = '$stopped'"
ctl fault add --participant box --drop 100 --times 1 >/dev/null
dropped=$(ctl send --to box --text "lost once" | cut -d' ' -f1)
egov_wait_for it_query_is sink "SELECT count(*) FROM inbox WHERE message_id = '$dropped'" 1
check_output "a --drop fault loses an attempt: the redelivery timer's next one arrives" '^2$' \
    it_psql sink -Atc "SELECT attempt FROM inbox WHERE message_id = '$dropped'"
ctl fault clear >/dev/null
ctl fault add --participant box --delay 2500 --times 1 >/dev/null
held=$(ctl send --to box --text "held a while" | cut -d' ' -f1)
egov_wait_for it_query_is sink "SELECT count(*) FROM inbox WHERE message_id = '$held'" 1
accepted=$(it_psql shep -Atc "SELECT extract (epoch FROM accepted_at) FROM async_message WHERE message_id = '$held'")
applied_at=$(it_psql sink -Atc "SELECT extract (epoch FROM received_at) FROM inbox WHERE message_id = '$held'")
attempt=$(it_psql sink -Atc "SELECT attempt FROM inbox WHERE message_id = '$held'")
check_output "a --delay fault holds the delivery at least that long, then it goes on (attempt 1)" '^yes 1$' \
    awk "BEGIN { print (($applied_at - $accepted >= 2.5) ? \"yes\" : \"no\"), $attempt }"
check_output "every fault on a delivery is in the message log" \
    'fault [0-9]+: RECIPIENT_DOWN.*fault [0-9]+: dropped attempt 1.*fault [0-9]+: held 2500 ms' \
    bash -c "'$EGOV_BIN/egovctl' log --participant box | tr '\n' ' '"
egov_kill box TERM

# The database refusing a commit (not a lost connection): the acknowledgements and log
# records it held go into a later one, and their messages end DELIVERED without the
# recipient having to come back
# waiting_for_box TEXT: sends box, down, ten messages; id_list: their ids as a SQL list
waiting_for_box() {
    egov_start box "$EGOV_BIN/shep-sink" --id box --service test.box --route 750000000 --db "$(it_db sink)"
    egov_wait_for it_connected box
    egov_kill box TERM
    egov_wait_for it_gone box
    id_list=$(ctl send --to box --text "$1" --count 10 | cut -d' ' -f1 | sed "s/.*/'&'/" | paste -sd,)
}
waiting_for_box "acknowledged while the database refuses"
it_psql shep -q <<'SQL'
CREATE TABLE refuse_updates (since timestamptz DEFAULT now ());
CREATE FUNCTION refuse_update () RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM refuse_updates) THEN
        RAISE EXCEPTION 'updates refused for the test';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER refuse_update BEFORE UPDATE ON async_message FOR EACH ROW EXECUTE FUNCTION refuse_update ();
INSERT INTO refuse_updates DEFAULT VALUES;
SQL
egov_start box "$EGOV_BIN/shep-sink" --id box --service test.box --route 750000000 --db "$(it_db sink)"
egov_wait_for it_query_is sink "SELECT count(*) FROM inbox WHERE message_id IN ($id_list)" 10
egov_wait_for grep -q "updates refused for the test" "$(egov_log shep)"
sleep 1
check_output "while the database refuses the commit, the 10 acknowledged messages stay ON_DELIVERY" \
    '^10$' it_psql shep -Atc "SELECT count(*) FROM async_message WHERE message_id IN ($id_list) AND status = 'ON_DELIVERY'"
it_psql shep -qc "DELETE FROM refuse_updates"
egov_wait_for it_query_is shep "SELECT count(*) FROM async_message WHERE message_id IN ($id_list) AND status = 'DELIVERED'" 10
check_output "once it takes them again, all 10 are DELIVERED, the recipient still connected" 'DELIVERED:10 ' \
    bash -c "it_psql shep -Atc \"SELECT status || ':' || count(*) FROM async_message WHERE message_id IN ($id_list) GROUP BY status\" | tr '\n' ' '"
check_output "... each delivered once, no attempt made again" '^10$' \
    it_psql sink -Atc "SELECT count(*) FROM inbox WHERE message_id IN ($id_list) AND attempt = 1"
check_output "... and each one's delivery and acknowledgement are in the message log" '^10 10$' \
    it_psql shep -Atc "SELECT count(*) FILTER (WHERE note = 'delivery attempt 1'), count(*) FILTER (WHERE note = 'DELIVERED')
                       FROM message_log WHERE message_id IN ($id_list)" -F ' '
egov_kill box TERM
it_psql shep -qc "DROP TRIGGER refuse_update ON async_message"

# The database failing the read of a returning recipient's backlog: the gateway asks
# again, and the messages arrive without the recipient having to reconnect
waiting_for_box "waiting while the database cannot be read"
it_psql shep -qc "ALTER TABLE async_message RENAME TO async_message_away"
egov_start box "$EGOV_BIN/shep-sink" --id box --service test.box --route 750000000 --db "$(it_db sink)"
egov_wait_for it_connected box
connections=$(grep -c "box connected to" "$(egov_log box)")
egov_wait_for grep -q "loading pending messages" "$(egov_log shep)"
sleep 1
check_output "while the backlog cannot be read, none of the 10 arrives" '^0$' \
    it_psql sink -Atc "SELECT count(*) FROM inbox WHERE message_id IN ($id_list)"
it_psql shep -qc "ALTER TABLE async_message_away RENAME TO async_message"
egov_wait_for it_query_is sink "SELECT count(*) FROM inbox WHERE message_id IN ($id_list)" 10
check_output "once it can be read, all 10 arrive, the recipient still on the same connection" "^10 $connections\$" \
    bash -c "echo \$(it_psql sink -Atc \"SELECT count(*) FROM inbox WHERE message_id IN ($id_list)\") \$(grep -c 'box connected to' '$(egov_log box)')"
egov_wait_for it_query_is shep "SELECT count(*) FROM async_message WHERE message_id IN ($id_list) AND status = 'DELIVERED'" 10
egov_kill box TERM

check "the message log's hash chain holds after the crash and restart" ctl log verify
egov_test_done
