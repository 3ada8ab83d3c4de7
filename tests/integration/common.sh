# Shared set-up for the integration tests: a throwaway cluster, the gateway and
# the registries as real processes, on free ports. Sourced by each test.
# Builds on tests/lib.sh (process control, checks, the closing count).
EGOV_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$EGOV_REPO/tests/lib.sh"
EGOV_BIN=${EGOV_BIN:-$EGOV_REPO/build/san/bin}
export EGOV_REPO EGOV_BIN

# it_setup DB...: a throwaway cluster with these databases, a free gateway port, and
# the test's own trust: the shipped access rights (a copy it_grant adds to) and keys
# for the gateway and the shipped participants (what make run makes in var/keys).
it_setup() {
    egov_test_cluster_start "$@"
    EGOV_GATEWAY=tcp://127.0.0.1:$(egov_free_port)
    export EGOV_GATEWAY
    export EGOV_KEYS_DIR=$EGOV_TEST_DIR/keys EGOV_RIGHTS=$EGOV_TEST_DIR/rights.conf
    cp "$EGOV_REPO/gateway/rights.conf" "$EGOV_RIGHTS"
    local region ids=(gbdfl enis queue intake portal egovctl)
    for region in 750000000 230000000 270000000 430000000; do
        ids+=("regional-$region" "leb-$region" "office-$region")
    done
    "$EGOV_BIN/egovctl" keys init "${ids[@]}" >/dev/null
}

# it_admit ID...: makes keys for these participants: the gateway lets them in (with
# no rights beyond what gateway/rights.conf and it_grant give them).
it_admit() { "$EGOV_BIN/egovctl" keys init "$@" >/dev/null; }

# it_rights_clear: the test starts from no rights at all (it_grant adds them).
it_rights_clear() { : >"$EGOV_RIGHTS"; }

# it_grant 'PARTICIPANT VERB ...'...: grants these rights (the gateway applies them
# at the participant's next hello or request) and makes the participants' keys.
it_grant() {
    local line
    for line in "$@"; do
        printf '%s\n' "$line" >>"$EGOV_RIGHTS"
        "$EGOV_BIN/egovctl" keys init "${line%% *}" >/dev/null
    done
}

# it_db NAME: the conninfo of a database of the throwaway cluster.
it_db() { echo "host=$EGOV_PG_HOST port=$EGOV_PG_PORT user=egov dbname=$1"; }

# it_psql NAME ARGS...: psql on a database of the throwaway cluster.
it_psql() { local name=$1; shift; psql "$(it_db "$name")" -v ON_ERROR_STOP=1 "$@"; }
export -f it_db it_psql

# Waits until participant $1 is (or with "!" before it, is no longer) connected.
it_connected() { "$EGOV_BIN/egovctl" participants 2>/dev/null | grep -q "^$1 "; }

# it_start_gateway [FLAGS...]: starts shep and waits until it answers.
it_start_gateway() {
    egov_start shep "$EGOV_BIN/shep" --endpoint "$EGOV_GATEWAY" --db "$(it_db shep)" "$@"
    egov_wait_for "$EGOV_BIN/egovctl" --timeout 300 participants
}

it_start_gbdfl() {
    egov_start gbdfl "$EGOV_BIN/gbdfl" --gateway "$EGOV_GATEWAY" --db "$(it_db gbdfl)"
    egov_wait_for it_connected gbdfl
}

it_start_enis() {
    egov_start enis "$EGOV_BIN/enis" --gateway "$EGOV_GATEWAY" --db "$(it_db enis)"
    egov_wait_for it_connected enis
}

it_start_registries() { it_start_gbdfl; it_start_enis; }

# it_start_queue: the kindergarten queue register (database queue).
it_start_queue() {
    egov_start queue "$EGOV_BIN/queue" --gateway "$EGOV_GATEWAY" --db "$(it_db queue)" \
        --regulations "$EGOV_REPO/regulations"
    egov_wait_for it_connected queue
}

# it_api CURL_ARGS... -- METHOD PATH URL: runs curl for one API request and prints the
# answer's body, then "HTTP <status>" on a line of its own; records the answer in
# $EGOV_TEST_DIR/answers.jsonl for it_answers_match.
it_api() {
    local args=() body status
    while [[ $1 != -- ]]; do args+=("$1"); shift; done
    shift
    body=$(mktemp "$EGOV_TEST_DIR/answer.XXXXXX")
    status=$(curl "${args[@]}" -X "$1" -o "$body" -w '%{http_code}' "$3")
    if [[ $status != 000 ]]; then
        jq -cn --arg method "$1" --arg path "$2" --arg status "$status" --rawfile body "$body" \
            '{method: $method, path: $path, status: ($status | tonumber), body: $body}' \
            >>"$EGOV_TEST_DIR/answers.jsonl"
    fi
    cat "$body"
    printf '\nHTTP %s\n' "$status"
    rm -f "$body"
}

