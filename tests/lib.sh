# shellcheck shell=bash
# tests/lib.sh — helpers for integration tests written in bash. Source it:
#
#   #!/usr/bin/env bash
#   set -euo pipefail
#   source "$(dirname "$0")/../lib.sh"
#   egov_test_cluster_start shep gbdfl          # throwaway cluster, exports EGOV_SHEP_DB ...
#   endpoint=$(egov_free_endpoint)
#   egov_start shep "$EGOV_BIN/shep" --endpoint "$endpoint" --db "$EGOV_SHEP_DB"
#   check "the gateway answers" egov_wait_for "$EGOV_BIN/egovctl" --gateway "$endpoint" participants
#   check_output "gbdfl is listed" '"participant_id": *"gbdfl"' "$EGOV_BIN/egovctl" ... --json
#   check_exit "an unknown IIN is 'not found'" 3 "$EGOV_BIN/egovctl" ... person 010101599994
#   check "shep stops cleanly on SIGTERM" egov_stop shep
#   egov_test_done                              # "N passed, M failed"; non-zero on failures
#
# Everything a test starts lives in one temporary directory ($EGOV_TEST_DIR: logs, the
# cluster); an EXIT trap kills what is still running and removes it all, also when the
# test stops early. Environment:
#   EGOV_BIN           binaries under test [build/san/bin]
#   EGOV_WAIT_TIMEOUT  seconds egov_wait_for polls [20]
#   EGOV_STOP_TIMEOUT  seconds a process gets after a signal before SIGKILL [10]
#   EGOV_KEEP_TMP=1    keep $EGOV_TEST_DIR for a look afterwards
#   EGOV_TEST_ARTEFACTS  where egov_keep keeps files past the run [build/test-artefacts]
#   EGOV_TEST_SUMMARY=0  do not report a summary from the EXIT trap (for tests/run-all.sh)
#   EGOV_TEST_AS_OF    run "as of" another moment: every gateway the test starts begins its
#                      simulation clock there (EGOV_SHEP_CLOCK_START) and it_pki_init makes
#                      the test CA current then. An ISO 8601 moment (Almaty time) or a name
#                      computed from today: saturday (the next Saturday, 11:00),
#                      new-year-eve (the next 31 December, 23:30), leap-day (the next
#                      29 February, 12:00), calendar-data-end (31 December, 12:00, of the
#                      last year regulations/calendar/kz.json has transfer decrees for)
#   EGOV_POPULATION_YEAR  the registries' synthetic population is as of its 1 January [this
#                      year]: with a later EGOV_TEST_AS_OF, a run as in a later year

EGOV_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EGOV_PG_SH=$EGOV_REPO/deploy/pg.sh
# A shell that ran `make run` may still hold its settings (EGOV_SHEP_METRICS,
# EGOV_GATEWAY, EGOV_PKI_DIR ...): the services a test starts would take them. Tests
# choose their own; only the test harness's variables pass.
for egov_variable in $(compgen -e | grep '^EGOV_' || true); do
    case $egov_variable in
        EGOV_BIN|EGOV_TEST_*|EGOV_SELFTEST_DB|EGOV_WAIT_TIMEOUT|EGOV_STOP_TIMEOUT|EGOV_KEEP_TMP|EGOV_DOCS_UPDATE \
        |EGOV_CHROMIUM|EGOV_FUZZ_SECONDS|EGOV_POPULATION_YEAR) ;;
        *) unset "$egov_variable" ;;
    esac
done
unset egov_variable
export EGOV_BIN=${EGOV_BIN:-$EGOV_REPO/build/san/bin}
# The synthetic population is made as of this year's 1 January (lib/egov_population_ids.h),
# or EGOV_POPULATION_YEAR's: read once, so the registries a test seeds name the same
# people even across New Year
export EGOV_POPULATION_YEAR=${EGOV_POPULATION_YEAR:-$(date -u +%Y)}

# The test's scratch directory; world-searchable because, as root, the cluster in it
# belongs to the postgres user.
EGOV_TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/egov-test.XXXXXX")
chmod 0755 "$EGOV_TEST_DIR"
export EGOV_TEST_DIR

