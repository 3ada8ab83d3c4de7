#!/usr/bin/env bash
# make run's script as a newcomer uses it: every process comes up on its own
# ports, answers, is listed, and `--stop` from another terminal stops all of
# them, the cluster included. One region keeps it quick.
# date-sensitive: the test CA and the gateway's clock (tests/run-all.sh runs it again as of other moments)
source "$(dirname "$0")/common.sh"

it_run_env
export EGOV_LEB_MANUAL=750000000

it_run_start
check_output "run.sh prints what runs where" 'leb-750000000 .*http://127.0.0.1' cat "$(egov_log run)"
check_output "the registry answers through the gateway" 'Асқаров Ерлан' "$EGOV_BIN/egovctl" person 850314301234
check_output "every participant is connected" \
    'enis.*gbdfl.*intake.*leb-750000000.*office-750000000.*portal.*queue.*regional-750000000' \
    oneline bash -c "'$EGOV_BIN/egovctl' participants | sort"
check_output "deploy/run.sh status shows the kindergarten queue register running" '^queue +[0-9]+ +running' \
    "$EGOV_REPO/deploy/run.sh" status
check_output "... which answers through the gateway" '^430000000-K001 +kindergarten' "$EGOV_BIN/egovctl" queue list
check_output "the intake answers on its port" '"services"' curl -s "http://$EGOV_INTAKE_HTTP/api/v1/openapi.json"
check_output "the portal serves its frontend" '<html' curl -s "http://$EGOV_PORTAL_HTTP/"
check_output "the desk serves its operator's page" '<title>egov-sim — State Corporation desk' curl -s "http://$EGOV_INTAKE_HTTP/"
OFFICE=http://127.0.0.1:$EGOV_OFFICE_HTTP_BASE
OFFICE_TOKEN=$(curl -s "$OFFICE/api/v1/operator/login" -d '{"login":"clerk1","password":"demo-clerk1"}' | jq -r .token)
check_output "the provider's office of the region has a desk of its own, its clerk logged in" \
    '"participant": "office-750000000", *"channel": "office"' \
    oneline curl -s -H "Authorization: Bearer $OFFICE_TOKEN" "$OFFICE/api/v1/services"
check_output "EGOV_LEB_MANUAL runs that region's provider in manual mode" '"mode":"manual"' \
    curl -s "http://127.0.0.1:$EGOV_LEB_HTTP_BASE/api/v1/health"
check_exit "egovctl wait: an application neither the desk nor the portal holds exits 3" 3 \
    "$EGOV_BIN/egovctl" wait 00000000-0000-4000-8000-000000000000 --status READY
check_output "the gateway's /metrics: participants, sync calls answered, async messages stored" \
    'egov_gateway_participants [1-9][0-9]*.*egov_gateway_sync_answered_total [1-9][0-9]*.*egov_gateway_async_stored_total [0-9]+' \
    oneline curl -s "http://$EGOV_SHEP_METRICS/metrics"
check_output "... and its /health: ok, the database ok" '"status": "ok".*"database": "ok"' \
    oneline curl -s "http://$EGOV_SHEP_METRICS/health"
check_output "... anything else there is 404 UNKNOWN_ROUTE" '"UNKNOWN_ROUTE"' curl -s "http://$EGOV_SHEP_METRICS/nowhere"
# A provider in manual mode that lets the term pass: overdue at the desk and on its tasks
day=$(it_open_day "$(it_day "$(it_today)" 1)" state-corp)
"$EGOV_BIN/egovctl" clock set "${day}T10:00" >/dev/null
DESK=http://$EGOV_INTAKE_HTTP/api/v1
TOKEN=$(curl -s -H 'Content-Type: application/json' --data '{"login":"operator1","password":"demo-operator1"}' \
    "$DESK/operator/login" | jq -r .token)
