#!/usr/bin/env bash
# The one simulation clock: kept by the gateway, followed by every process,
# persisted across a restart; timers fire in order when it jumps; business
# rules (a power of attorney's expiry) follow it; log records carry it.
# date-sensitive: the simulation clock itself (tests/run-all.sh runs it again as of other moments)
source "$(dirname "$0")/common.sh"
it_setup shep enis fresh
it_start_gateway
it_start_enis
ctl() { "$EGOV_BIN/egovctl" "$@"; }
field() { "$EGOV_BIN/egovctl" --json clock show | sed -n "s/.*\"$1\": *\"\{0,1\}\([^\",]*\).*/\1/p"; }

if [[ -n ${EGOV_SHEP_CLOCK_START:-} ]]; then
    check_output "the gateway started the clock at --clock-start ($EGOV_SHEP_CLOCK_START)" \
        "simulated +${EGOV_SHEP_CLOCK_START:0:16}.*changed by --clock-start" oneline ctl clock show
else
    check_output "until changed, the clock is real time" 'real time, never changed' ctl clock show
fi
check_output "POA-2026-0001 is VALID today" 'VALID' ctl poa POA-2026-0001 --representative 781130306545

# Timers in another process fire in order when the clock jumps over them
egov_start watcher "$EGOV_BIN/egovctl" clock timers 3h 1h 2h
egov_wait_for grep -q "waiting for 3 timers" "$(egov_log watcher)"
check_output "advance moves the clock forward" "version +$(( $(field version) + 1 ))" ctl clock advance 5h
egov_wait_for bash -c "! kill -0 $(egov_pid watcher) 2>/dev/null"
check_output "all three timers fired after one jump, earliest first" \
    'timer 2 due .*timer 3 due .*timer 1 due' oneline cat "$(egov_log watcher)"

# Jumping to a moment, and the registry follows (dates from the simulated today and
# the registry's own data, so the test holds whatever day it runs as of)
yesterday=$(it_day "$(it_today)" -1)
check_fails "going backwards is refused without --force" ctl clock set "$yesterday"
check_output "... with the reason" 'CLOCK_BACKWARDS' ctl clock set "$yesterday"
poa_end=$(ctl poa POA-2026-0001 --representative 781130306545 | awk '$1 == "valid" && $2 == "until" { print $3 }')
after=$(it_day "$poa_end" 15)
check_output "set jumps to a moment (Almaty time): 15 days after POA-2026-0001 ends ($poa_end)" \
    "simulated +${after}T09:00" ctl clock set "${after}T09:00"
check_output "the notarial registry judges on the simulated date: POA-2026-0001 has EXPIRED" 'EXPIRED' \
    ctl poa POA-2026-0001 --representative 781130306545
check_output "message log records carry the simulated time" "sim $after" ctl log --participant enis

# Working days count on the providers' calendar: Monday + 5wd ends at the close of the
# next Monday (the day itself is not counted). A week without holidays in any year:
# the first Monday from 4 October on.
monday=$(it_day "$after" 1)
until [[ $(it_weekday "$monday") == 1 && ${monday:5} > 10-03 && ${monday:5} < 10-11 ]]; do
    monday=$(it_day "$monday" 1)
done
ctl clock set "${monday}T10:00" >/dev/null
check_output "advance 5wd from a Monday morning ($monday) ends at the close of the next Monday" \
    "simulated +$(it_day "$monday" 7)T18:00:00" ctl clock advance 5wd

# Two processes agree on the clock
first=$(field simulated_ms); second=$(field simulated_ms)
gap=$(( second - first ))
check_output "two processes read the same clock (the later reading is 0-1000 ms ahead at real speed)" \
    '^(0|[1-9][0-9]{0,2}|1000)$' echo "$gap"
check_output "both got the same clock version" "^$(field version)\$" field version

# Speed
ctl clock speed 3600 >/dev/null
before=$(field simulated_ms); sleep 1; after=$(field simulated_ms)
check_output "at speed 3600 a wall second is about a simulated hour" '^ok$' \
    bash -c "(( $after - $before >= 3000000 && $after - $before <= 4500000 )) && echo ok"