# egov_keep FILE...: keeps files for people to look at after the run (screenshots of
# the pages, what they downloaded) in $(egov_keep_dir); the folder is emptied of the
# previous run's files the first time. Everything else in $EGOV_TEST_DIR goes when the
# test ends.
egov_keep_dir() {
    echo "${EGOV_TEST_ARTEFACTS:-$EGOV_REPO/build/test-artefacts}/$(basename "$0" .sh)${EGOV_TEST_AS_OF:+@$EGOV_TEST_AS_OF}"
}
egov_keep() {
    local folder
    folder=$(egov_keep_dir)
    if [[ -z ${EGOV__KEEPING:-} ]]; then
        rm -rf "$folder"
        EGOV__KEEPING=1
    fi
    mkdir -p "$folder" && cp -- "$@" "$folder/" && echo "# kept in $folder: ${*##*/}"
}

# egov_as_of NAME|MOMENT: prints the moment a name of EGOV_TEST_AS_OF stands for (see
# above), computed from today's date; anything else is printed as given.
egov_as_of() {
    local today year day
    today=$(date -u +%F)
    year=${today:0:4}
    case $1 in
        saturday)
            day=$(date -u -d "$today +$(( 7 - $(date -u -d "$today" +%u) % 7 - 1 )) days" +%F)
            [[ $day > $today ]] || day=$(date -u -d "$day +7 days" +%F)
            echo "${day}T11:00" ;;
        new-year-eve)
            echo "${year}-12-31T23:30" ;;
        leap-day)
            year=$((10#${today:0:4}))
            while ! date -u -d "$year-02-29" >/dev/null 2>&1 || [[ "$year-02-29" < $today ]]; do
                year=$((year + 1))
            done
            echo "$year-02-29T12:00" ;;
        calendar-data-end)
            year=$(jq '[.transfers[].year] | max' "$EGOV_REPO/regulations/calendar/kz.json")
            echo "$year-12-31T12:00" ;;
        *)
            echo "$1" ;;
    esac
}
if [[ -n ${EGOV_TEST_AS_OF:-} ]]; then
    EGOV_SHEP_CLOCK_START=$(egov_as_of "$EGOV_TEST_AS_OF")
    export EGOV_SHEP_CLOCK_START
    echo "# as of $EGOV_SHEP_CLOCK_START ($EGOV_TEST_AS_OF)"
fi

EGOV_PASSED=0
EGOV_FAILED=0
EGOV_SKIPPED=0
EGOV_DONE=0                 # egov_test_done ran
EGOV_CLUSTER=0              # a throwaway cluster is up
declare -A EGOV_PIDS=()     # name -> pid of what egov_start started and still runs
declare -A EGOV_STATUS=()   # name -> exit status, once stopped
EGOV_NAMES=()               # every name started, in order, for the log scan

# Lines that mean a sanitizer found something, in a log or a command's output.
EGOV_SANITIZER_RE='ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|WARNING: ThreadSanitizer'

# ---------------------------------------------------------------------------
# Reporting

# Prints the tail of file $1, indented as a comment under a result line.
egov__show() {
    tail -n "${2:-40}" "$1" 2>/dev/null | sed 's/^/#   /'
}

egov__pass() {
    EGOV_PASSED=$((EGOV_PASSED + 1))
    echo "ok - $1"
}

# egov__fail DESCRIPTION REASON [OUTPUT_FILE]
egov__fail() {
    EGOV_FAILED=$((EGOV_FAILED + 1))
    echo "not ok - $1"
    echo "#   $2"
    [[ -n ${3:-} ]] && egov__show "$3"
    return 0
}

# True when file $1 holds a sanitizer report.
egov__sanitized() {
    grep -Eq "$EGOV_SANITIZER_RE" "$1" 2>/dev/null
}

# check "description" CMD... — passes when CMD exits 0 without a sanitizer report.
check() {
    local description=$1; shift
    local out=$EGOV_TEST_DIR/check.out status=0
    "$@" >"$out" 2>&1 || status=$?
    if [[ $status -ne 0 ]]; then
        egov__fail "$description" "exit status $status: $*" "$out"
    elif egov__sanitized "$out"; then
        egov__fail "$description" "sanitizer report: $*" "$out"
    else
        egov__pass "$description"
    fi
}