ID=$(curl -s -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" --data \
    '{"service":"school-duplicate","region":"750000000","applicant_iin":"850314301234","representative":null,"consent":true,"documents":[{"type":"application","name":"a.pdf","content_base64":"c2Nhbg=="},{"type":"identity-document","name":"b.pdf","content_base64":"c2Nhbg=="}]}' \
    "$DESK/applications" | jq -r .id)
"$EGOV_BIN/egovctl" clock advance 2wd --settle >/dev/null      # the courier's working day
"$EGOV_BIN/egovctl" wait "$ID" --status REGISTERED,IN_PROGRESS >/dev/null
desk_view() { curl -s -H "Authorization: Bearer $TOKEN" "$DESK/applications/$ID" | jq -c '{status, overdue}'; }
check_output "an application the manual provider has in hand, inside its term: not overdue" \
    '"overdue":false' desk_view
"$EGOV_BIN/egovctl" clock advance 40d --settle >/dev/null
check_output "... the term passes with nobody working it: overdue at the desk, still undecided" \
    '^\{"status":"(REGISTERED|IN_PROGRESS)","overdue":true\}$' desk_view
LEB_TOKEN=$(curl -s -H 'Content-Type: application/json' --data '{"login":"clerk1","password":"demo-clerk1"}' \
    "http://127.0.0.1:$EGOV_LEB_HTTP_BASE/api/v1/login" | jq -r .token)
check_output "... and its task is overdue at the provider" '^true$' bash -c \
    "curl -s -H 'Authorization: Bearer $LEB_TOKEN' 'http://127.0.0.1:$EGOV_LEB_HTTP_BASE/api/v1/tasks' | jq '[.tasks[] | select(.correlation_id == \"$ID\")][0].overdue'"
check "the test CA was made" test -s "$EGOV_PKI_DIR/root-ca.pem"
check "the gateway's key pair was made" test -s "$EGOV_KEYS_DIR/gateway.key_secret"
check_output "... and one per participant, the secret halves private" '^-rw-------' \
    ls -l "$EGOV_KEYS_DIR/private/leb-750000000.key_secret"

# Supervision: one service stops, or is replaced, and the rest runs on
RUN=$EGOV_REPO/deploy/run.sh
check_output "status lists every service running" '^gbdfl +[0-9]+ +running' "$RUN" status
check "stop gbdfl" "$RUN" stop gbdfl
check_output "... the look-up has no provider now" 'NO_PROVIDER' "$EGOV_BIN/egovctl" person 850314301234
check_output "... the rest runs on" '"services"' curl -s "http://$EGOV_INTAKE_HTTP/api/v1/openapi.json"
check "... and run.sh with it" kill -0 "$(egov_pid run)"
sleep 2
check_output "... gbdfl stays stopped" '^gbdfl +- +stopped' "$RUN" status
# An integrator's own registry of individuals in its place: gbdfl's key and rights
eval "$("$EGOV_REPO/deploy/pg.sh" env)"
"$EGOV_REPO/deploy/pg.sh" createdb sink >/dev/null
egov_start stand-in "$EGOV_BIN/shep-sink" --id gbdfl --service gbdfl.person --sync refuse \
    --gateway "$EGOV_GATEWAY" --db "${EGOV_SHEP_DB/dbname=shep/dbname=sink}"
egov_wait_for it_connected gbdfl
check_output "a system of one's own answers gbdfl.person in its place" 'REFUSED.*NOT_A_PROVIDER' \
    "$EGOV_BIN/egovctl" person 850314301234
egov_kill stand-in TERM
check "start gbdfl again" "$RUN" start gbdfl
egov_wait_for "$EGOV_BIN/egovctl" person 850314301234
check_output "... the registry answers again" 'Асқаров Ерлан' "$EGOV_BIN/egovctl" person 850314301234
# A service that dies is started again
leb_pid=$(cat "$EGOV_VAR_DIR/run/leb-750000000.pid")
kill -KILL "$leb_pid"
restarted() { local pid; pid=$(cat "$EGOV_VAR_DIR/run/leb-750000000.pid" 2>/dev/null) &&
              [[ $pid != "$leb_pid" ]] && kill -0 "$pid" 2>/dev/null; }
check "a local executive body killed with -9 is started again" egov_wait_for restarted
check_output "... and run.sh says so" 'leb-750000000 .*exited with status 137; starting it again' \
    cat "$(egov_log run)"
check "... and it is connected again" egov_wait_for it_connected leb-750000000
check_fails "stop needs a service run.sh knows" "$RUN" stop nosuch

pids=$(cat "$EGOV_VAR_DIR"/run/*.pid | grep -v "^$(egov_pid run)\$" | tr '\n' ' ')
check_output "a second instance is refused while one runs" 'already running' "$EGOV_REPO/deploy/run.sh"
check "--stop from another terminal stops it" "$EGOV_REPO/deploy/run.sh" --stop
egov_wait_for bash -c "! kill -0 $(egov_pid run) 2>/dev/null"
left=0
for pid in $pids; do kill -0 "$pid" 2>/dev/null && left=$((left + 1)); done
check_output "no service outlives the stop" '^0$' echo "$left"
check_fails "the cluster is stopped too" "$EGOV_REPO/deploy/pg.sh" status
egov_test_done
