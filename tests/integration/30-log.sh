#!/usr/bin/env bash
# The message log: every crossing recorded in order under its correlation id,
# and a hash chain that shows an edited, removed or truncated record.
source "$(dirname "$0")/common.sh"
it_setup shep gbdfl sink
it_grant 'echo provide test.echo' 'egovctl call test.echo' 'egovctl send echo *'
it_start_gateway
it_start_gbdfl
ctl() { "$EGOV_BIN/egovctl" "$@"; }

egov_start echo "$EGOV_BIN/shep-sink" --id echo --service test.echo --sync echo --db "$(it_db sink)"
egov_wait_for it_connected echo
corr=6b0f4a52-1c4e-4d7a-9b8e-1f2a3b4c5d6e
ctl call --service test.echo --correlation "$corr" --text "first hop" >/dev/null
ctl send --to echo --correlation "$corr" --text "second hop" >/dev/null
egov_wait_for bash -c "'$EGOV_BIN/egovctl' log --correlation $corr | grep -q DELIVERED"
ctl log --correlation "$corr" > "$EGOV_TEST_DIR/hops.txt"
check_output "the sync request is logged going to the provider" 'sync .*-> echo .*REQUEST.*forwarded' cat "$EGOV_TEST_DIR/hops.txt"
check_output "the reply is logged going back" 'sync +echo -> .*RESPONSE' cat "$EGOV_TEST_DIR/hops.txt"
check_output "the hops come in order: request, reply, stored, delivered, acknowledged" \
    'forwarded.*forwarded.*stored.*delivery attempt 1.*DELIVERED' bash -c "tr '\n' ' ' < '$EGOV_TEST_DIR/hops.txt'"
check_output "the log names the payload's size and hash" ' 9 +[0-9a-f]{16}' cat "$EGOV_TEST_DIR/hops.txt"
check_output "filtering by participant works" 'gbdfl' bash -c "'$EGOV_BIN/egovctl' person 850314301234 >/dev/null; '$EGOV_BIN/egovctl' log --participant gbdfl"
check "the chain holds" ctl log verify

# Tampering shows, and undoing it heals the chain
original=$(it_psql shep -Atc "SELECT recipient_id FROM message_log WHERE seq = 2")
it_psql shep -qc "UPDATE message_log SET recipient_id = 'mallory' WHERE seq = 2"
check_exit "an edited record breaks the chain (exit 5)" 5 ctl log verify
check_output "... at that record" 'BROKEN at seq 2' ctl log verify
it_psql shep -qc "UPDATE message_log SET recipient_id = '$original' WHERE seq = 2"
check "the record restored, the chain holds again" ctl log verify

it_psql shep -qc "CREATE TABLE saved AS SELECT * FROM message_log WHERE seq = 3; DELETE FROM message_log WHERE seq = 3"
check_output "a record removed from the middle breaks the chain" 'BROKEN at seq 3.*missing' ctl log verify
it_psql shep -qc "INSERT INTO message_log SELECT * FROM saved; DROP TABLE saved"
check "the record put back, the chain holds again" ctl log verify

last=$(it_psql shep -Atc "SELECT max(seq) FROM message_log")
it_psql shep -qc "CREATE TABLE saved AS SELECT * FROM message_log WHERE seq > $last - 2; DELETE FROM message_log WHERE seq > $last - 2"
check_output "records removed from the end break the chain too" 'BROKEN.*ends at record' ctl log verify
it_psql shep -qc "INSERT INTO message_log SELECT * FROM saved; DROP TABLE saved"
check "the records put back, the chain holds again" ctl log verify

it_psql shep -qc "UPDATE message_log SET hash = prev_hash WHERE seq = 4"
check_output "a replaced hash shows as a changed record" 'BROKEN at seq 4' ctl log verify
it_psql shep -qc "UPDATE message_log SET hash = (SELECT prev_hash FROM message_log WHERE seq = 5) WHERE seq = 4"
check "the hash put back, the chain holds again" ctl log verify