# check_output "description" REGEX CMD... — passes when CMD's output (stdout and stderr)
# matches the extended REGEX. The exit status does not matter, so error paths can be
# checked by their message; a death by signal or a sanitizer report fails.
check_output() {
    local description=$1 regex=$2; shift 2
    local out=$EGOV_TEST_DIR/check.out status=0
    "$@" >"$out" 2>&1 || status=$?
    if [[ $status -gt 128 ]]; then
        egov__fail "$description" "killed by signal $((status - 128)): $*" "$out"
    elif egov__sanitized "$out"; then
        egov__fail "$description" "sanitizer report: $*" "$out"
    elif ! grep -Eq -- "$regex" "$out"; then
        egov__fail "$description" "output does not match /$regex/ (exit status $status): $*" "$out"
    else
        egov__pass "$description"
    fi
}

# check_fails "description" CMD... — passes when CMD exits 1-127 (a handled error).
check_fails() {
    local description=$1; shift
    local out=$EGOV_TEST_DIR/check.out status=0
    "$@" >"$out" 2>&1 || status=$?
    if [[ $status -eq 0 ]]; then
        egov__fail "$description" "succeeded, expected a failure: $*" "$out"
    elif [[ $status -gt 128 ]]; then
        egov__fail "$description" "killed by signal $((status - 128)): $*" "$out"
    elif egov__sanitized "$out"; then
        egov__fail "$description" "sanitizer report: $*" "$out"
    else
        egov__pass "$description"
    fi
}

# check_exit "description" STATUS CMD... — passes when CMD exits with exactly STATUS
# (stable exit codes are part of a tool's interface) without a sanitizer report.
check_exit() {
    local description=$1 expected=$2; shift 2
    local out=$EGOV_TEST_DIR/check.out status=0
    "$@" >"$out" 2>&1 || status=$?
    if [[ $status -ne $expected ]]; then
        egov__fail "$description" "exit status $status, expected $expected: $*" "$out"
    elif egov__sanitized "$out"; then
        egov__fail "$description" "sanitizer report: $*" "$out"
    else
        egov__pass "$description"
    fi
}

# skip "description" [REASON] — neither passes nor fails.
skip() {
    EGOV_SKIPPED=$((EGOV_SKIPPED + 1))
    echo "skipped - $1${2:+ ($2)}"
}

# Scans the logs of everything started for sanitizer reports: one failure per log.
egov__scan_logs() {
    local name log
    for name in "${EGOV_NAMES[@]}"; do
        log=$EGOV_TEST_DIR/$name.log
        if egov__sanitized "$log"; then
            egov__fail "$name ran without sanitizer reports" "see $log" ""
            grep -E -A 12 "$EGOV_SANITIZER_RE" "$log" | head -n 40 | sed 's/^/#   /'
        fi
    done
}

