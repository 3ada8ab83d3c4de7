#!/usr/bin/env bash
# make bench: throughput and latency of the gateway, with this machine's raw
# ZeroMQ round trip and PostgreSQL commit rate measured in the same run, and
# the ratios between them. Runs on a throwaway cluster with durable commits.
#
#   tests/bench.sh BUILD_DIR      (BUILD_DIR/bin holds the binaries)
# Environment: EGOV_BENCH_COUNT [200000] sync look-ups, EGOV_BENCH_ASYNC [20000]
# async messages, EGOV_BENCH_WINDOW [16] requests in flight for the latency run
# (the throughput run keeps 64 in flight).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(cd "${1:-$REPO/build/release}/bin" && pwd)
COUNT=${EGOV_BENCH_COUNT:-200000}
ASYNC=${EGOV_BENCH_ASYNC:-20000}
WINDOW=${EGOV_BENCH_WINDOW:-16}

WORK=$(mktemp -d /tmp/egov-bench.XXXXXX)
chmod 755 "$WORK"
export EGOV_PG_DIR=$WORK/pg
EGOV_PORTS_GIVEN=$WORK/ports
# shellcheck source=deploy/ports.sh
source "$REPO/deploy/ports.sh"
export EGOV_PG_PORT=$(egov_free_port)
GATEWAY_PORT=$(egov_free_port)
export EGOV_GATEWAY=tcp://127.0.0.1:$GATEWAY_PORT
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    "$REPO/deploy/pg.sh" destroy >/dev/null 2>&1 || true
    [[ -n ${EGOV_BENCH_KEEP:-} ]] || rm -rf "$WORK"
}
trap cleanup EXIT

"$REPO/deploy/pg.sh" createdb shep gbdfl bench >/dev/null
eval "$("$REPO/deploy/pg.sh" env)"
BENCH_DB=${EGOV_SHEP_DB/dbname=shep/dbname=bench}

# Keys and rights of its own: the shipped rights and the bench's participants
export EGOV_KEYS_DIR=$WORK/keys EGOV_RIGHTS=$WORK/rights.conf
{ cat "$REPO/gateway/rights.conf"
  echo "bench-sync call gbdfl.person"
  echo "bench-async send bench-sink bench.async"; } >"$EGOV_RIGHTS"
"$BIN/egovctl" keys init gbdfl egovctl bench-sync bench-async bench-sink >/dev/null
"$BIN/shep" --endpoint "$EGOV_GATEWAY" --db "$EGOV_SHEP_DB" >"$WORK/shep.log" 2>&1 &
PIDS+=($!)
"$BIN/gbdfl" --gateway "$EGOV_GATEWAY" --db "$EGOV_GBDFL_DB" >"$WORK/gbdfl.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 600); do
    if "$BIN/egovctl" --timeout 500 person 850314301234 >/dev/null 2>&1; then break; fi
    sleep 0.2
done
"$BIN/egovctl" person 850314301234 >/dev/null || { tail "$WORK"/*.log; echo "bench: the system did not come up" >&2; exit 1; }

echo "machine: $(nproc) cores, $(uname -m); build: $BIN"
echo
zmq=$("$BIN/shep-bench" zmq --count "$COUNT" --window "$WINDOW")
echo "$zmq"
relay=$("$BIN/shep-bench" relay --count "$COUNT" --window "$WINDOW")
echo "$relay"
sync=$("$BIN/shep-bench" sync --count "$COUNT" --window "$WINDOW")
echo "$sync (window $WINDOW)"
peak=$("$BIN/shep-bench" sync --count "$COUNT" --window 64)
echo "$peak (window 64)"
pg=$("$BIN/shep-bench" pg --db "$BENCH_DB" --seconds 3)
echo "$pg"
async=$("$BIN/shep-bench" async --count "$ASYNC" --window 1000)
echo "$async"
# Bursts of large messages, 15 and then 45 of 1 MiB (less the envelope) at once: the
# gateway's peak resident set (clear_refs 5 resets it) stays within what its limits
# allow (--max-queued-bytes, 16 MiB by default: that much waiting for a commit, and
# apart that much waiting for delivery; the rest is refused for now or waits in the
# database), however large the burst.
shep_pid=${PIDS[0]}
for burst_count in 15 45; do
    echo 5 >"/proc/$shep_pid/clear_refs"
    before=$(awk '/^VmRSS/ { print $2 }' "/proc/$shep_pid/status")
    burst=$("$BIN/shep-bench" async --count "$burst_count" --window "$burst_count" --size 1040000)
    awk -v n="$burst_count" -v b="$before" -v p="$(awk '/^VmHWM/ { print $2 }' "/proc/$shep_pid/status")" \
        -v a="$(awk '/^VmRSS/ { print $2 }' "/proc/$shep_pid/status")" 'BEGIN {
        printf "a burst of %d MiB (%d async messages of 1 MiB at once): the gateway %.1f MB before, peak %.1f MB, %.1f MB after\n",
            n, n, b / 1024, p / 1024, a / 1024 }'
    sed 's/^/  /' <<<"$burst"
done
"$BIN/cms-bench" --seconds 2

rate() { sed -n 's/.*= \([0-9]*\)\/s.*/\1/p' <<<"$1" | head -n 1; }
p99() { sed -n 's/.*p99 \([0-9]*\).*/\1/p' <<<"$1" | head -n 1; }
zmq_rate=$(rate "$zmq"); relay_rate=$(rate "$relay"); sync_rate=$(rate "$sync"); pg_rate=$(rate "$pg"); async_rate=$(rate "$async")
sync_p99=$(p99 "$sync")
echo
awk -v s="$sync_rate" -v z="$zmq_rate" -v r="$relay_rate" -v a="$async_rate" -v p="$pg_rate" -v l="$sync_p99" 'BEGIN {
    printf "ratios:\n"
    printf "  sync look-ups / raw ZeroMQ round trips      = %.2f (two hops, a registry and the log vs one echo)\n", s / z
    printf "  relayed round trips / raw round trips       = %.2f (the least a gateway costs: three processes, CURVE)\n", r / z
    printf "  sync look-ups / relayed round trips         = %.2f (what decoding, checks, the registry and the log cost)\n", s / r
    printf "  async commits / PostgreSQL one-row commits  = %.2f (group commit lets this exceed 1)\n", a / p
    printf "targets: sync (16 in flight) >= 0.30 of the raw round trips: %s (%.2f); its p99 < 2 ms: %s (%.2f ms); async >= half of commits: %s\n",
        (s >= 0.30 * z ? "met" : "NOT met"), s / z, (l < 2000 ? "met" : "NOT met"), l / 1000,
        (a >= p / 2 ? "met" : "NOT met")
}'
