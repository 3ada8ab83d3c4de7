#!/usr/bin/env bash
# The local executive body (ЖАО АЖ) of Almaty as a real process behind the
# central gateway, with shep-sink playing its regional gateway: the command
# line, the manual-mode HTTP API and its error codes, deliveries it can
# never apply (rejected with a stable code), the outbox sending what it
# holds to regional-750000000, a resend after a crash that nobody receives
# twice, and a restart from another working directory that still finds the
# regulations and the test CA. The flow of a registered application through
# the steps is driven end to end by 90-diagram1.sh (a RegisteredApplication
# needs a protobuf encoder the shell does not have) and by leb_server's
# selftest.
# date-sensitive: the provider's steps on the calendar, certificates at the simulated date (tests/run-all.sh runs it again as of other moments)
source "$(dirname "$0")/common.sh"
REGION=750000000
LEB=leb-$REGION
REGIONAL=regional-$REGION
it_setup shep "leb_$REGION" sink
# egovctl plays a broken participant here: what the receivers refuse themselves
it_grant 'egovctl send * *'
PKI=$EGOV_TEST_DIR/pki
export EGOV_PKI_DIR=$PKI
HTTP_PORT=$(egov_free_port)
BASE=http://127.0.0.1:$HTTP_PORT
ctl() { "$EGOV_BIN/egovctl" "$@"; }
leb_db() { it_psql "leb_$REGION" -Atc "$1"; }
start_leb() {
    egov_start leb "$EGOV_BIN/leb" --region "$REGION" --gateway "$EGOV_GATEWAY" \
        --db "$(it_db "leb_$REGION")" --pki "$PKI" --manual --http "127.0.0.1:$HTTP_PORT"
    egov_wait_for it_connected "$LEB"
}
# http METHOD PATH [BODY]: the body of the answer, then "HTTP <status>".
http() {
    local args=(-sS -X "$1" -w '\nHTTP %{http_code}\n')
    [[ -n ${TOKEN:-} ]] && args+=(-H "Authorization: Bearer $TOKEN")
    [[ $# -ge 3 ]] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
    curl "${args[@]}" "$BASE$2"
}
# login LOGIN PASSWORD: the token of a login to the task API.
login() { TOKEN='' http POST /api/v1/login "{\"login\":\"$1\",\"password\":\"$2\"}" | sed '$d' | jq -r .token; }
delivery_of() {
    it_psql shep -Atc "SELECT status || ' ' || coalesce (error_code, '') FROM async_message WHERE message_id = '$1'"
}
wait_settled() {
    egov_wait_for it_query_is shep "SELECT count(*) FROM async_message WHERE message_id = '$1' AND status <> 'ON_DELIVERY'" 1
}
sink_count() { it_psql sink -Atc "SELECT count(*) FROM inbox WHERE message_id = '$1'"; }

# The command line
check_exit "leb --help exits 0" 0 "$EGOV_BIN/leb" --help
check_output "--help names the manual mode and the HTTP API" '--manual.*--http' oneline "$EGOV_BIN/leb" --help
check_exit "a region is required" 64 "$EGOV_BIN/leb"
check_output "... as a 9-digit KATO code" '9-digit KATO' "$EGOV_BIN/leb" --region 75
check_exit "an unknown flag is a usage error" 64 "$EGOV_BIN/leb" --region "$REGION" --bogus
check_exit "a flag without its value is a usage error" 64 "$EGOV_BIN/leb" --region "$REGION" --db
check_output "without the authorised person's certificate it does not start: SIGNER_KEY" \
    'cannot start: SIGNER_KEY' "$EGOV_BIN/leb" --region "$REGION" --pki "$EGOV_TEST_DIR/no-pki" \
    --db "$(it_db "leb_$REGION")"
check "the test CA is made" it_pki_init
it_admit leb-999999999      # a key of its own: the region is what is wrong
check_output "a region without services does not start: UNKNOWN_REGION" 'cannot start: UNKNOWN_REGION' \
    "$EGOV_BIN/leb" --region 999999999 --pki "$PKI" --db "$(it_db "leb_$REGION")"
check_output "a malformed HTTP address does not start: HTTP_ADDRESS" 'cannot start: HTTP_ADDRESS' \
    "$EGOV_BIN/leb" --region "$REGION" --pki "$PKI" --db "$(it_db "leb_$REGION")" --http localhost

it_start_gateway --redeliver 1000
egov_start sink "$EGOV_BIN/shep-sink" --id "$REGIONAL" --db "$(it_db sink)"
egov_wait_for it_connected "$REGIONAL"
start_leb
check_output "the leb is connected as leb-750000000" "^$LEB " ctl participants
check "it says it is ready in manual mode" egov_wait_for grep -q "$LEB ready, manual mode" "$(egov_log leb)"

# The HTTP API: the health for anyone, the tasks for the staff who logged in
check_output "health: ok, manual, signed by the Almaty provider's head" \
    '"mode":"manual".*"signer":"[^"]+'  http GET /api/v1/health
check_output "the tasks without a login: 401 AUTH_REQUIRED" '"code":"AUTH_REQUIRED".*HTTP 401' \
    oneline http GET /api/v1/tasks
check_output "taking a task without a login: 401 AUTH_REQUIRED" '"code":"AUTH_REQUIRED".*HTTP 401' \
    oneline http POST /api/v1/tasks/1/take '{}'
check_output "refusing a task without a login: 401 AUTH_REQUIRED" '"code":"AUTH_REQUIRED".*HTTP 401' \
    oneline http POST /api/v1/tasks/1/complete '{"decision": "refuse", "grounds": ["forged"]}'
check_output "a made-up token: 401 AUTH_REQUIRED" '"code":"AUTH_REQUIRED".*HTTP 401' \
    oneline env TOKEN=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef \
        bash -c "curl -sS -H 'Authorization: Bearer \$TOKEN' -w '\nHTTP %{http_code}\n' '$BASE/api/v1/tasks'"
check_output "a wrong password: 401 AUTH_FAILED" '"code":"AUTH_FAILED".*HTTP 401' \
    oneline http POST /api/v1/login '{"login": "executor1", "password": "guess"}'
check_output "an unknown login: 401 AUTH_FAILED, the same answer" '"code":"AUTH_FAILED".*HTTP 401' \
    oneline http POST /api/v1/login '{"login": "nobody", "password": "guess"}'
for attempt in 2 3 4; do http POST /api/v1/login '{"login": "executor1", "password": "guess"}' >/dev/null; done
check_output "the fifth wrong password in a row locks the login: 429 LOCKED" '"code":"LOCKED".*HTTP 429' \
    oneline http POST /api/v1/login '{"login": "executor1", "password": "guess"}'
check_output "... and while locked the right one is refused too" '"code":"LOCKED".*HTTP 429' \
    oneline http POST /api/v1/login '{"login": "executor1", "password": "demo-executor1"}'
check_output "the clerk logs in: a bearer token, the clerk's name and role" \
    '"token":"[0-9a-f]{64}".*"role":"clerk".*HTTP 200' \
    oneline http POST /api/v1/login '{"login": "clerk1", "password": "demo-clerk1"}'
TOKEN=$(login clerk1 demo-clerk1)
check_output "no tasks yet" '^\{"tasks":\[\]\}' http GET /api/v1/tasks
check_output "no clerk's tasks either" '^\{"tasks":\[\]\}' http GET '/api/v1/tasks?role=clerk'
check_output "another role's tasks: 403 FORBIDDEN_ROLE" '"code":"FORBIDDEN_ROLE".*HTTP 403' \
    oneline http GET '/api/v1/tasks?role=executor'
check_output "taking an unknown task is 404 TASK_NOT_FOUND" '"code":"TASK_NOT_FOUND".*HTTP 404' \
    oneline http POST /api/v1/tasks/42/take '{}'
check_output "taking a task under someone else's name: 403 NOT_YOUR_NAME" '"code":"NOT_YOUR_NAME".*HTTP 403' \
    oneline http POST /api/v1/tasks/42/take '{"assignee": "Бота"}'
check_output "completing an unknown task is 404 TASK_NOT_FOUND" '"code":"TASK_NOT_FOUND".*HTTP 404' \
    oneline http POST /api/v1/tasks/42/complete '{"decision": "approve"}'
check_output "a task id that is no number is 404 TASK_NOT_FOUND" '"TASK_NOT_FOUND".*HTTP 404' \
    oneline http POST /api/v1/tasks/abc/take '{}'
check_output "bad JSON is 400 BAD_JSON" '"code":"BAD_JSON".*HTTP 400' \
    oneline http POST /api/v1/tasks/42/take '{"assignee": '
check_output "a misspelt field is 400 UNKNOWN_FIELD" '"code":"UNKNOWN_FIELD".*HTTP 400' \
    oneline http POST /api/v1/tasks/42/complete '{"desicion": "approve"}'
check_output "an empty assignee is 400 INVALID_ASSIGNEE" '"code":"INVALID_ASSIGNEE".*HTTP 400' \
    oneline http POST /api/v1/tasks/42/take '{"assignee": ""}'
check_output "a decision other than approve/refuse is 400 INVALID_DECISION" \
    '"code":"INVALID_DECISION".*HTTP 400' oneline http POST /api/v1/tasks/42/complete '{"decision": "maybe"}'
check_output "a wrong method is 405 METHOD_NOT_ALLOWED" '"METHOD_NOT_ALLOWED".*HTTP 405' \
    oneline http DELETE /api/v1/tasks
check_output "an unknown path is 404 NOT_FOUND" '"code":"NOT_FOUND".*HTTP 404' oneline http GET /api/v1/nothing
check_output "/metrics: answers by status, errors by code, the runtime's numbers, for Prometheus" \
    'egov_http_requests_total\{status="401"\} [0-9]+.*egov_http_errors_total\{code="AUTH_REQUIRED"\} [0-9]+.*egov_outbox_pending [0-9]+' \
    oneline curl -s "$BASE/metrics"

# Deliveries it can never apply: acknowledged with a reject code, never retried
id=$(ctl --as "$REGIONAL" send --to "$LEB" --service application.registered --text "not an application" | cut -d' ' -f1)
wait_settled "$id"
check_output "text in place of a RegisteredApplication is rejected: MALFORMED_PAYLOAD" \
    '^DELIVERY_STOPPED MALFORMED_PAYLOAD$' delivery_of "$id"
id=$(ctl --as "$REGIONAL" send --to "$LEB" --service application.recall --text "not a movement" | cut -d' ' -f1)
wait_settled "$id"
check_output "text in place of a ResultMovement is rejected: MALFORMED_PAYLOAD" \
    '^DELIVERY_STOPPED MALFORMED_PAYLOAD$' delivery_of "$id"
id=$(ctl send --to "$LEB" --service gbdfl.person --text "x" | cut -d' ' -f1)
wait_settled "$id"
check_output "a service the leb does not process is rejected: UNSUPPORTED_SERVICE" \
    '^DELIVERY_STOPPED UNSUPPORTED_SERVICE$' delivery_of "$id"
# A registration from anyone but the region's regional gateway, even one the bus
# lets through (this test grants egovctl every send), is not the leb's to take
id=$(ctl send --to "$LEB" --service application.registered --text "forged" | cut -d' ' -f1)
wait_settled "$id"
check_output "a registration from anyone but its regional gateway is rejected: UNEXPECTED_SENDER" \
    '^DELIVERY_STOPPED UNEXPECTED_SENDER$' delivery_of "$id"
check_output "each rejection is decided once and kept with its code, nothing applied" \
    '^MALFORMED_PAYLOAD,MALFORMED_PAYLOAD,UNEXPECTED_SENDER,UNSUPPORTED_SERVICE\|0$' \
    leb_db "SELECT string_agg (outcome, ',' ORDER BY outcome), (SELECT count(*) FROM application) FROM shep_inbox"

# The outbox: a message stored with its id is sent to regional-750000000 ...
msg=6f1b8a52-3c0e-4d7a-9a57-0c2d7e1f0001
# envelope_hex: a packed egov.Envelope (UPDATE application.status with a StatusNotice)
envelope_hex() {
    python3 -c '
import sys
def varint(n):
    out = b""
    while True:
        out += bytes([(n & 0x7f) | (0x80 if n > 0x7f else 0)])
        n >>= 7
        if not n:
            return out
def field(number, value):
    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    value = value.encode() if isinstance(value, str) else value
    return varint(number << 3 | 2) + varint(len(value)) + value
message_id, correlation, recipient = sys.argv[1:4]
packed = (field(1, message_id) + field(2, correlation) + field(3, "application.status")
          + field(4, 4) + field(10, recipient) + field(11, "egov.applications.StatusNotice")
          + field(12, bytes([0x10, 0x04])))
print(packed.hex())' "$@"
}
leb_db "INSERT INTO shep_outbox (sender, message_id, recipient, service_id, correlation_id, envelope)
        VALUES ('$LEB', '$msg', '$REGIONAL', 'application.status', 'c-outbox',
                '\\x$(envelope_hex "$msg" c-outbox "$REGIONAL")'::bytea)" >/dev/null
check "a stored message reaches regional-750000000" egov_wait_for it_query_is sink \
    "SELECT payload_type FROM inbox WHERE message_id = '$msg'" egov.applications.StatusNotice
check "... and is marked sent" egov_wait_for it_query_is "leb_$REGION" \
    "SELECT count(*) FROM shep_outbox WHERE message_id = '$msg' AND sent_at IS NOT NULL" 1
# ... and a crash between sending and marking it sends the same id again, received once
egov_kill leb KILL
leb_db "UPDATE shep_outbox SET sent_at = NULL WHERE message_id = '$msg'" >/dev/null
start_leb
check "after a restart the same message is sent again" egov_wait_for it_query_is "leb_$REGION" \
    "SELECT count(*) FROM shep_outbox WHERE message_id = '$msg' AND sent_at IS NOT NULL" 1
check_output "the gateway stored it once" '^1$' \
    it_psql shep -Atc "SELECT count(*) FROM async_message WHERE message_id = '$msg'"
check_output "regional-750000000 received it once" '^1$' sink_count "$msg"
check_output "... DELIVERED" 'DELIVERED' ctl status "$msg"

# Auto mode serves the task list read-only. This leb starts in /tmp with neither
# --pki nor --regulations, nor their variables: it finds both in the repository it
# was built in, here a copy of the binary in a checkout of the test's own.
egov_kill leb TERM
check_output "SIGTERM stops it cleanly" '^0$' egov_status leb
checkout=$EGOV_TEST_DIR/checkout
mkdir -p "$checkout/build/san/bin" "$checkout/var"
cp "$EGOV_BIN/leb" "$checkout/build/san/bin/leb"
ln -s "$EGOV_REPO/regulations" "$checkout/regulations"
ln -s "$PKI" "$checkout/var/pki"
egov_start leb env -C /tmp -u EGOV_PKI_DIR -u EGOV_REGULATIONS "$checkout/build/san/bin/leb" \
    --region "$REGION" --gateway "$EGOV_GATEWAY" --db "$(it_db "leb_$REGION")" \
    --http "127.0.0.1:$HTTP_PORT"
egov_wait_for it_connected "$LEB"
egov_wait_for curl -sf "$BASE/api/v1/health" -o /dev/null
check_output "started in /tmp, it finds the repository's regulations and PKI" \
    "$LEB ready, auto mode" cat "$(egov_log leb)"
check_output "auto mode: health says so" '"mode":"auto"' http GET /api/v1/health
check_output "auto mode: taking a task is 409 AUTO_MODE (the session outlived the restart)" \
    '"code":"AUTO_MODE".*HTTP 409' oneline http POST /api/v1/tasks/1/take '{}'
check "SIGTERM stops it cleanly" egov_stop leb
egov_test_done
