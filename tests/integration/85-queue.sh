#!/usr/bin/env bash
# The kindergarten queue register as a real process behind the gateway, asking the real
# registry of individuals: numbers consecutive per queue, positions, the motivated
# refusals (7 or more, twice in one queue, a desired date already past), a released place
# making exactly one referral (also with releases racing), and the register killed with
# -9 and PostgreSQL restarted under it.
# date-sensitive: ages and the desired date are judged at the simulated today (tests/run-all.sh runs it again as of other moments)
source "$(dirname "$0")/common.sh"
it_setup shep gbdfl queue
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
check_output "after kill -9 the register numbers on: 8 (to one of the free places)" "$Q number 8: REFERRED, referral $Q-R000008" \
    ctl queue enqueue "$Q" "${KIDS[7]}"
"$EGOV_PG_SH" stop >/dev/null
"$EGOV_PG_SH" start >/dev/null
enqueued() { ctl queue enqueue "$Q" "${KIDS[8]}" 2>&1 | grep -q "number 9: REFERRED, referral $Q-R000009"; }
check "after PostgreSQL restarted under it the register reconnects and numbers on: 9" egov_wait_for enqueued
check_output "numbers of the queue are 1 to 9, none missing, none twice" '^9\|1\|9$' it_psql queue -Atc \
    "SELECT count(DISTINCT number), min(number), max(number) FROM entry WHERE queue = '$Q'"
check "the register is still running" egov_running queue

egov_test_done
