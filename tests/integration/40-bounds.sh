#!/usr/bin/env bash
# Hostile and oversized input: each gets its own error code, nothing crashes,
# the next request is served; bounded queues answer QUEUE_FULL.
source "$(dirname "$0")/common.sh"
it_setup shep sink
it_start_gateway --max-message 65536 --max-calls 1
ctl() { "$EGOV_BIN/egovctl" "$@"; }

"$EGOV_BIN/shep-probe" "$EGOV_GATEWAY" 200000 > "$EGOV_TEST_DIR/probe.txt" 2>&1
check "the gateway answered every broken input and still serves" bash -c "grep -q 'ANSWERED' '$EGOV_TEST_DIR/probe.txt'"
check_output "garbage bytes: MALFORMED_FRAME" 'garbage bytes +MALFORMED_FRAME' cat "$EGOV_TEST_DIR/probe.txt"
check_output "a multi-part message: MALFORMED_FRAME" 'two-part message +MALFORMED_FRAME' cat "$EGOV_TEST_DIR/probe.txt"
check_output "a frame before hello: NOT_REGISTERED" 'before hello +NOT_REGISTERED' cat "$EGOV_TEST_DIR/probe.txt"
check_output "a bad participant id: INVALID_PARTICIPANT" 'bad participant id +INVALID_PARTICIPANT' cat "$EGOV_TEST_DIR/probe.txt"
check_output "a request without envelope: MALFORMED_ENVELOPE" 'without an envelope +MALFORMED_ENVELOPE' cat "$EGOV_TEST_DIR/probe.txt"
check_output "a message id that is no UUID: MALFORMED_ENVELOPE" 'bad message id +MALFORMED_ENVELOPE' cat "$EGOV_TEST_DIR/probe.txt"
check_output "an oversized message: MESSAGE_TOO_LARGE" 'oversized message +MESSAGE_TOO_LARGE' cat "$EGOV_TEST_DIR/probe.txt"

head -c 100000 /dev/urandom > "$EGOV_TEST_DIR/big.bin"
check_output "an oversized async message from egovctl is refused with a clear error" 'MESSAGE_TOO_LARGE' \
    ctl send --to nobody --file "$EGOV_TEST_DIR/big.bin"

# One call allowed in flight: a second concurrent one is QUEUE_FULL
egov_start silent "$EGOV_BIN/shep-sink" --id silent --service test.silent --sync ignore --db "$(it_db sink)"
egov_wait_for it_connected silent
ctl --timeout 2000 call --service test.silent --text "first" > "$EGOV_TEST_DIR/first.txt" 2>&1 &
first=$!
sleep 0.5
check_output "a call beyond the gateway's bound gets QUEUE_FULL" 'QUEUE_FULL' \
    ctl --timeout 2000 call --service test.silent --text "second"
wait $first
check_output "the first call ends in TIMEOUT, not silence" 'TIMEOUT' cat "$EGOV_TEST_DIR/first.txt"
check "after all that, the gateway still answers" ctl participants
egov_test_done