# Stops what still runs, checks its logs, prints "N passed, M failed", returns 1 on
# failures. Call it last.
egov_test_done() {
    egov_kill_all
    egov__scan_logs
    EGOV_DONE=1
    if [[ $EGOV_FAILED -gt 0 && ${#EGOV_NAMES[@]} -gt 0 ]]; then
        local name
        for name in "${EGOV_NAMES[@]}"; do
            echo "# --- last lines of $name.log (exit status ${EGOV_STATUS[$name]:-?}):"
            egov__show "$EGOV_TEST_DIR/$name.log" 15
        done
    fi
    [[ $EGOV_SKIPPED -gt 0 ]] && echo "# $EGOV_SKIPPED skipped"
    echo "$EGOV_PASSED passed, $EGOV_FAILED failed"
    [[ $EGOV_FAILED -eq 0 ]]
}

# ---------------------------------------------------------------------------
# Processes

# egov_start NAME CMD... — runs CMD in the background, output to $EGOV_TEST_DIR/NAME.log.
egov_start() {
    local name=$1; shift
    if [[ -n ${EGOV_PIDS[$name]:-} ]]; then
        if egov_running "$name"; then
            echo "egov_start: $name already runs (pid ${EGOV_PIDS[$name]})" >&2
            return 1
        fi
        egov_kill "$name"       # it ended by itself: record how, then start it again
    fi
    # Fork without our signal traps: a signal that reaches the child before it execs
    # would otherwise run (or be swallowed by) the test's own trap.
    trap - INT TERM
    "$@" </dev/null >>"$EGOV_TEST_DIR/$name.log" 2>&1 &
    EGOV_PIDS[$name]=$!
    egov__traps
    unset "EGOV_STATUS[$name]"
    [[ " ${EGOV_NAMES[*]} " == *" $name "* ]] || EGOV_NAMES+=("$name")
}

# egov_pid NAME — the pid of a running process started with egov_start.
egov_pid() {
    echo "${EGOV_PIDS[$1]:-}"
}

# egov_log NAME — the path of its log.
egov_log() {
    echo "$EGOV_TEST_DIR/$1.log"
}

# True while process $1 exists and is not a zombie.
egov__alive() {
    local stat
    { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
    stat=${stat##*) }      # after "pid (command) " comes the state letter
    [[ ${stat:0:1} != Z ]]
}

# egov_running NAME — true while it runs.
egov_running() {
    local pid=${EGOV_PIDS[$1]:-}
    [[ -n $pid ]] && egov__alive "$pid"
}

# egov_kill NAME [SIGNAL] — sends SIGNAL (TERM), waits for the exit (SIGKILL after
# EGOV_STOP_TIMEOUT seconds) and records the exit status (egov_status NAME). Returns 0.
egov_kill() {
    local name=$1 signal=${2:-TERM}
    local pid=${EGOV_PIDS[$name]:-} waited=0 status=0
    if [[ -z $pid ]]; then
        echo "egov_kill: $name is not running" >&2
        return 0
    fi
    # bash reports a job killed by a signal ("Killed") on stderr; asked for, it is noise.
    {
        kill -s "$signal" "$pid" || true
        while egov__alive "$pid"; do
            if (( waited >= ${EGOV_STOP_TIMEOUT:-10} * 10 )); then
                echo "egov_kill: $name ignored SIG$signal for ${EGOV_STOP_TIMEOUT:-10}s; killing it" >&3
                kill -KILL "$pid" || true
            fi
            sleep 0.1
            waited=$((waited + 1))
        done
        wait "$pid" || status=$?
    } 3>&2 2>/dev/null
    EGOV_STATUS[$name]=$status
    unset "EGOV_PIDS[$name]"
    return 0
}

# egov_stop NAME — SIGTERM; returns its exit status, so `check "..." egov_stop NAME`
# asserts a clean shutdown.
egov_stop() {
    egov_kill "$1" TERM
    return "${EGOV_STATUS[$1]:-1}"
}

# egov_status NAME — the exit status recorded by egov_kill / egov_stop.
egov_status() {
    echo "${EGOV_STATUS[$1]:-}"
}

# Stops everything still running, in reverse start order.
egov_kill_all() {
    local index name
    for (( index = ${#EGOV_NAMES[@]} - 1; index >= 0; index-- )); do
        name=${EGOV_NAMES[$index]}
        [[ -n ${EGOV_PIDS[$name]:-} ]] && egov_kill "$name" TERM
    done
    return 0
}

# egov_wait_for [-t SECONDS] CMD... — runs CMD every 0.1 s until it succeeds; after
# the timeout (EGOV_WAIT_TIMEOUT, 20 s) prints CMD's last output and returns 1.
egov_wait_for() {
    local timeout=${EGOV_WAIT_TIMEOUT:-20}
    if [[ ${1:-} == -t ]]; then timeout=$2; shift 2; fi
    local out=$EGOV_TEST_DIR/wait.out
    local deadline=$((SECONDS + timeout))
    until "$@" >"$out" 2>&1; do
        if (( SECONDS >= deadline )); then
            echo "timed out after ${timeout}s waiting for: $*"
            cat "$out"
            return 1
        fi
        sleep 0.1
    done
}

# ---------------------------------------------------------------------------
# Ports and the throwaway cluster

# egov_free_port and what it needs, shared with the benchmarks
EGOV_PORTS_GIVEN=$EGOV_TEST_DIR/ports
# shellcheck source=deploy/ports.sh
source "$EGOV_REPO/deploy/ports.sh"

# egov_free_endpoint — tcp://127.0.0.1:<free port>, for a gateway.
egov_free_endpoint() {
    echo "tcp://127.0.0.1:$(egov_free_port)"
}

# egov_conninfo DB — the conninfo of database DB in the throwaway cluster.
egov_conninfo() {
    # shellcheck disable=SC2153  # exported by `pg.sh env` in egov_test_cluster_start
    echo "host=$EGOV_PG_HOST port=$EGOV_PG_PORT user=egov dbname=$1"
}

# egov_test_cluster_start [DB...] — a fresh cluster on a free port in $EGOV_TEST_DIR/pg
# with the databases DB, each exported as EGOV_<DB>_DB (upper case), besides what
# `deploy/pg.sh env` exports (EGOV_PG_HOST, EGOV_PG_PORT, EGOV_SHEP_DB, ...).
egov_test_cluster_start() {
    local attempt out=$EGOV_TEST_DIR/pg.out
    unset EGOV_PG_EXTERNAL
    export EGOV_PG_DIR=$EGOV_TEST_DIR/pg EGOV_PG_FAST=1
    # Another test may grab the port between the check and the bind: try a few.
    for attempt in 1 2 3; do
        EGOV_PG_PORT=$(egov_free_port) || return 1
        export EGOV_PG_PORT
        EGOV_CLUSTER=1
        "$EGOV_PG_SH" start >"$out" 2>&1 && break
        if [[ $attempt -eq 3 ]]; then
            echo "egov_test_cluster_start: the cluster did not start:" >&2
            cat "$out" >&2
            return 1
        fi
    done
    if [[ $# -gt 0 ]] && ! "$EGOV_PG_SH" createdb "$@" >"$out" 2>&1; then
        echo "egov_test_cluster_start: createdb $* failed:" >&2
        cat "$out" >&2
        return 1
    fi
    eval "$("$EGOV_PG_SH" env)"
    local db var
    for db in "$@"; do
        var=${db^^}
        var=EGOV_${var//[^A-Z0-9]/_}_DB
        export "$var=$(egov_conninfo "$db")"
    done
}

# egov_test_cluster_stop — stops the throwaway cluster and deletes it.
egov_test_cluster_stop() {
    [[ $EGOV_CLUSTER -eq 1 ]] || return 0
    "$EGOV_PG_SH" destroy >/dev/null 2>&1 || "$EGOV_PG_SH" destroy
    EGOV_CLUSTER=0
}

# ---------------------------------------------------------------------------
# Cleanup, whatever way the test ends

egov__cleanup() {
    local status=$?
    # A child forked by egov_start that is signalled before it execs still carries
    # these traps: only the test's own shell may clean up.
    [[ $BASHPID == "$$" ]] || exit "$status"
    trap - EXIT
    set +e
    egov_kill_all
    if [[ $EGOV_DONE -eq 0 && ${EGOV_TEST_SUMMARY:-1} != 0 ]]; then
        # The test stopped before egov_test_done (set -e, a missing binary...).
        egov__scan_logs
        egov__fail "the test ran to its end" "it stopped early with exit status $status"
        [[ $status -eq 0 ]] && status=1
        echo "$EGOV_PASSED passed, $EGOV_FAILED failed"
    fi
    egov_test_cluster_stop
    if [[ ${EGOV_KEEP_TMP:-0} == 1 ]]; then
        echo "# kept $EGOV_TEST_DIR" >&2
    else
        rm -rf "$EGOV_TEST_DIR"
    fi
    exit "$status"
}

# Ctrl-C or a timeout still runs the cleanup (through the EXIT trap).
egov__traps() {
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

trap egov__cleanup EXIT
egov__traps