ctl clock speed 0 >/dev/null
paused=$(field simulated_ms); sleep 0.3
check_output "at speed 0 the clock stands still" "^$paused\$" field simulated_ms

# A restart keeps it
version=$(field version)
egov_kill shep TERM
it_start_gateway
check_output "after the gateway restarts the clock is where it was" "^$paused\$" field simulated_ms
check_output "... same version" "^$version\$" field version
later="$(it_day "$(it_today)" 400)T09:00"
start="$(it_day "$(it_today)" 100)T09:00"
egov_kill shep TERM
it_start_gateway --clock-start "$later"
check_output "--clock-start does not move a clock the database keeps" "^$paused\$" field simulated_ms

# --clock-start: a first start begins the clock there, at real speed
check_exit "a malformed --clock-start is a usage error" 64 "$EGOV_BIN/shep" --clock-start soon
fresh=tcp://127.0.0.1:$(egov_free_port)
egov_start fresh "$EGOV_BIN/shep" --endpoint "$fresh" --db "$(it_db fresh)" --clock-start "$start"
egov_wait_for "$EGOV_BIN/egovctl" --gateway "$fresh" participants
check_output "a first start with --clock-start begins the simulation clock there" \
    "simulated +${start}.*speed +1 .*changed by --clock-start" oneline ctl --gateway "$fresh" clock show
check "... and stops cleanly" egov_stop fresh
# E-signatures follow the simulation clock: three years ahead, what the test CA made
# today has expired, and what it issues now is valid then (no --at anywhere)
export EGOV_PKI_DIR=$EGOV_TEST_DIR/pki
ctl pki init >/dev/null
DOC=$EGOV_TEST_DIR/signed.txt
echo "a request" >"$DOC"
ctl sign --key "$EGOV_PKI_DIR/keys/850314301234.key" --cert "$EGOV_PKI_DIR/certs/850314301234.pem" "$DOC" >"$DOC.sig"
check_output "a signature made now is OK at the simulated now" '^OK$' bash -c "'$EGOV_BIN/egovctl' verify --content '$DOC' '$DOC.sig' | head -1"
today=$(it_today)
ahead=$(date -u -d "$today 3 years" +%F)
ctl clock set "${ahead}T10:00" >/dev/null
check_output "three years on the simulated clock, verify judges at the gateway's now: CERT_EXPIRED" \
    "^CERT_EXPIRED .*judged at +${ahead}T10:[0-9:.]+\\+05:00 \\(the gateway's simulated now\\)" \
    oneline ctl verify --content "$DOC" "$DOC.sig"
check_output "pki list says so too" '^850314301234 expired$' bash -c \
    "'$EGOV_BIN/egovctl' --json pki list | jq -r '.certificates[] | select(.label == \"850314301234\") | \"\\(.label) \\(.status)\"'"
check_output "pki issue starts a certificate at the simulated now, not at wall time" "^valid +${ahead}T10:" \
    bash -c "'$EGOV_BIN/egovctl' pki issue --name 'Асқаров Ерлан Серікұлы' --iin 850314301234 | grep '^valid'"
label=$(ctl --json pki issue --name 'Асқаров Ерлан Серікұлы' --iin 850314301234 | jq -r .label)
ctl sign --key "$EGOV_PKI_DIR/keys/$label.key" --cert "$EGOV_PKI_DIR/certs/$label.pem" "$DOC" >"$DOC.new.sig"
check_output "... and a signature with it is OK then, signed at the simulated now" \
    "^OK .*signed at +${ahead}T10:" oneline ctl verify --content "$DOC" "$DOC.new.sig"
check_output "--at still judges at the moment given" '^OK .*\(as given\)' \
    oneline ctl verify --at "${today}T12:00" --content "$DOC" "$DOC.sig"
check_output "real goes back to real time with --force" 'speed +1$' ctl clock real --force
check_output "bad input is a usage error" 'clock advance wants a duration' ctl clock advance soon
egov_test_done