# Whoever can write the database but lacks the gateway's key cannot rewrite
# history: a record changed and every hash after it recomputed (SHA-256, the
# chain's shape without its key) still breaks the chain
it_psql shep -qc "CREATE TABLE saved AS SELECT * FROM message_log"
python3 - "$(it_db shep)" <<'PY'
import hashlib, subprocess, sys
conninfo = sys.argv[1]
def psql(sql):
    return subprocess.run(["psql", conninfo, "-At", "-F", "\t", "-c", sql], check=True,
                          capture_output=True, text=True).stdout.splitlines()
rows = psql("SELECT seq, logged_at_us, sim_at_us, message_type, payload_size, channel, sender_id,"
            " recipient_id, service_id, message_id, correlation_id, note, encode (payload_sha256, 'hex'),"
            " encode (prev_hash, 'hex') FROM message_log WHERE seq >= 2 ORDER BY seq")
prev = None
for row in rows:
    f = row.split("\t")
    if f[0] == "2":
        f[7] = "mallory"
        prev = bytes.fromhex(f[13])
    numbers = "\x1f".join(f[0:5])
    data = prev + "".join(x + "\x1f" for x in [numbers] + f[5:12]).encode() + bytes.fromhex(f[12])
    digest = hashlib.sha256(data).digest()
    psql("UPDATE message_log SET recipient_id = '%s', prev_hash = '\\x%s', hash = '\\x%s' WHERE seq = %s"
         % (f[7], prev.hex(), digest.hex(), f[0]))
    prev = digest
PY
check_output "a record rewritten with the chain recomputed without the gateway's key breaks it" \
    'BROKEN at seq 2' ctl log verify
it_psql shep -qc "DELETE FROM message_log; INSERT INTO message_log SELECT * FROM saved; DROP TABLE saved"
check "the log put back, the chain holds again" ctl log verify

# ... nor pass the records off as written before the chain was keyed
it_psql shep -qc "UPDATE log_chain SET keyed_from = keyed_from + 1000"
egov_kill shep TERM
it_start_gateway
check_output "moving where the keyed chain starts breaks the whole log" \
    'BROKEN at seq 1.*start of the keyed chain' ctl log verify
it_psql shep -qc "UPDATE log_chain SET keyed_from = keyed_from - 1000"
egov_kill shep TERM
it_start_gateway
check "put back, the chain holds again" ctl log verify
# While the database takes no log records, sync calls are answered all the same; the
# gateway holds the newest 50,000 records, drops the older ones and counts them, and
# writes what it holds once it can
metrics=127.0.0.1:$(egov_free_port)
it_grant 'bench-sync call test.echo'
egov_kill shep TERM
it_start_gateway --metrics "$metrics"
egov_wait_for it_connected echo
health() { curl -s "http://$metrics/health"; }
logged=$(it_psql shep -Atc "SELECT count(*) FROM message_log")
it_psql shep -q <<'SQL'
CREATE FUNCTION refuse_log () RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'log records refused for the test';
END $$;
CREATE TRIGGER refuse_log BEFORE INSERT ON message_log FOR EACH ROW EXECUTE FUNCTION refuse_log ();
SQL
check "30,000 sync calls are answered while the log cannot be written" \
    "$EGOV_BIN/shep-bench" sync --gateway "$EGOV_GATEWAY" --service test.echo --count 30000 --window 16
check_output "... the gateway's health says its database is failing" '"database": *"failing"' health
# Two records a call (a call timed out would add two more)
check_output "... it dropped the oldest of the 60,000 records beyond the 50,000 it holds" '^yes$' \
    bash -c "curl -s 'http://$metrics/health' | jq '.gateway.log_records_dropped_total | if . >= 10000 and . <= 10100 then \"yes\" else . end' -r"
it_psql shep -qc "DROP TRIGGER refuse_log ON message_log"
egov_wait_for it_query_is shep "SELECT count(*) - $logged FROM message_log" 50000
check_output "once the database takes them, the 50,000 held are written" '^50000$' \
    it_psql shep -Atc "SELECT count(*) - $logged FROM message_log"
egov_wait_for bash -c "curl -s 'http://$metrics/health' | grep -q '\"database\": *\"ok\"'"
check_output "... the health is ok again" '"database": *"ok"' health
check "... and the chain holds" ctl log verify

egov_test_done