# The HTTP/JSON API under test at $BASE, as $TOKEN (a bearer token) when set:
#   api METHOD PATH [BODY]  the answer's JSON, then "HTTP <status>" on a line of its own
#                           (recorded for it_answers_match)
#   call ...                the same on one line, for patterns over the whole answer
#   body ...                the JSON alone
#   with_token TOKEN CMD... CMD in another session
#   show ID, status_of ID   an application (GET /api/v1/applications/ID), its status
#   status_is ID RE         its status matches RE
api() {
    local args=(-sS --max-time 30 -H 'Content-Type: application/json')
    [[ -n ${TOKEN:-} ]] && args+=(-H "Authorization: Bearer $TOKEN")
    [[ $# -ge 3 ]] && args+=(--data-binary "$3")
    it_api "${args[@]}" -- "$1" "$2" "$BASE$2"
}
call() { oneline api "$@"; }
body() { api "$@" | sed '$d'; }
with_token() { local TOKEN=$1; shift; "$@"; }
show() { body GET "/api/v1/applications/$1"; }
status_of() { show "$1" | jq -r .status; }
status_is() { [[ $(status_of "$1") =~ ^($2)$ ]]; }
# advance_until ID STATUS_RE [STEP]: moves the simulation clock STEP (1d) at a time until
# the application reaches the status (a provider's working days pass in seconds).
advance_until() {
    local _
    for _ in $(seq 1 50); do
        status_is "$1" "$2" && return 0
        "$EGOV_BIN/egovctl" clock advance "${3:-1d}" >/dev/null
        sleep 0.4
    done
    echo "status $(status_of "$1"), expected $2"
    return 1
}

# it_answers_match OPENAPI: every answer it_api recorded is documented by the OpenAPI
# document and matches its schema (tests/openapi-check.py).
it_answers_match() {
    /usr/bin/python3 "$EGOV_REPO/tests/openapi-check.py" "$1" "$EGOV_TEST_DIR/answers.jsonl"
}

# it_run_env: `make run`'s settings for a test of the whole system: its own folders,
# cluster and ports, Almaty as the one region, the shipped rights (a test may set
# EGOV_RIGHTS, EGOV_LEB_MANUAL ... after).
it_run_env() {
    export EGOV_VAR_DIR=$EGOV_TEST_DIR/var
    export EGOV_PG_DIR=$EGOV_TEST_DIR/run-pg EGOV_PG_PORT=$(egov_free_port) EGOV_PG_FAST=1
    export EGOV_PKI_DIR=$EGOV_TEST_DIR/pki EGOV_KEYS_DIR=$EGOV_TEST_DIR/keys
    unset EGOV_RIGHTS EGOV_SHEP_DB EGOV_GBDFL_DB EGOV_ENIS_DB EGOV_QUEUE_DB
    export EGOV_SHEP_ENDPOINT=tcp://127.0.0.1:$(egov_free_port)
    export EGOV_GATEWAY=$EGOV_SHEP_ENDPOINT EGOV_SHEP_METRICS=127.0.0.1:$(egov_free_port)
    export EGOV_REGIONS=750000000 EGOV_LEB_HTTP_BASE=$(egov_free_port) EGOV_OFFICE_HTTP_BASE=$(egov_free_port)
    export EGOV_INTAKE_HTTP=127.0.0.1:$(egov_free_port) EGOV_PORTAL_HTTP=127.0.0.1:$(egov_free_port)
    export EGOV_RUN_TIMEOUT=120
}

# it_run_start: deploy/run.sh in the background (as "run"), until it says everything runs.
it_run_start() {
    egov_start run "$EGOV_REPO/deploy/run.sh"
    egov_wait_for grep -q "Ctrl-C here" "$(egov_log run)" || true
}
it_gone() { ! it_connected "$1"; }

# it_query_is DB SQL EXPECTED: true when the query's single value is EXPECTED.
it_query_is() { [[ "$(it_psql "$1" -Atc "$2")" == "$3" ]]; }

# oneline CMD...: the command's output on one line, for patterns that span lines.
oneline() { "$@" 2>&1 | tr '\n' ' '; }

# it_pki_init [FLAGS...]: the test CA, its new certificates current at the moment the
# test runs as of (EGOV_TEST_AS_OF; real time when unset).
it_pki_init() { "$EGOV_BIN/egovctl" pki init ${EGOV_SHEP_CLOCK_START:+--at "$EGOV_SHEP_CLOCK_START"} "$@"; }

# it_today: the simulation clock's date (Almaty), YYYY-MM-DD.
it_today() { "$EGOV_BIN/egovctl" --json clock show | jq -r .simulated | cut -c1-10; }

# it_day DATE N: the date N days after DATE (N may be negative), YYYY-MM-DD.
it_day() { date -u -d "$1 $2 days" +%F; }

# it_open_day DATE CHANNEL: the first date from DATE on whose 10:00 a desk of CHANNEL
# (state-corp, office) is open: a working day of its calendar, holidays and moved days
# off included (egovctl deadline says when 10:00 is received).
it_open_day() {
    local offset day
    for offset in $(seq 0 60); do
        day=$(it_day "$1" "$offset")
        if "$EGOV_BIN/egovctl" deadline --service school-duplicate --region 750000000 --channel "$2" \
            --at "${day}T10:00" | grep -q "^received .*${day}T10:00"; then
            echo "$day"
            return
        fi
    done
}

# it_weekday DATE: 1 (Monday) to 7 (Sunday).
it_weekday() { date -u -d "$1" +%u; }

# it_now: the simulation clock's moment, ISO 8601 with its offset.
it_now() { "$EGOV_BIN/egovctl" --json clock show | jq -r .simulated; }
