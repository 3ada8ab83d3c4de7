#!/usr/bin/env bash
# The test harness itself: a throwaway cluster answers, the process helpers start, stop
# and report, and docker-compose.yml parses where a compose tool exists.
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"

egov_test_cluster_start shep gbdfl

check "the throwaway cluster answers psql" \
    "$EGOV_PG_SH" psql -Atc 'select 1'
check_output "it has the databases asked for" '^gbdfl$' \
    "$EGOV_PG_SH" psql -Atc "select datname from pg_database where datname in ('shep', 'gbdfl')"
check_output "EGOV_SHEP_DB reaches the shep database as egov" '^shep\|egov$' \
    psql "$EGOV_SHEP_DB" -Atc 'select current_database(), current_user'
check_output "the cluster also listens on 127.0.0.1 at EGOV_PG_PORT" '^gbdfl$' \
    psql "host=127.0.0.1 port=$EGOV_PG_PORT user=egov dbname=gbdfl" -Atc 'select current_database()'
check_fails "... but not without the role's password, over TCP" \
    env PGPASSFILE=/dev/null psql -w "host=127.0.0.1 port=$EGOV_PG_PORT user=egov dbname=gbdfl" -Atc 'select 1'
check_fails "... nor on the socket" \
    env PGPASSFILE=/dev/null psql -w "host=$EGOV_PG_HOST port=$EGOV_PG_PORT user=egov dbname=gbdfl" -Atc 'select 1'
check_fails "... nor as another role" \
    psql -w "host=127.0.0.1 port=$EGOV_PG_PORT user=postgres dbname=gbdfl" -Atc 'select 1'
check_output "the cluster's directory, with its socket, is private" '^700$' stat -c %a "$EGOV_TEST_DIR/pg"
check_output "the password file is the owner's only" '^600$' stat -c %a "$PGPASSFILE"
check "createdb is idempotent" "$EGOV_PG_SH" createdb shep gbdfl
check "pg.sh start on a running cluster is a no-op" "$EGOV_PG_SH" start
check_output "the cluster lives in the test's directory" "$EGOV_TEST_DIR/pg" "$EGOV_PG_SH" status

port=$(egov_free_port)
check "egov_free_port gives a port nobody listens on" \
    bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null"
check_output "egov_free_endpoint gives a tcp endpoint" '^tcp://127\.0\.0\.1:[0-9]+$' egov_free_endpoint

egov_start sleeper sleep 300
check "egov_start runs a process in the background" egov_running sleeper
egov_kill sleeper
check "egov_kill stops it" eval '! egov_running sleeper'
check_output "and records how it ended (SIGTERM)" '^143$' egov_status sleeper
egov_start clean bash -c 'trap "echo bye; exit 0" TERM; echo hello; while :; do sleep 0.1; done'
check "egov_wait_for polls until a condition holds" egov_wait_for grep -q hello "$(egov_log clean)"
check "egov_stop reports a clean shutdown" egov_stop clean
check_output "the log keeps the process's output" '^bye$' cat "$(egov_log clean)"
check_fails "egov_wait_for gives up after its timeout" egov_wait_for -t 1 false
check_fails "check_fails sees a failing command" false

# The compose file must at least parse; the engine itself does not run here.
compose=()
if docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
    compose=(docker-compose)
fi
if [[ ${#compose[@]} -gt 0 ]]; then
    check "docker-compose.yml parses" "${compose[@]}" -f "$EGOV_REPO/docker-compose.yml" config -q
else
    skip "docker-compose.yml parses" "no docker compose here"
fi

egov_test_cluster_stop
check "the throwaway cluster is gone after egov_test_cluster_stop" test ! -e "$EGOV_TEST_DIR/pg"

egov_test_done
