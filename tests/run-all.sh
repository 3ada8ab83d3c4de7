#!/usr/bin/env bash
# Runs every test against the binaries in BUILD_DIR/bin (what `make test` calls):
#   1. BUILD_DIR/bin/egov-selftest (the classes' cmocka selftests), with EGOV_TEST_DB
#      pointing to an empty database in a throwaway cluster;
#   2. every tests/integration/[0-9]*.sh (NN-name.sh), in name order, each with
#      EGOV_BIN=BUILD_DIR/bin; other files there are helpers the tests source.
#   3. every integration test with a "# date-sensitive" line again, "as of" each moment
#      of EGOV_TEST_DATES (tests/lib.sh's EGOV_TEST_AS_OF: the gateway's simulation clock
#      starts there), so that no test passes only on the day it was written.
# Ends with one line "N passed, M failed" summed over everything (each cmocka test counts
# once); exits non-zero when anything failed.
#
#   tests/run-all.sh build/san
#
# Environment: EGOV_TEST_TIMEOUT seconds one part may take [600]; EGOV_TEST_DATES the
# moments of part 3, names or ISO 8601 [saturday new-year-eve leap-day calendar-data-end],
# empty to skip it; EGOV_TEST_AS_OF runs parts 1 and 2 as of a moment too; ASAN_OPTIONS,
# UBSAN_OPTIONS and LSAN_OPTIONS are respected when set.
set -euo pipefail

if [[ $# -ne 1 || $1 == -h || $1 == --help ]]; then
    sed -n '2,20s/^# \{0,1\}//p' "$0"
    [[ $# -eq 1 && ($1 == -h || $1 == --help) ]] && exit 0
    exit 2
fi

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=$1
[[ $BUILD_DIR == /* ]] || BUILD_DIR=$PWD/$BUILD_DIR
export EGOV_BIN=$BUILD_DIR/bin
TIMEOUT=${EGOV_TEST_TIMEOUT:-600}
cd "$REPO"

# Sanitizers: stop at the first error with a stack, and report leaks at exit.
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:print_stacktrace=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
if [[ -z ${LSAN_OPTIONS:-} && -f $REPO/tests/lsan.supp ]]; then
    export LSAN_OPTIONS=suppressions=$REPO/tests/lsan.supp:print_suppressions=0
fi
export CMOCKA_MESSAGE_OUTPUT=stdout

TOTAL_PASSED=0
TOTAL_FAILED=0
SUMMARY=()          # one line per part, repeated at the end
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/egov-run-all.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT

# record NAME PASSED FAILED [NOTE]
record() {
    TOTAL_PASSED=$((TOTAL_PASSED + $2))
    TOTAL_FAILED=$((TOTAL_FAILED + $3))
    SUMMARY+=("$(printf '%-52s %4d passed, %d failed%s' "$1" "$2" "$3" "${4:+  ($4)}")")
}

# The cmocka selftests: counts come from cmocka's own summary lines; a crash, a leak
# report at exit or a missing summary still counts as (at least) one failure.
run_selftest() {
    local out=$SCRATCH/selftest.out status=0
    echo "=== egov-selftest"
    if [[ ! -x $EGOV_BIN/egov-selftest ]]; then
        echo "not ok - $EGOV_BIN/egov-selftest not found (build first)"
        record egov-selftest 0 1 "missing"
        return
    fi
    # A small script so that lib.sh's cleanup removes the cluster whatever happens.
    # shellcheck disable=SC2016  # expanded by that script
    timeout -k 10 "$TIMEOUT" bash -c '
        EGOV_TEST_SUMMARY=0
        source tests/lib.sh
        egov_test_cluster_start selftest >&2
        EGOV_TEST_DB=$EGOV_SELFTEST_DB "$EGOV_BIN/egov-selftest"
    ' 2>&1 | tee "$out" || status=$?
    local counts
    counts=$(awk '
        /^\[==========\] Running [0-9]+ test/ { total += $3 }
        /^\[       OK \]/                     { ok++ }
        /^\[  PASSED  \] [0-9]+ test/         { passed += $4; summary = 1 }
        /^\[  FAILED  \] [0-9]+ test/         { failed += $4 }
        /^\[  SKIPPED \] [0-9]+ test/         { skipped += $4 }
        END { if (!summary) passed = ok; print total + 0, passed + 0, failed + 0, skipped + 0 }
    ' "$out")
    local total passed failed skipped note=""
    read -r total passed failed skipped <<<"$counts"
    if [[ $status -ne 0 && $failed -eq 0 ]]; then
        failed=$((total - passed - skipped))
        [[ $failed -gt 0 ]] || failed=1
        note="exit status $status"
        [[ $status -eq 124 ]] && note="timed out after ${TIMEOUT}s"
        echo "not ok - egov-selftest: $note"
    fi
    [[ $skipped -gt 0 ]] && note="${note:+$note, }$skipped skipped"
    record egov-selftest "$passed" "$failed" "$note"
}

# One integration test script: counts come from its "N passed, M failed" line.
# run_integration SCRIPT [AS_OF]: AS_OF runs it as of that moment.
run_integration() {
    local script=$1 as_of=${2:-} name out status=0
    name=integration/$(basename "$script")${as_of:+ @$as_of}
    out=$SCRATCH/$(basename "$script")${as_of:+.$as_of}.out
    echo "=== $name"
    if [[ -n $as_of ]]; then
        EGOV_TEST_AS_OF=$as_of timeout -k 10 "$TIMEOUT" bash "$script" 2>&1 | tee "$out" || status=$?
    else
        timeout -k 10 "$TIMEOUT" bash "$script" 2>&1 | tee "$out" || status=$?
    fi
    local line passed=0 failed=0 note=""
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1 || true)
    if [[ -n $line ]]; then
        passed=${line%% *}
        failed=${line#*, }
        failed=${failed%% *}
    fi
    if [[ $status -ne 0 && $failed -eq 0 ]]; then
        failed=1
        note="exit status $status"
        [[ $status -eq 124 ]] && note="timed out after ${TIMEOUT}s"
        echo "not ok - $name: $note"
    elif [[ -z $line ]]; then
        failed=1
        note="no summary line"
        echo "not ok - $name: $note"
    fi
    local skipped
    skipped=$(grep -c '^skipped - ' "$out" || true)
    [[ $skipped -gt 0 ]] && note="${note:+$note, }$skipped skipped"
    record "$name" "$passed" "$failed" "$note"
}

run_selftest
shopt -s nullglob
for script in "$REPO"/tests/integration/[0-9]*.sh; do
    run_integration "$script"
done
for moment in ${EGOV_TEST_DATES-saturday new-year-eve leap-day calendar-data-end}; do
    for script in "$REPO"/tests/integration/[0-9]*.sh; do
        grep -q '^# date-sensitive' "$script" && run_integration "$script" "$moment"
    done
done

echo
echo "=== summary ($(basename "$BUILD_DIR"))"
printf '%s\n' "${SUMMARY[@]}"
echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed"
[[ $TOTAL_FAILED -eq 0 ]]
