#!/usr/bin/env bash
# A second-language client kept green: examples/python/leb.py, a local executive body
# written with Debian's python3-zmq and python3-protobuf, replaces the built-in one of
# Almaty in the running system the way docs/integrators.md says (run.sh stop, the stub's
# key pair, the provider organisation's certificate). An application handed in at the
# desk reaches it, its status notice and its result signed with `openssl cms` come back,
# the desk shows the result READY with the signature OK and a document that follows
# docs/result.schema.json; a refusal too; a delivery from anyone but the regional gateway
# is rejected by the Python system itself; then the stub comes back.
source "$(dirname "$0")/common.sh"
PYTHON=/usr/bin/python3
REGION=750000000
LEB=leb-$REGION

it_run_env
# The shipped rights, and one line for this test: egovctl may play a forger to the leb
export EGOV_RIGHTS=$EGOV_TEST_DIR/rights.conf
{ cat "$EGOV_REPO/gateway/rights.conf"; echo "egovctl send $LEB application.registered"; } >"$EGOV_RIGHTS"
ctl() { "$EGOV_BIN/egovctl" "$@"; }
BASE=http://$EGOV_INTAKE_HTTP
RUN=$EGOV_REPO/deploy/run.sh

check "python3-zmq, python3-protobuf and python3-jsonschema are there (deploy/install-deps.sh)" \
    "$PYTHON" -c 'import zmq, google.protobuf, jsonschema; assert zmq.has("curve")'
it_run_start
check "the system runs" it_connected "$LEB"

# Replace the stub: stop it, start ours under its id with its key pair
check "run.sh stop $LEB" "$RUN" stop "$LEB"
egov_wait_for it_gone "$LEB"
python_leb() {
    egov_start python-leb "$PYTHON" "$EGOV_REPO/examples/python/leb.py" --region "$REGION" \
        --state "$EGOV_TEST_DIR/python-leb.json" "$@"
    egov_wait_for it_connected "$LEB"
}
python_leb
check_output "the Python participant is connected under the stub's id, with CURVE" \
    "connected as $LEB" cat "$(egov_log python-leb)"

# A morning the desk is open, a week ahead of the simulated today
day=$(it_open_day "$(it_day "$(it_today)" 7)" state-corp)
ctl clock set "${day}T10:00" >/dev/null

# The desk, as an operator uses it
TOKEN=$(curl -sS -H 'Content-Type: application/json' \
    --data '{"login":"operator1","password":"demo-operator1"}' "$BASE/api/v1/operator/login" | jq -r .token)
b64() { printf '%s' "$1" | base64 -w0; }
doc() { printf '{"type":"%s","name":"%s.pdf","content_base64":"%s"}' "$1" "$1" "$(b64 "scan of $1")"; }
submit() {
    curl -sS -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" --data \
        "{\"service\":\"school-duplicate\",\"region\":\"$REGION\",\"applicant_iin\":\"850314301234\",\"representative\":null,\"documents\":[$(doc application),$(doc identity-document)],\"consent\":true}" \
        "$BASE/api/v1/applications" | jq -r .id
}
document_check() {
    show "$1" | jq .result.document | "$PYTHON" "$EGOV_REPO/tests/schema-check.py" "$EGOV_REPO/docs/result.schema.json"
}

ID=$(submit)
check_output "an application handed in at the desk is accepted" '^[0-9a-f-]{36}$' echo "$ID"
check_output "the courier takes the paper package to the provider's office (one working day)" \
    '^settled' ctl clock advance 2wd --settle
check_output "the Python leb decides it: READY at the desk" "^$ID READY school-duplicate $REGION " \
    ctl wait "$ID" --status READY,REFUSED --timeout 60s
check_output "... the result is approved and its signature, by the region's provider, is OK" \
    '"approved": true.*"signature": "OK"' oneline show "$ID"
check_output "... its document follows docs/result.schema.json" '^valid$' document_check "$ID"
check_output "... the Python leb's status notice is in the history" 'the integrator.s system decides' \
    oneline show "$ID"
check_output "... and the journey shows the Python leb's messages delivered" \
    "regional-$REGION -> $LEB +REQUEST +application\.registered +DELIVERED.*$LEB -> regional-$REGION +UPDATE +application\.status +DELIVERED.*$LEB -> regional-$REGION +RESPONSE +application\.result +DELIVERED" \
    oneline ctl trace "$ID"

# A delivery from anyone but the regional gateway is rejected by the Python leb itself
forged=$(ctl send --to "$LEB" --service application.registered --type REQUEST --text forged | cut -d' ' -f1)
egov_wait_for bash -c "'$EGOV_BIN/egovctl' status $forged | grep -q DELIVERY_STOPPED"
check_output "a delivery from a stranger: DELIVERY_STOPPED UNEXPECTED_SENDER, by the Python leb" \
    'DELIVERY_STOPPED.*UNEXPECTED_SENDER' oneline ctl status "$forged"

# Ours restarted, deciding otherwise
egov_kill python-leb TERM
egov_wait_for it_gone "$LEB"
REFUSE_STATE=$EGOV_TEST_DIR/python-leb-refusing.json
egov_start python-leb-refusing "$PYTHON" "$EGOV_REPO/examples/python/leb.py" --region "$REGION" \
    --state "$REFUSE_STATE" --refuse
egov_wait_for it_connected "$LEB"
REFUSED_ID=$(submit)
ctl clock advance 2wd --settle >/dev/null
check_output "with --refuse: REFUSED at the desk" "^$REFUSED_ID REFUSED " \
    ctl wait "$REFUSED_ID" --status READY,REFUSED --timeout 60s
check_output "... a motivated refusal that follows the schema too" '^valid$' document_check "$REFUSED_ID"
check_output "... its grounds reach the desk" 'refused by the integrator.s system' oneline show "$REFUSED_ID"
egov_kill python-leb-refusing TERM
egov_wait_for it_gone "$LEB"

# The stub back, as the recipe's last step
check "run.sh start $LEB" "$RUN" start "$LEB"
check "... the built-in leb is connected again" egov_wait_for it_connected "$LEB"
check "--stop stops the system" "$RUN" --stop
egov_wait_for bash -c "! kill -0 $(egov_pid run) 2>/dev/null"
egov_test_done
