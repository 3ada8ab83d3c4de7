#!/usr/bin/env bash
# make bench, end to end: the whole system as `make run` starts it (deploy/run.sh), on a
# throwaway cluster and ports of its own: how long it takes from stopped to every service
# answering (the first start, with the cluster made and the population seeded, and a
# second, warm one), each service's memory idle and after the load, and both diagrams
# end to end (tests/bench_e2e.py): applications per second from submission to the
# signed result, p50/p99 per stage, beside the CMS sign and verify rates of the same run.
#
#   tests/bench-e2e.sh BUILD_DIR      (BUILD_DIR/bin holds the binaries)
# Environment: EGOV_BENCH_E2E_COUNT [500] applications per channel,
# EGOV_BENCH_E2E_CLIENTS [16] requests in flight per channel, EGOV_BENCH_KEEP to keep
# the work folder.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(cd "${1:-$REPO/build/release}/bin" && pwd)
COUNT=${EGOV_BENCH_E2E_COUNT:-500}
CLIENTS=${EGOV_BENCH_E2E_CLIENTS:-16}

if ! python3 -c 'import cryptography.hazmat.primitives.serialization.pkcs7' 2>/dev/null; then
    echo "bench-e2e: needs python3-cryptography (make deps installs it)" >&2
    exit 1
fi
WORK=$(mktemp -d /tmp/egov-bench-e2e.XXXXXX)
chmod 755 "$WORK"
# Ports nothing else uses (the regions' lebs and offices take base + their index)
EGOV_PORTS_GIVEN=$WORK/ports
# shellcheck source=deploy/ports.sh
source "$REPO/deploy/ports.sh"
export EGOV_BIN=$BIN EGOV_VAR_DIR=$WORK/var EGOV_PG_DIR=$WORK/pg EGOV_PKI_DIR=$WORK/pki
export EGOV_KEYS_DIR=$WORK/keys EGOV_PG_PORT=$(egov_free_port)
export EGOV_SHEP_ENDPOINT=tcp://127.0.0.1:$(egov_free_port) EGOV_SHEP_METRICS=
export EGOV_LEB_HTTP_BASE=$(egov_free_ports 8) EGOV_OFFICE_HTTP_BASE=$(egov_free_ports 8)
export EGOV_INTAKE_HTTP=127.0.0.1:$(egov_free_port) EGOV_PORTAL_HTTP=127.0.0.1:$(egov_free_port)
export EGOV_GATEWAY=$EGOV_SHEP_ENDPOINT
RUN_PID=
cleanup() {
    [[ -z $RUN_PID ]] || { kill "$RUN_PID" 2>/dev/null || true; wait "$RUN_PID" 2>/dev/null || true; }
    "$REPO/deploy/pg.sh" destroy >/dev/null 2>&1 || true
    [[ -n ${EGOV_BENCH_KEEP:-} ]] || rm -rf "$WORK"
}
trap cleanup EXIT

