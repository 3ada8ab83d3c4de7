#!/usr/bin/env bash
# Every example of docs/egovctl.md runs as written against the system `make run` starts,
# and prints what the page shows (tests/doc-examples.py: ids, moments and digests stand
# in for themselves). The page's acme.* examples are answered by shep-sinks with the
# rights its text says to add.
source "$(dirname "$0")/common.sh"
PYTHON=/usr/bin/python3

it_run_env
# The shipped rights and what the page says its acme.* examples assume
export EGOV_RIGHTS=$EGOV_TEST_DIR/rights.conf
{
    cat "$EGOV_REPO/gateway/rights.conf"
    printf '%s\n' 'acme provide acme.echo' 'acme-slow provide acme.slow' 'acme-inbox provide acme.inbox' \
        'egovctl call acme.echo' 'egovctl call acme.slow' 'egovctl call acme.inbox' 'egovctl send * *'
} >"$EGOV_RIGHTS"

it_run_start
check "the system runs" it_connected portal
for id in acme acme-slow acme-inbox; do "$EGOV_BIN/egovctl" keys init "$id" >/dev/null; done
eval "$("$EGOV_REPO/deploy/pg.sh" env)"
"$EGOV_REPO/deploy/pg.sh" createdb sink >/dev/null
SINK_DB=${EGOV_SHEP_DB/dbname=shep/dbname=sink}
egov_start acme "$EGOV_BIN/shep-sink" --id acme --service acme.echo --sync echo --gateway "$EGOV_GATEWAY" --db "$SINK_DB"
egov_start acme-slow "$EGOV_BIN/shep-sink" --id acme-slow --service acme.slow --sync ignore --gateway "$EGOV_GATEWAY" --db "$SINK_DB"
egov_start acme-inbox "$EGOV_BIN/shep-sink" --id acme-inbox --service acme.inbox --gateway "$EGOV_GATEWAY" --db "$SINK_DB"
for id in acme acme-slow acme-inbox; do egov_wait_for it_connected "$id"; done

# The page's commands run with egovctl on the PATH, in a folder of their own that has the
# repository's scenarios/ and deploy/ (EGOV_DOCS_UPDATE=1 writes what they print into the
# page instead: for whoever changes an output)
mkdir -p "$EGOV_TEST_DIR/path" "$EGOV_TEST_DIR/work"
ln -sf "$EGOV_BIN/egovctl" "$EGOV_TEST_DIR/path/egovctl"
ln -sf "$EGOV_REPO/scenarios" "$EGOV_REPO/deploy" "$EGOV_TEST_DIR/work/"
(cd "$EGOV_TEST_DIR/work" && PATH=$EGOV_TEST_DIR/path:$PATH \
    "$PYTHON" "$EGOV_REPO/tests/doc-examples.py" "$EGOV_REPO/docs/egovctl.md" ${EGOV_DOCS_UPDATE:+--update}) \
    >"$EGOV_TEST_DIR/docs.out" 2>&1
status=$?
cat "$EGOV_TEST_DIR/docs.out"
check_output "every example of docs/egovctl.md prints what the page shows" '^exit 0$' echo "exit $status"
check_output "... and there are examples to run" '^ok - .*' head -n 1 "$EGOV_TEST_DIR/docs.out"

for id in acme acme-slow acme-inbox; do egov_kill "$id" TERM; done
check "--stop stops the system" "$EGOV_REPO/deploy/run.sh" --stop
egov_wait_for bash -c "! kill -0 $(egov_pid run) 2>/dev/null"
egov_test_done
