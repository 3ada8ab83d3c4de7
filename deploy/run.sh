#!/usr/bin/env bash
# Runs the whole system in the foreground (what `make run` calls; it builds nothing):
# the project-local PostgreSQL cluster, the test certification authority, then shep, gbdfl,
# enis, the kindergarten queue register (queue), a regional gateway and a local executive body per region, the State Corporation
# intake and the portal (when built), each a separate process.
# Ctrl-C stops every service, then the cluster.
#
#   deploy/run.sh              start and stay in the foreground, supervising: a service that
#                              exits is started again (1 s, then 2, 4 ... up to 30 s apart)
#   deploy/run.sh --stop       stop an instance running in another terminal (`make stop`)
#   deploy/run.sh stop NAME    stop one service of the running instance; it stays stopped
#   deploy/run.sh start NAME   start it again (or a service that keeps failing, at once)
#   deploy/run.sh status       each service: running, stopped, or waiting to start again
#   deploy/run.sh --help
#
# Environment (defaults in brackets):
#   EGOV_BIN             binaries [build/release/bin]
#   EGOV_SHEP_ENDPOINT   where shep binds [tcp://127.0.0.1:7700]
#   EGOV_GATEWAY         where services and egovctl connect [EGOV_SHEP_ENDPOINT, with a
#                        wildcard host (* or 0.0.0.0) replaced by 127.0.0.1]
#   EGOV_SHEP_METRICS    the gateway's GET /metrics and /health over HTTP [127.0.0.1:7780;
#                        empty: none]
#   EGOV_PG_PORT         cluster port on 127.0.0.1 [54329]
#   EGOV_PG_DIR          cluster directory [var/pg]
#   EGOV_PG_EXTERNAL     base conninfo of an existing server instead of the local cluster
#   EGOV_SHEP_DB, EGOV_GBDFL_DB, EGOV_ENIS_DB, EGOV_QUEUE_DB
#                        conninfo per service [from `deploy/pg.sh env`]
#   EGOV_REGIONS         region KATO codes [750000000 230000000 270000000 430000000]
#   EGOV_LEB_HTTP_BASE   the Nth region's leb serves its tasks on 127.0.0.1:base+N [8090]
#   EGOV_LEB_MANUAL      KATO codes (comma- or space-separated) whose leb runs in manual
#                        mode: its staff work the tasks through the HTTP API [none: auto]
#   EGOV_INTAKE_HTTP     the intake's HTTP API [127.0.0.1:8081]
#   EGOV_OFFICE_HTTP_BASE  the Nth region's provider's office (intake --office) serves its
#                        desk on 127.0.0.1:base+N [8100]
#   EGOV_PORTAL_HTTP     the portal's HTTP API and reference frontend [127.0.0.1:8080]
#   EGOV_PKI_DIR         the test CA's folder [var/pki]
#   EGOV_KEYS_DIR        the CURVE keys of the gateway and every participant [var/keys]
#   EGOV_RIGHTS          who may do what on the gateway [gateway/rights.conf]
#   EGOV_SHEP_CLOCK_START  run "as of" this moment (ISO 8601, Almaty time): a gateway with
#                        no saved clock starts the simulation clock there, and the test
#                        CA's new certificates are current then [real time]
#   EGOV_VAR_DIR         where log/ and run/ (pid files) go [var]
#   EGOV_POPULATION_YEAR the synthetic population is as of its 1 January, for a registry
#                        seeded now [this year; then kept in var/population-year]
#   EGOV_RUN_TIMEOUT     seconds to wait for everything to connect [60]
#   EGOV_STOP_TIMEOUT    seconds a process gets after SIGTERM before SIGKILL [10]
# Logs go to var/log/<name>.log (the previous run's to <name>.log.1), pid files to var/run/.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG=$REPO/deploy/pg.sh
VAR=${EGOV_VAR_DIR:-$REPO/var}
LOG_DIR=$VAR/log
RUN_DIR=$VAR/run
RUN_PID=$RUN_DIR/run.pid
PG_MARK=$RUN_DIR/pg.started-by-run      # present when we started the cluster