# start_system: deploy/run.sh in the background; STARTUP gets the seconds until it says
# every service answers.
STARTUP=
start_system() {
    local started=$EPOCHREALTIME
    "$REPO/deploy/run.sh" >"$WORK/run.out" 2>&1 &
    RUN_PID=$!
    local _
    for _ in $(seq 1 3000); do
        if grep -q 'The e-government simulator is running' "$WORK/run.out"; then
            STARTUP=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
            return 0
        fi
        kill -0 "$RUN_PID" 2>/dev/null || break
        sleep 0.05
    done
    cat "$WORK/run.out" >&2
    echo "bench-e2e: the system did not come up" >&2
    return 1
}
stop_system() {
    kill "$RUN_PID"
    wait "$RUN_PID" 2>/dev/null || true
    RUN_PID=
}
# memory TITLE: each service's resident set now (and its peak), MB, and how many are
# within the targets (16 MB now, 64 MB at the peak); then what the resident sets are
# made of: the service's own memory (RssAnon: heap, stacks, the libraries' written
# data) and the pages of the program and its libraries it has mapped (RssFile: the
# same pages in every service, held once by the system).
memory() {
    local file name pid rss peak anon pages now_ok=0 peak_ok=0 count=0 spread=""
    printf '%s (MB now / peak):' "$1"
    for file in "$WORK"/var/run/*.pid; do
        name=$(basename "$file" .pid)
        [[ $name != run ]] || continue
        pid=$(cat "$file")
        read -r rss peak anon pages < <(awk '/^VmRSS/ { r = $2 } /^VmHWM/ { h = $2 }
            /^RssAnon/ { a = $2 } /^RssFile/ { f = $2 }
            END { print r + 0, h + 0, a + 0, f + 0 }' "/proc/$pid/status" 2>/dev/null || echo 0 0 0 0)
        awk -v n="$name" -v r="$rss" -v p="$peak" 'BEGIN { printf " %s %.1f/%.1f", n, r / 1024, p / 1024 }'
        spread+="$anon $pages"$'\n'
        count=$((count + 1))
        (( rss > 16 * 1024 )) || now_ok=$((now_ok + 1))
        (( peak > 64 * 1024 )) || peak_ok=$((peak_ok + 1))
    done
    echo
    echo "  targets: <= 16 MB now: $now_ok of $count services; <= 64 MB at the peak: $peak_ok of $count"
    printf '%s' "$spread" | awk 'NF == 2 {
            if (n == 0 || $1 < a0) a0 = $1; if ($1 > a1) a1 = $1
            if (n == 0 || $2 < f0) f0 = $2; if ($2 > f1) f1 = $2; n++ }
        END { if (n) printf "  made of: own memory %.1f-%.1f MB; program and library pages %.1f-%.1f MB\n",
                  a0 / 1024, a1 / 1024, f0 / 1024, f1 / 1024 }'
}

# cpu_snapshot FILE: CPU ticks so far of each service, and of PostgreSQL's processes by
# the database they serve ("pg:NAME"; the cluster's own workers as "pg:(cluster)").
cpu_snapshot() {
    local file pid name postmaster
    postmaster=$(sed -n 1p "$EGOV_PG_DIR/data/postmaster.pid" 2>/dev/null || true)
    {
        for file in "$WORK"/var/run/*.pid; do
            name=$(basename "$file" .pid)
            [[ $name != run ]] || continue
            ticks "$name" "$(cat "$file")"
        done
        [[ -z $postmaster ]] || for pid in $postmaster $(pgrep -P "$postmaster"); do
            name=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
                awk '{ print ($1 == "postgres:" && $4 ~ /^(\(|\[local\]|[0-9])/) ? "pg:" $3 : "pg:(cluster)" }')
            ticks "${name:-pg:(cluster)}" "$pid"
        done
    } | awk '{ t [$1] += $2 } END { for (n in t) print n, t [n] }' | sort >"$1"
}
# ticks NAME PID: "NAME user+system ticks" of a live process.
ticks() {
    awk -v n="$1" '{ sub(/^.*\) /, ""); print n, $12 + $13 }' "/proc/$2/stat" 2>/dev/null || true
}

echo "machine: $(nproc) cores, $(uname -m); build: $BIN"
start_system
cold=$STARTUP
stop_system
start_system
warm=$STARTUP
echo "start-up: from stopped to every service answering: first run ${cold} s (cluster made," \
     "population seeded, test CA made), warm ${warm} s (target <= 5 s)"
echo "services: $(ls "$WORK"/var/run/*.pid | grep -vc '/run.pid$') processes beside PostgreSQL"
sleep 2
memory "memory idle"

ctl() { "$BIN/egovctl" "$@"; }
# The desk takes applications in the State Corporation's hours: a working morning
today=$(ctl --json clock show | jq -r .simulated | cut -c1-10)
for offset in $(seq 1 30); do
    day=$(date -u -d "$today $offset days" +%F)
    if ctl deadline --service externat-permit --region 750000000 --channel state-corp \
        --at "${day}T09:30" | grep -q "^received .*${day}T09:30"; then
        break
    fi
done
ctl clock set "${day}T09:30" >/dev/null
eval "$("$REPO/deploy/pg.sh" env)"
# pg_totals: commits of every database and WAL flushes of the cluster so far
pg_totals() {
    psql -XAtq -F ' ' -d "$EGOV_SHEP_DB" -c "SELECT (SELECT sum (xact_commit) FROM pg_stat_database),
        (SELECT wal_sync FROM pg_stat_wal)"
}
per_db() { psql -XAtq -F ' ' -d "$EGOV_SHEP_DB" -c "SELECT datname, xact_commit FROM pg_stat_database WHERE datname IS NOT NULL ORDER BY datname"; }
per_db >"$WORK/commits.before"
read -r commits_before syncs_before < <(pg_totals)
cpu_snapshot "$WORK/cpu.before"
load_started=$EPOCHREALTIME
python3 "$REPO/tests/bench_e2e.py" --portal "http://$EGOV_PORTAL_HTTP" --desk "http://$EGOV_INTAKE_HTTP" \
    --pki "$EGOV_PKI_DIR" --egovctl "$BIN/egovctl" --count "$COUNT" --clients "$CLIENTS" \
    --portal-db "${EGOV_SHEP_DB/dbname=shep/dbname=portal}" \
    --desk-db "${EGOV_SHEP_DB/dbname=shep/dbname=intake}"
read -r commits_after syncs_after < <(pg_totals)
awk -v c=$((commits_after - commits_before)) -v s=$((syncs_after - syncs_before)) -v n=$((2 * COUNT)) \
    -v a="$load_started" -v b="$EPOCHREALTIME" 'BEGIN {
    printf "  PostgreSQL under the load: %d commits (%.0f per application, %.0f/s), %d WAL flushes (%.0f/s)\n",
        c, c / n, c / (b - a), s, s / (b - a) }'
cpu_snapshot "$WORK/cpu.after"
per_db >"$WORK/commits.after"
printf '  commits per database:'
join "$WORK/commits.before" "$WORK/commits.after" | awk '{ d = $3 - $2; if (d > 0) print d, $1 }' | sort -rn |
    awk '{ printf " %s %d", $2, $1 } END { print "" }'
# CPU per application: where the machine's time went, the largest first
printf '  CPU ms per application (%s in all):' \
    "$(join "$WORK/cpu.before" "$WORK/cpu.after" | awk -v n=$((2 * COUNT)) -v hz="$(getconf CLK_TCK)" \
        '{ t += $3 - $2 } END { printf "%.1f", t * 1000 / hz / n }')"
join "$WORK/cpu.before" "$WORK/cpu.after" | awk -v n=$((2 * COUNT)) -v hz="$(getconf CLK_TCK)" \
    '{ d = ($3 - $2) * 1000 / hz / n; if (d >= 0.05) printf "%.1f %s\n", d, $1 }' | sort -rn |
    awk '{ printf " %s %s", $2, $1 } END { print "" }'
memory "memory after the load"
echo "signatures per application: 2 (the citizen's or the operator's on the request, the provider's on" \
     "the result); verifications: 3 (the channel's on the request at the portal — the desk signs its own —," \
     "the regional gateway's at registration, the channel's on the result)"
"$BIN/cms-bench" --seconds 2
stop_system
