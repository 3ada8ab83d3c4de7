#!/usr/bin/env bash
# Hostile and oversized input: each gets its own error code, nothing crashes,
# the next request is served; bounded queues answer QUEUE_FULL; text that is
# not UTF-8 fails its own frame only; thousands of mutated frames later the
# gateway still serves (and the closing scan finds no sanitizer report).
source "$(dirname "$0")/common.sh"
it_setup shep sink
# The probe's participants: probe tests every check past the rights (so it may
# reach them), probe-guest has a key and no rights, the mutant may do anything
it_grant 'probe call nobody.provides.this' 'probe clock' 'probe send * *' \
    'probe-sender send probe-sender probe.batch' 'probe-rogue send probe-sender probe.batch' \
    'probe-mutant provide probe.mutant' 'probe-mutant call *' 'probe-mutant send * *' \
    'probe-mutant clock' 'probe-mutant log' 'silent provide test.silent' 'egovctl call test.silent' \
    'egovctl send * *' 'bench-async send bench-sink bench.async'
it_admit probe-guest probe-after probe-stranger bench-async bench-sink
it_start_gateway --max-message 65536 --max-calls 1 --max-queued-bytes 200000
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
check_output "a frame nested 9,000 deep before hello is answered, not a crash" \
    'nested 9,000 deep before hello +NOT_REGISTERED' cat "$EGOV_TEST_DIR/probe.txt"
check_output "... and the same connection is served next" 'heartbeat before hello +NOT_REGISTERED' cat "$EGOV_TEST_DIR/probe.txt"
check_output "a frame nested 9,000 deep after hello: MALFORMED_ENVELOPE" \
    'nested 9,000 deep after hello +MALFORMED_ENVELOPE' cat "$EGOV_TEST_DIR/probe.txt"
check_output "a sync request with text that is not UTF-8: MALFORMED_FRAME" \
    'text not UTF-8 +MALFORMED_FRAME' cat "$EGOV_TEST_DIR/probe.txt"
check_output "a frame with a field numbered 0, which would not survive a relay: MALFORMED_FRAME" \
    'field numbered 0 +MALFORMED_FRAME' cat "$EGOV_TEST_DIR/probe.txt"
check_output "an in_order submission refused for now (no right to that service)" \
    'in order, refused for now +ACCESS_DENIED' cat "$EGOV_TEST_DIR/probe.txt"
check_output "... holds the same connection's later in_order ones to that recipient: OUT_OF_ORDER" \
    'in order, the next one +OUT_OF_ORDER' cat "$EGOV_TEST_DIR/probe.txt"
check_output "... but not a submission without in_order" \
    'in order, not in order beside it +ON_DELIVERY' cat "$EGOV_TEST_DIR/probe.txt"
check_output "... until the refused one comes again (refused again here, so still held)" \
    'in order, the next one again +OUT_OF_ORDER' cat "$EGOV_TEST_DIR/probe.txt"
check_output "... and a new connection starts afresh" \
    'in order, on a new connection +ON_DELIVERY' cat "$EGOV_TEST_DIR/probe.txt"
check_output "a clock set past the year 9999, which every process would overflow on: INVALID_CLOCK" \
    'clock set past the year 9999 +INVALID_CLOCK' cat "$EGOV_TEST_DIR/probe.txt"
check_output "a clock advanced past the year 9999: INVALID_CLOCK" \
    'clock advanced past the year 9999 +INVALID_CLOCK' cat "$EGOV_TEST_DIR/probe.txt"
check_output "an async submission whose correlation id is not UTF-8: MALFORMED_FRAME" \
    'correlation not UTF-8 +MALFORMED_FRAME' cat "$EGOV_TEST_DIR/probe.txt"
check_output "another participant's submissions sent with it are all committed" \
    'beside it +ON_DELIVERY 20/20 committed' cat "$EGOV_TEST_DIR/probe.txt"
check "... and stored" it_query_is shep \
    "SELECT count(*) FROM async_message WHERE sender_id = 'probe-sender' AND status = 'ON_DELIVERY' AND correlation_id <> 'probe-order'" 20
check "nothing of the bad submission is stored" it_query_is shep \
    "SELECT count(*) FROM async_message WHERE sender_id = 'probe-rogue'" 0

# Trust: a participant is who its key says and does what its rights say
probe() { check_output "$1: $2" "$3 +$2" cat "$EGOV_TEST_DIR/probe.txt"; }
probe "a key the gateway does not trust gets no answer at all" NOT_LET_IN 'hello with an unknown key'
probe "a hello as another participant" IDENTITY_MISMATCH 'hello as another participant'
probe "a hello providing a service not granted" ACCESS_DENIED 'hello providing a service not granted'
probe "a hello claiming a region's route" ACCESS_DENIED 'hello claiming a route not granted'
probe "a session under one's own key" WELCOME 'hello with nothing to serve'
probe "a sync call not granted" ACCESS_DENIED 'sync call not granted'
probe "a forged application.registered straight to a local executive body" ACCESS_DENIED 'async message not granted'
probe "an application sent to a region's route without the right" ACCESS_DENIED 'async message to a route not granted'
probe "a message to an id nobody registered" UNKNOWN_RECIPIENT 'async message to an unregistered id'
probe "setting the clock without the right" ACCESS_DENIED 'clock set not granted'
probe "reading the log without the right" ACCESS_DENIED 'log read not granted'
probe "verifying the log without the right" ACCESS_DENIED 'log verify not granted'
check "no participant id made up by a stranger is stored" it_query_is shep \
    "SELECT count(*) FROM participant WHERE participant_id IN ('gbdfl', 'probe-guest', 'probe-nobody')" 0

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

# The bytes waiting for a commit are bounded too: twenty messages of 60 kB at once are
# more than 200,000 bytes, so some are refused for now (QUEUE_FULL), sent again, and all
# arrive; the gateway's memory holds no more than its bound says
"$EGOV_BIN/shep-bench" async --gateway "$EGOV_GATEWAY" --count 20 --window 20 --size 60000 \
    > "$EGOV_TEST_DIR/burst.txt" 2>&1
check_output "bytes beyond --max-queued-bytes waiting for a commit: QUEUE_FULL, for now" \
    'refused for now \(QUEUE_FULL\) and sent again' cat "$EGOV_TEST_DIR/burst.txt"
check_output "... and every message sent again arrives once" \
    'delivered and acknowledged: 20 in' cat "$EGOV_TEST_DIR/burst.txt"

# Last, as its mutants change the clock, call services and queue messages:
# 200 mutations of a valid frame of each body type (fixed seed, under a second)
check_output "4,600 mutated frames of every kind later, the gateway still serves" \
    'well-formed query afterwards +ANSWERED' "$EGOV_BIN/shep-probe" --mutate 4600 "$EGOV_GATEWAY"
check "... and still runs" egov_running shep
check "after all that, the gateway still answers" ctl participants
egov_test_done
