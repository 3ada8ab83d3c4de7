#!/usr/bin/env bash
# The kindergarten queue register as a real process behind the gateway, asking the real
# registry of individuals: numbers consecutive per queue, positions, the motivated
# refusals (7 or more, twice in one queue, a desired date already past), a released place
# making exactly one referral (also with releases racing), and the register killed with
# -9 and PostgreSQL restarted under it; and the local executive body of Kyzylorda putting
# the children of its kindergarten-queue applications in the register, its signed result
# carrying the queue number, position or referral, the register's refusals motivated
# refusals, and a referral made later reaching it (a shep-sink plays its regional gateway).
# date-sensitive: ages and the desired date are judged at the simulated today (tests/run-all.sh runs it again as of other moments)
source "$(dirname "$0")/common.sh"
it_setup shep gbdfl queue leb_430000000 sink
it_start_gateway
it_start_gbdfl
it_start_queue
ctl() { "$EGOV_BIN/egovctl" "$@"; }

TODAY=$(it_today)
TOMORROW=$(it_day "$TODAY" 1)
YESTERDAY=$(it_day "$TODAY" -1)
# Children of the registry, by their age at the simulated today: under 7 with a birth
# certificate, and from 7 to 12
children() {
    it_psql gbdfl -Atc "SELECT p.iin FROM person p JOIN birth_certificate b ON b.child_iin = p.iin
        WHERE p.birth_date > date '$TODAY' - interval '7 years' AND p.birth_date <= date '$TODAY'
        ORDER BY p.iin LIMIT 12"
}
mapfile -t KIDS < <(children)
OLDER=$(it_psql gbdfl -Atc "SELECT iin FROM person WHERE birth_date <= date '$TODAY' - interval '7 years'
    AND birth_date > date '$TODAY' - interval '12 years' ORDER BY iin LIMIT 1")
check "the registry has children under 7 and older ones at the simulated today ($TODAY)" \
    test "${#KIDS[@]}" -ge 12 -a -n "$OLDER"

Q=430000000-D02
OTHER=430000000-K002
check_output "the queues of the seed are listed" '430000000-D02 +district +0 +0 +0 +0' ctl queue list 430000000
check_output "... of one region only: six queues" '^6$' bash -c "'$EGOV_BIN/egovctl' queue list 430000000 | grep -c '^430000000-'"


# Numbers are consecutive per queue, positions follow them
for index in 0 1 2 3 4; do
    ctl queue enqueue "$Q" "${KIDS[$index]}" --on "$TOMORROW" >"$EGOV_TEST_DIR/enqueue.$index" 2>&1
done
numbers() { local index; for index in "$@"; do sed -n 's/.* number \([0-9]*\): WAITING, position \([0-9]*\)$/\1.\2/p' "$EGOV_TEST_DIR/enqueue.$index"; done | tr '\n' ' '; }
check_output "five children get numbers 1 to 5 and positions 1 to 5" '^1.1 2.2 3.3 4.4 5.5 $' numbers 0 1 2 3 4
check_output "... each with the birth date of the registry" "born $(it_psql gbdfl -Atc "SELECT birth_date FROM person WHERE iin = '${KIDS[0]}'")" \
    cat "$EGOV_TEST_DIR/enqueue.0"
check_output "another queue numbers from 1 on its own" "$OTHER number 1: WAITING, position 1" \
    ctl queue enqueue "$OTHER" "${KIDS[0]}" --on "$TOMORROW"
check_output "a child's entries: every queue, with position" \
    "$Q number 1: WAITING, position 1.*$OTHER number 1: WAITING, position 1" oneline ctl queue entry "${KIDS[0]}"

# The motivated refusals, each with its stable code and exit 3
check_exit "a child of 7 or more is refused (exit 3)" 3 ctl queue enqueue "$Q" "$OLDER" --on "$TOMORROW"
check_output "... CHILD_TOO_OLD" '^REFUSED CHILD_TOO_OLD: the child, born .*, is (7|8|9|10|11) on' \
    ctl queue enqueue "$Q" "$OLDER" --on "$TOMORROW"
check_output "the same child twice in one queue is ALREADY_QUEUED" \
    "^REFUSED ALREADY_QUEUED: the child ${KIDS[1]} is already in queue $Q, number 2" \
    ctl queue enqueue "$Q" "${KIDS[1]}" --on "$TOMORROW"
check_output "a desired date before today is DESIRED_DATE_PAST" \
    "^REFUSED DESIRED_DATE_PAST: the desired date $YESTERDAY is before today, $TODAY" \
    ctl queue enqueue "$Q" "${KIDS[5]}" --on "$YESTERDAY"
check_output "an IIN nobody has is CHILD_NOT_FOUND" '^REFUSED CHILD_NOT_FOUND' \
    ctl queue enqueue "$Q" 010101599994
check_output "an unknown queue is UNKNOWN_QUEUE" '^REFUSED UNKNOWN_QUEUE: there is no queue 430000000-Z99' \
    ctl queue enqueue 430000000-Z99 "${KIDS[5]}"
check_output "a malformed IIN is an error INVALID_IIN (exit 2)" 'INVALID_IIN' ctl queue enqueue "$Q" 123
check_output "a malformed queue code is INVALID_REQUEST" 'INVALID_REQUEST' ctl queue enqueue "x'; DROP TABLE entry" "${KIDS[5]}"
check_output "the refusals stored nothing: the queue has 5, numbered to 5" \
    'waiting +5 .*last number +5 ' oneline ctl queue show "$Q"
check_output "today as the desired date is accepted (the default)" "$Q number 6: WAITING, position 6" \
    ctl queue enqueue "$Q" "${KIDS[5]}"

# A released place is exactly one referral, to the first child waiting
check_output "a release refers the first child waiting" \
    "1 place released, 1 referral.*referral $Q-R000001 to child ${KIDS[0]} \\(number 1\\).*waiting 5, free places 0" \
    oneline ctl queue release "$Q"
check_output "... who is REFERRED, out of the queue" "$Q number 1: REFERRED, referral $Q-R000001" \
    ctl queue entry "${KIDS[0]}" "$Q"
check_output "... and everyone after moves up one" "$Q number 6: WAITING, position 5" ctl queue entry "${KIDS[5]}" "$Q"
check_output "the register holds exactly one referral" '^1$' it_psql queue -Atc \
    "SELECT count(*) FROM entry WHERE queue = '$Q' AND referral IS NOT NULL"

# Releases racing: eight at once over five children waiting make five referrals, no child
# twice, and three free places
racers=()
for index in 1 2 3 4 5 6 7 8; do
    ctl queue release "$Q" >"$EGOV_TEST_DIR/race.$index" 2>&1 &
    racers+=($!)
done
wait "${racers[@]}"
check_output "eight racing releases: every one answered" '^8$' \
    bash -c "grep -l 'place released' $EGOV_TEST_DIR/race.* | wc -l"
check_output "... five referrals between them, each to a different child" '^5 5$' \
    bash -c "cat $EGOV_TEST_DIR/race.* | grep -o 'to child [0-9]*' | sort | uniq | wc -l | tr '\n' ' '; cat $EGOV_TEST_DIR/race.* | grep -c 'to child'"
check_output "... referral numbers 2 to 6, once each" '^2 3 4 5 6 $' \
    bash -c "cat $EGOV_TEST_DIR/race.* | sed -n 's/.*referral $Q-R00000\\([0-9]\\) .*/\\1/p' | sort | tr '\n' ' '"
check_output "... nobody waits, three places are free" 'waiting +0 .*free places +3 .*referrals +6' \
    oneline ctl queue show "$Q"
check_output "a child who comes to a free place is referred at once" \
    "$Q number 7: REFERRED, referral $Q-R000007" ctl queue enqueue "$Q" "${KIDS[6]}"
check_output "a release of several places and JSON output" '"referred"' ctl --json queue release "$OTHER" --count 2

# Who may: a local executive body may not release places, nor use another region's queue
it_grant 'leb-230000000 call queue.release' 'leb-230000000 call queue.enqueue'
check_output "a release from anyone but the administrator's tool is refused UNEXPECTED_SENDER" \
    'REFUSED.*UNEXPECTED_SENDER' ctl --as leb-230000000 queue release "$Q"
check_output "a local executive body enqueues in its own region only: WRONG_REGION" \
    '^REFUSED WRONG_REGION' ctl --as leb-230000000 queue enqueue "$Q" "${KIDS[7]}"
check_output "a release of 101 places is INVALID_REQUEST" 'INVALID_REQUEST' ctl queue release "$Q" --count 101

# Numbers stay consecutive through a crash and a database restart
egov_kill queue KILL
it_start_queue
# (the gateway may still hold the killed process's connection for a moment: NO_PROVIDER,
# which stores nothing, until the new one has said hello)
enqueued_after_crash() { ctl queue enqueue "$Q" "${KIDS[7]}" 2>&1 | grep -q "number 8: REFERRED, referral $Q-R000008"; }
check "after kill -9 the register numbers on: 8 (to one of the free places)" egov_wait_for enqueued_after_crash
"$EGOV_PG_SH" stop >/dev/null
"$EGOV_PG_SH" start >/dev/null
enqueued() { ctl queue enqueue "$Q" "${KIDS[8]}" 2>&1 | grep -q "number 9: REFERRED, referral $Q-R000009"; }
check "after PostgreSQL restarted under it the register reconnects and numbers on: 9" egov_wait_for enqueued
check_output "numbers of the queue are 1 to 9, none missing, none twice" '^9\|1\|9$' it_psql queue -Atc \
    "SELECT count(DISTINCT number), min(number), max(number) FROM entry WHERE queue = '$Q'"
check "the register is still running" egov_running queue

# The provider's side: the local executive body of Kyzylorda in auto mode
KZ=430000000
export EGOV_PKI_DIR=$EGOV_TEST_DIR/pki
check "the test CA is made" it_pki_init
egov_start sink "$EGOV_BIN/shep-sink" --id "regional-$KZ" --db "$(it_db sink)"
egov_wait_for it_connected "regional-$KZ"
egov_start leb "$EGOV_BIN/leb" --region "$KZ" --gateway "$EGOV_GATEWAY" --db "$(it_db "leb_$KZ")" \
    --pki "$EGOV_PKI_DIR"
egov_wait_for it_connected "leb-$KZ"
NOW_MS=$(ctl --json clock show | jq -r .simulated_ms)
DESIRED=$(it_day "$TODAY" 30)
# registered ID CHILD FORM_QUEUE: a kindergarten-queue application the regional gateway
# registered, sent as it would send it (egovctl plays regional-KZ for the message).
registered() {
    local file=$EGOV_TEST_DIR/registered-$1.json
    jq -n --arg id "$1" --arg child "$2" --arg queue "$3" --arg desired "$DESIRED" --argjson now "$NOW_MS" \
        --arg sha "$(printf scan | sha256sum | cut -d' ' -f1)" '{
        registration: {registration_number: "430000000-2026-\($id[-6:])", registered_at: $now},
        application: {application_id: $id, service: "kindergarten-queue", region: "430000000",
            channel: "PORTAL", applicant_iin: "900722404568", applicant_name: "Нұрланова Айгүл Қайратқызы",
            form: [{key: "child_iin", value: $child}, {key: "kindergarten", value: $queue},
                   {key: "desired_date", value: $desired}],
            attachments: [{type: "application", name: "a.pdf", content: "7363616e", sha256: $sha},
                          {type: "identity-document", name: "b.pdf", content: "7363616e", sha256: $sha}],
            receipt_number: "R-\($id[-6:])", submitted_at: $now, received_at: $now,
            result_due: ($now + 86400000 * 5)}}' >"$file"
    ctl --as "regional-$KZ" send --to "leb-$KZ" --service application.registered --correlation "$1" \
        --payload-json "$file" --payload-type egov.applications.RegisteredApplication >/dev/null
}
# result_of ID: the result document the leb signed for application ID, from the sink.
result_of() {
    it_psql sink -Atc "SELECT encode (payload, 'hex') FROM inbox WHERE correlation_id = '$1'
        AND service_id = 'application.result'" | /usr/bin/python3 -c '
import json, sys
data = bytes.fromhex(sys.stdin.read().strip())
start = data.find(b"{\"")
print(json.dumps(json.JSONDecoder().raw_decode(data[start:].decode(errors="replace"))[0], ensure_ascii=False, sort_keys=True))'
}
has_result() { [[ $(it_psql sink -Atc "SELECT count(*) FROM inbox WHERE correlation_id = '$1' AND service_id = 'application.result'") == 1 ]]; }
# Children whose seventh birthday is more than a month away
mapfile -t YOUNG < <(it_psql gbdfl -Atc "SELECT p.iin FROM person p JOIN birth_certificate b ON b.child_iin = p.iin
    WHERE p.birth_date > date '$TODAY' - interval '7 years' + interval '40 days' AND p.birth_date <= date '$TODAY'
    ORDER BY p.iin DESC LIMIT 3")
A=00000000-0000-4000-8000-000000000001 B=00000000-0000-4000-8000-000000000002
C=00000000-0000-4000-8000-000000000003 D=00000000-0000-4000-8000-000000000004
registered "$A" "${YOUNG[0]}" "$KZ-K003"
registered "$B" "$OLDER" "$KZ-K003"
registered "$C" "${YOUNG[0]}" "$KZ-K003"
registered "$D" "${YOUNG[1]}" "no such kindergarten"
ctl clock advance 10d >/dev/null
for id in "$A" "$B" "$C" "$D"; do egov_wait_for has_result "$id"; done
check_output "the leb's result carries the queue number and position" \
    "\"decision\": \"approved\".*\"kind\": \"queue-notice\".*\"queue\": \\{[^}]*\"number\": 1, \"position\": 1, \"queue\": \"$KZ-K003\"" \
    result_of "$A"
result_of "$A" >"$EGOV_TEST_DIR/result-a.json"
check_output "... and is a result document as docs/result.schema.json says" '^valid$' \
    /usr/bin/python3 "$EGOV_REPO/tests/schema-check.py" "$EGOV_REPO/docs/result.schema.json" "$EGOV_TEST_DIR/result-a.json"
check_output "a child of 7 or more: a motivated refusal with the register's reasoning" \
    '"decision": "refused".*"grounds": \["child-too-old: the child, born' result_of "$B"
check_output "the same child again in the same queue: refused, already-queued" \
    "\"grounds\": \\[\"already-queued: the child ${YOUNG[0]} is already in queue $KZ-K003, number 1\"" result_of "$C"
check_output "a form naming no queue code: the region's district queue" \
    "\"number\": 1, \"position\": 1, \"queue\": \"$KZ-D01\"" result_of "$D"
check_output "the register numbered the leb's entries for its applications" "^$KZ-D01 $D\$" \
    it_psql queue -Atc "SELECT queue || ' ' || application FROM entry WHERE requester = 'leb-$KZ' AND queue = '$KZ-D01'"
# A place of the kindergarten frees up: the referral goes to the leb, which tells the channel
check_output "a release refers the leb's child" "referral $KZ-K003-R000001 to child ${YOUNG[0]}" \
    ctl queue release "$KZ-K003"
referral_noted() {
    it_psql sink -Atc "SELECT count(*) FROM inbox WHERE correlation_id = '$A' AND service_id = 'application.status'
        AND position ('\\x$(printf '%s' "referral $KZ-K003-R000001" | xxd -p | tr -d '\n')' in payload) > 0" | grep -qx 1
}
check "... and the leb sends the channel a notice with the referral, once" egov_wait_for referral_noted
check_output "... having stored it with the application" "^$KZ-K003-R000001\$" \
    it_psql "leb_$KZ" -Atc "SELECT queue_referral FROM application WHERE correlation_id = '$A'"
# The register away: the decision waits for it (its step comes due again), then is made
E=00000000-0000-4000-8000-000000000005
egov_kill queue TERM
egov_wait_for it_gone queue
registered "$E" "${YOUNG[2]}" "$KZ-K003"
ctl clock advance 10d >/dev/null
waiting_logged() { grep -q "leb: $E: the queue register did not answer: NO_PROVIDER" "$(egov_log leb)"; }
check "with the register away the leb asks, hears NO_PROVIDER, and decides nothing" egov_wait_for waiting_logged
check_fails "... no result goes out" has_result "$E"
it_start_queue
ctl clock advance 2m >/dev/null
check "once the register is back the waiting decision is made" egov_wait_for has_result "$E"
check_output "... with the next number of the kindergarten's queue" \
    "\"number\": 2, \"position\": 1, \"queue\": \"$KZ-K003\"" result_of "$E"

egov_test_done
