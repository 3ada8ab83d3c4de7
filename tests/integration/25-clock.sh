#!/usr/bin/env bash
# The one simulation clock: kept by the gateway, followed by every process,
# persisted across a restart; timers fire in order when it jumps; business
# rules (a power of attorney's expiry) follow it; log records carry it.
source "$(dirname "$0")/common.sh"
it_setup shep enis
it_start_gateway
it_start_enis
ctl() { "$EGOV_BIN/egovctl" "$@"; }
field() { "$EGOV_BIN/egovctl" --json clock show | sed -n "s/.*\"$1\": *\"\{0,1\}\([^\",]*\).*/\1/p"; }

check_output "until changed, the clock is real time" 'real time, never changed' ctl clock show
check_output "POA-2026-0001 is VALID today" 'VALID' ctl poa POA-2026-0001 --representative 781130306545

# Timers in another process fire in order when the clock jumps over them
egov_start watcher "$EGOV_BIN/egovctl" clock timers 3h 1h 2h
egov_wait_for grep -q "waiting for 3 timers" "$(egov_log watcher)"
check_output "advance moves the clock forward" 'version +1' ctl clock advance 5h
egov_wait_for bash -c "! kill -0 $(egov_pid watcher) 2>/dev/null"
check_output "all three timers fired after one jump, earliest first" \
    'timer 2 due .*timer 3 due .*timer 1 due' oneline cat "$(egov_log watcher)"

# Jumping to a moment, and the registry follows
check_fails "going backwards is refused without --force" ctl clock set 2026-01-01
check_output "... with the reason" 'CLOCK_BACKWARDS' ctl clock set 2026-01-01
check_output "set jumps to a moment (Almaty time)" 'simulated +2028-01-15T09:00' ctl clock set 2028-01-15T09:00
check_output "the notarial registry judges on the simulated date: POA-2026-0001 has EXPIRED" 'EXPIRED' \
    ctl poa POA-2026-0001 --representative 781130306545
check_output "message log records carry the simulated time" 'sim 2028-01-15' ctl log --participant enis

# Working days count on the providers' calendar: Monday + 5wd ends at the
# close of the next Monday (the day itself is not counted)
ctl clock set --force 2027-10-04T10:00 >/dev/null
check_output "advance 5wd from a Monday morning ends at the close of the next Monday" \
    'simulated +2027-10-11T18:00:00' ctl clock advance 5wd

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
check_output "real goes back to real time with --force" 'speed +1$' ctl clock real --force
check_output "bad input is a usage error" 'clock advance wants a duration' ctl clock advance soon
egov_test_done