BIN=${EGOV_BIN:-$REPO/build/release/bin}
[[ $BIN == /* ]] || BIN=$PWD/$BIN
export EGOV_SHEP_ENDPOINT=${EGOV_SHEP_ENDPOINT:-tcp://127.0.0.1:7700}
# Connecting to a wildcard address means connecting to this host.
default_gateway=$(sed -E 's#^(tcp://)(\*|0\.0\.0\.0)(:)#\1127.0.0.1\3#' <<<"$EGOV_SHEP_ENDPOINT")
export EGOV_GATEWAY=${EGOV_GATEWAY:-$default_gateway}
export EGOV_SHEP_METRICS=${EGOV_SHEP_METRICS-127.0.0.1:7780}
START_TIMEOUT=${EGOV_RUN_TIMEOUT:-60}
STOP_TIMEOUT=${EGOV_STOP_TIMEOUT:-10}

# The regions of the seeds, each with its regional gateway (ЭҮӨШ) and local
# executive body (ЖАО): Almaty city, Atyrau, West Kazakhstan, Kyzylorda.
read -r -a REGIONS <<<"${EGOV_REGIONS:-750000000 230000000 270000000 430000000}"
LEB_HTTP_BASE=${EGOV_LEB_HTTP_BASE:-8090}   # leb of the Nth region reads tasks on base+N
INTAKE_HTTP=${EGOV_INTAKE_HTTP:-127.0.0.1:8081}
OFFICE_HTTP_BASE=${EGOV_OFFICE_HTTP_BASE:-8100}  # the Nth region's office desk on base+N
PORTAL_HTTP=${EGOV_PORTAL_HTTP:-127.0.0.1:8080}

# Start order, stopped in reverse; a name's binary is the part before "-" (an office's
# is intake's: the desk, as the provider's office).
SERVICES=(shep gbdfl enis queue)
for region in "${REGIONS[@]}"; do SERVICES+=("regional-$region" "leb-$region"); done
if [[ -x ${EGOV_BIN:-$REPO/build/release/bin}/intake ]]; then
    SERVICES+=(intake)
    for region in "${REGIONS[@]}"; do SERVICES+=("office-$region"); done
fi
[[ -x ${EGOV_BIN:-$REPO/build/release/bin}/portal ]] && SERVICES+=(portal)
# Every service but the gateway must show up in `egovctl participants`.
REGISTRIES=("${SERVICES[@]:1}")

die() { echo "run.sh: $*" >&2; exit 1; }
# The program of service $1: the part of its name before "-", intake for an office.
binary_of() { local binary=${1%%-*}; [[ $binary == office ]] && binary=intake; echo "$binary"; }
say() { echo "run.sh: $*" >&2; }

usage() { sed -n '2,39s/^# \{0,1\}//p' "$0"; }

# Path relative to the repo when it is inside it, for shorter messages.
short() { local path=$1; printf '%s' "${path#"$REPO"/}"; }

# True while process $1 exists and is not a zombie.
alive() {
    local stat
    { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
    stat=${stat##*) }      # after "pid (command) " comes the state letter
    [[ ${stat:0:1} != Z ]]
}

# Sets PID to the number in pid file $1 ("" when there is none), without a fork: the
# supervision reads every service's each second.
pid_from() {
    PID=
    { read -r PID <"$1"; } 2>/dev/null || PID=
}

# The pid in pid file $1 when that process still runs, else nothing.
live_pid() {
    local pid
    pid=$(cat "$1" 2>/dev/null) || return 0
    [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" && printf '%s' "$pid"
    return 0
}

# egov_port_used PORT [listening]
# shellcheck source=deploy/ports.sh
source "$REPO/deploy/ports.sh"

# Sends SIGTERM to the given pids, waits up to STOP_TIMEOUT for them, then SIGKILLs.
terminate() {
    local pid waited=0 left
    [[ $# -gt 0 ]] || return 0
    kill -TERM "$@" 2>/dev/null || true
    while :; do
        left=()
        for pid in "$@"; do alive "$pid" && left+=("$pid"); done
        [[ ${#left[@]} -eq 0 ]] && return 0
        (( waited < STOP_TIMEOUT * 10 )) || break
        sleep 0.1
        waited=$((waited + 1))
    done
    say "still running after ${STOP_TIMEOUT}s, killing: ${left[*]}"
    kill -KILL "${left[@]}" 2>/dev/null || true
}

OWN_CHILDREN=0     # 1 in the foreground instance: the pid files name our children

# Stops the services named in $@ (in parallel) through their pid files.
stop_services() {
    local name pid pids=()
    for name in "$@"; do
        pid=$(live_pid "$RUN_DIR/$name.pid")
        [[ -n $pid ]] || continue
        # A pid from another instance may have been recycled: it must be the service.
        if [[ $OWN_CHILDREN -eq 1 ]] || grep -qa "bin/$(binary_of "$name")" "/proc/$pid/cmdline" 2>/dev/null; then
            pids+=("$pid")
        fi
    done
    terminate "${pids[@]}"
    if [[ $OWN_CHILDREN -eq 1 ]]; then
        for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    fi
    for name in "$@"; do rm -f "$RUN_DIR/$name.pid"; done
}

# Stops everything in order: registries, gateway, then the cluster if we started it.
stop_all() {
    # Every participant first (latest started first), the gateway after them
    local participants=() index
    for (( index = ${#SERVICES[@]} - 1; index >= 1; index-- )); do
        participants+=("${SERVICES[index]}")
    done
    stop_services "${participants[@]}"
    stop_services shep
    rm -f "$RUN_DIR"/*.held "$RUN_DIR"/*.restart "$RUN_DIR"/*.start
    if [[ -f $PG_MARK ]]; then
        "$PG" stop || say "the cluster did not stop cleanly; see deploy/pg.sh status"
        rm -f "$PG_MARK"
    fi
}

# `deploy/run.sh --stop`: ask the foreground run.sh to stop, or clean up after it.
stop_other() {
    local pid stopped=0 waited=0
    pid=$(live_pid "$RUN_PID")
    if [[ -n $pid ]] && grep -qa run.sh "/proc/$pid/cmdline" 2>/dev/null; then
        say "stopping the instance run by pid $pid"
        kill -TERM "$pid"
        # It stops the services (STOP_TIMEOUT each group) and the cluster itself.
        while alive "$pid"; do
            (( waited < (3 * STOP_TIMEOUT + 60) * 10 )) || die "pid $pid does not stop"
            sleep 0.1
            waited=$((waited + 1))
        done
        stopped=1
    fi
    # Whatever is left over (run.sh killed with SIGKILL, say).
    local name
    for name in "${SERVICES[@]}"; do
        [[ -n $(live_pid "$RUN_DIR/$name.pid") ]] && stopped=1
    done
    [[ -f $PG_MARK ]] && stopped=1
    stop_all
    rm -f "$RUN_PID"
    if [[ $stopped -eq 1 ]]; then say "stopped"; else say "nothing was running"; fi
}

# Trap handler: stop everything once; a signal means a normal, successful stop.
SHUTTING_DOWN=0
shutdown() {
    local status=$1
    # A just-forked service that is signalled before it execs still has these traps.
    [[ $BASHPID == "$$" ]] || exit 1
    [[ $SHUTTING_DOWN -eq 1 ]] && return
    SHUTTING_DOWN=1
    trap '' INT TERM
    echo >&2
    say "stopping services"
    stop_all
    rm -f "$RUN_PID"
    say "stopped"
    exit "$status"
}

# Prints the last lines of service $1's log, to explain a failure.
show_log() {
    local log=$LOG_DIR/$1.log
    echo "--- last lines of $(short "$log"):" >&2
    tail -n 25 "$log" >&2 2>/dev/null || echo "(no log)" >&2
    echo "---" >&2
}

declare -A SERVICE_ARGS=()     # name -> its arguments, quoted, to start it again
declare -A FAILURES=()         # name -> exits in a row without a minute of running
declare -A RESTART_AT=()       # name -> when (SECONDS) it is started again after an exit
declare -A STARTED_AT=()       # name -> when (SECONDS) it was started last

# Starts service $1 (args follow) in its own session, so that Ctrl-C reaches only this
# script and the services are stopped in order; remembers how, to start it again.
start_service() {
    local name=$1; shift
    local log=$LOG_DIR/$name.log
    SERVICE_ARGS[$name]=$(printf '%q ' "$@")
    [[ -f $log ]] && mv -f "$log" "$log.1"
    setsid "$BIN/$(binary_of "$name")" "$@" </dev/null >"$log" 2>&1 &
    echo $! >"$RUN_DIR/$name.pid"
    STARTED_AT[$name]=$SECONDS
    rm -f "$RUN_DIR/$name.restart"
}

# Starts service $1 again as it was started first.
restart_service() {
    local name=$1
    eval "start_service $(printf '%q' "$name") ${SERVICE_ARGS[$name]}"
    say "$name started again (pid $(cat "$RUN_DIR/$name.pid"))"
}

# Fails with the service's log when one of the named services is not running.
check_alive() {
    local name pid status
    for name in "$@"; do
        pid=$(cat "$RUN_DIR/$name.pid")
        if ! alive "$pid"; then
            status=0
            wait "$pid" 2>/dev/null || status=$?
            say "$name (pid $pid) exited with status $status"
            show_log "$name"
            return 1
        fi
    done
}

LAST_JSON=""       # the last answer to `egovctl participants --json`

# True when `egovctl participants --json` lists every registry.
all_connected() {
    local name
    LAST_JSON=$("$BIN/egovctl" --gateway "$EGOV_GATEWAY" participants --json 2>/dev/null) || return 1
    for name in "${REGISTRIES[@]}"; do
        grep -q "\"participant_id\"[[:space:]]*:[[:space:]]*\"$name\"" <<<"$LAST_JSON" || return 1
    done
}

# Waits until the gateway answers and every registry is connected.
wait_until_up() {
    local deadline=$((SECONDS + START_TIMEOUT))
    until all_connected; do
        check_alive "${SERVICES[@]}" || return 1
        if (( SECONDS >= deadline )); then
            say "not everything connected to the gateway within ${START_TIMEOUT}s (EGOV_RUN_TIMEOUT)"
            "$BIN/egovctl" --gateway "$EGOV_GATEWAY" participants >&2 || true
            local name
            for name in "${REGISTRIES[@]}"; do
                grep -q "\"participant_id\"[[:space:]]*:[[:space:]]*\"$name\"" <<<"$LAST_JSON" ||
                    show_log "$name"
            done
            return 1
        fi
        sleep 0.5
    done
}

# The conninfo of database $1 on the cluster the services use.
conninfo_for() { printf '%s' "${EGOV_SHEP_DB/dbname=shep/dbname=$1}"; }

# The dbname in conninfo $1, for the table.
dbname_of() {
    sed -nE "s/.*dbname=('([^']*)'|([^ ]*)).*/\2\3/p" <<<"$1"
}

print_table() {
    local pg_pid pg_where pg_log
    if [[ -n ${EGOV_PG_EXTERNAL:-} ]]; then
        pg_pid="-"; pg_where="external: $EGOV_PG_EXTERNAL"; pg_log="-"
    else
        pg_pid=$(sed -n 1p "$EGOV_PG_DIR/data/postmaster.pid" 2>/dev/null || echo "?")
        pg_where="127.0.0.1:$EGOV_PG_PORT, socket $(short "$EGOV_PG_HOST")"
        pg_log=$(short "$EGOV_PG_DIR/postgresql.log")
    fi
    local format="  %-19s %-8s %-34s %-21s %s\n"
    echo
    echo "The e-government simulator is running:"
    echo
    # shellcheck disable=SC2059
    {
        printf "$format" PROCESS PID "ENDPOINT / PORT" DATABASE LOG
        printf "$format" postgres "$pg_pid" "$pg_where" "one per service" "$pg_log"
        printf "$format" shep "$(cat "$RUN_DIR/shep.pid")" "binds $EGOV_SHEP_ENDPOINT" \
            "$(dbname_of "$EGOV_SHEP_DB")" "$(short "$LOG_DIR/shep.log")"
        printf "$format" gbdfl "$(cat "$RUN_DIR/gbdfl.pid")" "-> $EGOV_GATEWAY" \
            "$(dbname_of "$EGOV_GBDFL_DB")" "$(short "$LOG_DIR/gbdfl.log")"
        printf "$format" enis "$(cat "$RUN_DIR/enis.pid")" "-> $EGOV_GATEWAY" \
            "$(dbname_of "$EGOV_ENIS_DB")" "$(short "$LOG_DIR/enis.log")"
        local name index=0 office=0 where
        for name in "${SERVICES[@]:3}"; do
            case $name in
                leb-*) where="http://127.0.0.1:$((LEB_HTTP_BASE + index)) (tasks)"; index=$((index + 1)) ;;
                office-*) where="http://127.0.0.1:$((OFFICE_HTTP_BASE + office)) (desk)"; office=$((office + 1)) ;;
                intake) where="http://$INTAKE_HTTP" ;;
                portal) where="http://$PORTAL_HTTP" ;;
                *) where="-> $EGOV_GATEWAY" ;;
            esac
            printf "$format" "$name" "$(cat "$RUN_DIR/$name.pid")" "$where" \
                "$(tr '-' '_' <<<"$name")" "$(short "$LOG_DIR/$name.log")"
        done
    }
    local ctl gateway_flag=""
    ctl=$(short "$BIN/egovctl")
    [[ $EGOV_GATEWAY == tcp://127.0.0.1:7700 ]] || gateway_flag=" --gateway $EGOV_GATEWAY"
    echo
    echo "Try it (from another terminal, in $REPO):"
    echo "  $ctl$gateway_flag person 850314301234"
    echo "  $ctl$gateway_flag participants"
    echo "  deploy/pg.sh psql -d shep"
    [[ -z $EGOV_SHEP_METRICS ]] || echo "  curl http://$EGOV_SHEP_METRICS/metrics"
    echo
    echo "Ctrl-C here, or 'make stop' from another terminal, stops everything."
}

main() {
    local name
    for name in "${SERVICES[@]}" egovctl; do
        [[ -x $BIN/$(binary_of "$name") ]] || die "$(short "$BIN/$(binary_of "$name")") not found; build first with 'make'"
    done
    mkdir -p "$LOG_DIR" "$RUN_DIR"

    local other
    other=$(live_pid "$RUN_PID")
    [[ -z $other ]] || die "already running (pid $other); stop it with 'make stop'"
    for name in "${SERVICES[@]}"; do
        other=$(live_pid "$RUN_DIR/$name.pid")
        [[ -z $other ]] ||
            die "$name from an earlier run still runs (pid $other); stop it with 'make stop'"
    done
    # Another gateway on our port would answer the health checks in our shep's stead.
    local port=${EGOV_SHEP_ENDPOINT##*:}
    if [[ $EGOV_SHEP_ENDPOINT == tcp://* && $port =~ ^[0-9]+$ ]] && egov_port_used "$port" listening; then
        die "port $port of $EGOV_SHEP_ENDPOINT is taken (another instance? 'make stop', or set EGOV_SHEP_ENDPOINT)"
    fi
    port=${EGOV_SHEP_METRICS##*:}
    if [[ -n $EGOV_SHEP_METRICS && $port =~ ^[0-9]+$ ]] && egov_port_used "$port" listening; then
        die "port $port of EGOV_SHEP_METRICS=$EGOV_SHEP_METRICS is taken (another instance? 'make stop', or set EGOV_SHEP_METRICS, empty for none)"
    fi
    echo $$ >"$RUN_PID"
    OWN_CHILDREN=1
    # What `run.sh stop|start NAME` and the supervisor left from an earlier run
    rm -f "$RUN_DIR"/*.held "$RUN_DIR"/*.restart "$RUN_DIR"/*.start

    trap 'shutdown 0' INT TERM
    trap 'shutdown 1' EXIT

    # Leave a cluster that was already running (a developer's psql session) running.
    if [[ -z ${EGOV_PG_EXTERNAL:-} ]] && ! "$PG" status >/dev/null; then
        touch "$PG_MARK"
    fi
    "$PG" start
    local databases=(shep gbdfl enis queue) region
    for region in "${REGIONS[@]}"; do databases+=("regional_$region" "leb_$region"); done
    if [[ " ${SERVICES[*]} " == *" intake "* ]]; then
        databases+=(intake)
        for region in "${REGIONS[@]}"; do databases+=("office_$region"); done
    fi
    [[ " ${SERVICES[*]} " == *" portal "* ]] && databases+=(portal)
    "$PG" createdb "${databases[@]}"
    # Explicit per-service conninfo strings win over the cluster's.
    local shep_db=${EGOV_SHEP_DB:-} gbdfl_db=${EGOV_GBDFL_DB:-} enis_db=${EGOV_ENIS_DB:-}
    local queue_db=${EGOV_QUEUE_DB:-}
    eval "$("$PG" env)"
    export EGOV_SHEP_DB=${shep_db:-$EGOV_SHEP_DB}
    export EGOV_GBDFL_DB=${gbdfl_db:-$EGOV_GBDFL_DB}
    export EGOV_ENIS_DB=${enis_db:-$EGOV_ENIS_DB}
    export EGOV_QUEUE_DB=${queue_db:-$EGOV_QUEUE_DB}

    # The test certification authority and every demo certificate: made on
    # the first run (a few seconds of RSA key generation), reused after.
    export EGOV_PKI_DIR=${EGOV_PKI_DIR:-$REPO/var/pki}
    if [[ -f $EGOV_PKI_DIR/index.tsv ]]; then
        say "certificates in $EGOV_PKI_DIR"
    else
        say "making the test CA and its demo certificates in $EGOV_PKI_DIR (first run: a few seconds of RSA key generation)"
    fi
    "$BIN/egovctl" pki init ${EGOV_SHEP_CLOCK_START:+--at "$EGOV_SHEP_CLOCK_START"} >/dev/null || die "cannot set up the test CA in $EGOV_PKI_DIR"

    # CURVE key pairs: the gateway's and one per participant (and egovctl's),
    # made once; the gateway lets in these keys only, with the rights of
    # gateway/rights.conf (EGOV_RIGHTS). docs/security.md says how to add one.
    export EGOV_KEYS_DIR=${EGOV_KEYS_DIR:-$REPO/var/keys}
    say "keys in $EGOV_KEYS_DIR"
    "$BIN/egovctl" keys init "${SERVICES[@]:1}" egovctl >/dev/null || die "cannot make the keys in $EGOV_KEYS_DIR"

    say "starting shep on $EGOV_SHEP_ENDPOINT"
    start_service shep --endpoint "$EGOV_SHEP_ENDPOINT" --db "$EGOV_SHEP_DB"
    # The registries connect once the gateway answers.
    local deadline=$((SECONDS + START_TIMEOUT))
    until "$BIN/egovctl" --gateway "$EGOV_GATEWAY" participants >/dev/null 2>&1; do
        check_alive shep || exit 1
        if (( SECONDS >= deadline )); then
            say "shep does not answer on $EGOV_GATEWAY within ${START_TIMEOUT}s"
            show_log shep
            exit 1
        fi
        sleep 0.5
    done
    say "starting gbdfl and enis"
    # The synthetic population is made as of 1 January of the year gbdfl is first seeded
    # in, and enis names the same people: the year is kept in var/ for both (a registry
    # seeded before it was kept is as of 2026)
    if [[ $(psql -XAtq -d "$EGOV_GBDFL_DB" -c "SELECT to_regclass ('person') IS NULL" 2>/dev/null) == t ]]; then
        local year=${EGOV_POPULATION_YEAR:-$(date -u +%Y)}
        [[ $year =~ ^[0-9]{4}$ ]] && (( 10#$year >= 2026 && 10#$year <= 2099 )) ||
            die "EGOV_POPULATION_YEAR=$year: the population's year is one from 2026 to 2099"
        say "gbdfl seeds the registry of individuals first (first run: its log says how many and how long)"
        echo "$year" >"$VAR/population-year"
    fi
    EGOV_POPULATION_YEAR=$(cat "$VAR/population-year" 2>/dev/null || echo 2026)
    export EGOV_POPULATION_YEAR
    start_service gbdfl --gateway "$EGOV_GATEWAY" --db "$EGOV_GBDFL_DB"
    start_service enis --gateway "$EGOV_GATEWAY" --db "$EGOV_ENIS_DB"
    say "starting the kindergarten queue register"
    start_service queue --gateway "$EGOV_GATEWAY" --db "$EGOV_QUEUE_DB"
    local index=0
    for region in "${REGIONS[@]}"; do
        say "starting the regional gateway and the local executive body of $region"
        start_service "regional-$region" --region "$region" --gateway "$EGOV_GATEWAY" \
            --db "$(conninfo_for "regional_$region")" --pki "$EGOV_PKI_DIR"
        local manual=() listed=" ${EGOV_LEB_MANUAL:-} "
        [[ ${listed//,/ } == *" $region "* ]] && manual=(--manual)
        start_service "leb-$region" --region "$region" --gateway "$EGOV_GATEWAY" \
            --db "$(conninfo_for "leb_$region")" --pki "$EGOV_PKI_DIR" \
            --http "127.0.0.1:$((LEB_HTTP_BASE + index))" "${manual[@]}"
        index=$((index + 1))
    done
    if [[ " ${SERVICES[*]} " == *" intake "* ]]; then
        say "starting the State Corporation intake on $INTAKE_HTTP"
        start_service intake --gateway "$EGOV_GATEWAY" --db "$(conninfo_for intake)" \
            --pki "$EGOV_PKI_DIR" --http "$INTAKE_HTTP"
        index=0
        for region in "${REGIONS[@]}"; do
            say "starting the office of the provider of $region on 127.0.0.1:$((OFFICE_HTTP_BASE + index))"
            start_service "office-$region" --office "$region" --gateway "$EGOV_GATEWAY" \
                --db "$(conninfo_for "office_$region")" --pki "$EGOV_PKI_DIR" \
                --http "127.0.0.1:$((OFFICE_HTTP_BASE + index))"
            index=$((index + 1))
        done
    fi
    if [[ " ${SERVICES[*]} " == *" portal "* ]]; then
        say "starting the portal on $PORTAL_HTTP"
        start_service portal --gateway "$EGOV_GATEWAY" --db "$(conninfo_for portal)" \
            --pki "$EGOV_PKI_DIR" --http "$PORTAL_HTTP"
    fi
    wait_until_up || exit 1
    print_table

    # Stay in the foreground, supervising: a service that exits is reported and started
    # again after a backoff, unless `run.sh stop NAME` held it; the others run on.
    while :; do
        sleep 1 &
        wait $! || true
        supervise
    done
}

# One round of supervision over every service.
supervise() {
    local name pid status delay
    for name in "${SERVICES[@]}"; do
        if [[ -f $RUN_DIR/$name.held ]]; then
            #  Stopped on request: reap it once, then leave it alone
            pid_from "$RUN_DIR/$name.pid"
            pid=$PID
            if [[ -n $pid ]] && ! alive "$pid"; then
                wait "$pid" 2>/dev/null || true
                rm -f "$RUN_DIR/$name.pid"
                say "$name stopped on request ('deploy/run.sh start $name' starts it again)"
            fi
            continue
        fi
        pid_from "$RUN_DIR/$name.pid"
        pid=$PID
        if [[ -n $pid ]] && alive "$pid"; then
            #  A minute of running forgives earlier failures
            (( SECONDS - ${STARTED_AT[$name]:-0} < 60 )) || FAILURES[$name]=0
            continue
        fi
        if [[ -n $pid ]]; then
            status=0
            wait "$pid" 2>/dev/null || status=$?
            rm -f "$RUN_DIR/$name.pid"
            FAILURES[$name]=$(( ${FAILURES[$name]:-0} + 1 ))
            delay=$(( 1 << (FAILURES[$name] - 1 < 5 ? FAILURES[$name] - 1 : 5) ))
            (( delay <= 30 )) || delay=30
            RESTART_AT[$name]=$(( SECONDS + delay ))
            echo "${RESTART_AT[$name]} $delay" >"$RUN_DIR/$name.restart"
            say "$name (pid $pid) exited with status $status; starting it again in ${delay}s"
            show_log "$name"
            continue
        fi
        #  Not running and not held: started again when its backoff is over (at once
        #  after `run.sh start NAME`)
        if (( SECONDS >= ${RESTART_AT[$name]:-0} )) || [[ -f $RUN_DIR/$name.start ]]; then
            rm -f "$RUN_DIR/$name.start"
            restart_service "$name"
        fi
    done
}

# The service named $1 of SERVICES, or die listing them.
known_service() {
    local name
    for name in "${SERVICES[@]}"; do [[ $name == "$1" ]] && return 0; done
    die "no service '$1'; the services are: ${SERVICES[*]}"
}

# `deploy/run.sh stop NAME`: holds the service stopped and stops it.
control_stop() {
    known_service "$1"
    [[ -n $(live_pid "$RUN_PID") ]] || die "nothing is running ('make run' starts it)"
    touch "$RUN_DIR/$1.held"
    local pid
    pid=$(live_pid "$RUN_DIR/$1.pid")
    if [[ -n $pid ]] && grep -qa "bin/$(binary_of "$1")" "/proc/$pid/cmdline" 2>/dev/null; then
        terminate "$pid"
        say "$1 (pid $pid) stopped; it stays stopped until 'deploy/run.sh start $1'"
    else
        say "$1 was not running; it stays stopped until 'deploy/run.sh start $1'"
    fi
}

# `deploy/run.sh start NAME`: lets the supervisor start it (at once).
control_start() {
    known_service "$1"
    [[ -n $(live_pid "$RUN_PID") ]] || die "nothing is running ('make run' starts it)"
    if [[ -n $(live_pid "$RUN_DIR/$1.pid") ]]; then
        say "$1 already runs (pid $(live_pid "$RUN_DIR/$1.pid"))"
        return 0
    fi
    touch "$RUN_DIR/$1.start"
    rm -f "$RUN_DIR/$1.held"
    local waited=0
    until [[ -n $(live_pid "$RUN_DIR/$1.pid") ]]; do
        (( waited < 100 )) || die "$1 did not start within 10 s; see $(short "$LOG_DIR/$1.log")"
        sleep 0.1
        waited=$((waited + 1))
    done
    say "$1 started (pid $(live_pid "$RUN_DIR/$1.pid"))"
}

# `deploy/run.sh status`: one line per service.
control_status() {
    [[ -n $(live_pid "$RUN_PID") ]] || { say "nothing is running"; return 3; }
    local name pid state
    printf '%-22s %-8s %s\n' SERVICE PID STATE
    for name in "${SERVICES[@]}"; do
        pid=$(live_pid "$RUN_DIR/$name.pid")
        if [[ -n $pid ]]; then state=running
        elif [[ -f $RUN_DIR/$name.held ]]; then state="stopped (deploy/run.sh start $name)"
        elif [[ -f $RUN_DIR/$name.restart ]]; then state="exited; starting again (backoff $(cut -d' ' -f2 "$RUN_DIR/$name.restart")s)"
        else state=starting
        fi
        printf '%-22s %-8s %s\n' "$name" "${pid:--}" "$state"
    done
}

case "${1:-}" in
    "") main ;;
    --stop) stop_other ;;
    stop|start)
        [[ $# -eq 2 ]] || { echo "run.sh: $1 needs a service name" >&2; usage >&2; exit 2; }
        "control_$1" "$2" ;;
    status) control_status ;;
    -h|--help) usage ;;
    *) echo "run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
esac
