#!/usr/bin/env bash
# The project-local PostgreSQL cluster: no system service, one private directory.
#
#   deploy/pg.sh start            initialise on first use, start if not running, wait until ready
#   deploy/pg.sh stop             fast shutdown (no-op when not running)
#   deploy/pg.sh status           prints the state; exit 0 running, 3 stopped
#   deploy/pg.sh env              shell exports: eval "$(deploy/pg.sh env)"
#   deploy/pg.sh createdb NAME... create the databases that do not exist yet (starts the cluster)
#   deploy/pg.sh conninfo NAME    the connection string of database NAME, for a service's --db
#   deploy/pg.sh psql [ARGS]      psql as the superuser, database "postgres" unless ARGS name one
#   deploy/pg.sh destroy          stop and delete the cluster's directory
#
# Environment (defaults in brackets):
#   EGOV_PG_DIR       cluster directory [<repo>/var/pg]; holds data/ (PGDATA), the unix
#                     socket and postgresql.log
#   EGOV_PG_PORT      TCP port on 127.0.0.1, also names the socket [54329]
#   EGOV_PG_FAST      1 = fsync/synchronous_commit off, for throwaway test clusters [0]
#   EGOV_PG_BINDIR    server binaries [newest /usr/lib/postgresql/*/bin]
#   EGOV_PG_EXTERNAL  base conninfo of an external server, e.g. "host=db port=5432 user=egov";
#                     start/stop then do nothing and env/createdb/psql use that server
#
# The superuser role is "egov" with a random password (SCRAM-SHA-256 on the socket and on
# 127.0.0.1), kept for the clients in <dir>/pgpass (mode 0600; every conninfo names it as
# passfile, and env exports PGPASSFILE); the directory and its socket are the owner's only
# (0700). A cluster made before this is switched over on its next start. As root the
# server runs as the postgres system user, so its directory is owned by postgres; when
# postgres cannot reach the default directory (repo under /root, say) the cluster lives in
# /var/tmp/egov-sim-<hash of the repo path> instead.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROLE=egov
PORT=${EGOV_PG_PORT:-54329}
EXTERNAL=${EGOV_PG_EXTERNAL:-}
IS_ROOT=0
[[ $(id -u) -eq 0 ]] && IS_ROOT=1

die() { echo "pg.sh: $*" >&2; exit 1; }
note() { echo "pg.sh: $*" >&2; }

usage() { sed -n '2,29s/^# \{0,1\}//p' "$0"; }

# Runs a server-side command as the user that owns the cluster.
as_owner() {
    if [[ $IS_ROOT -eq 1 ]]; then
        # From / so that pg_ctl does not complain about a cwd postgres cannot enter.
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# Finds initdb/pg_ctl/postgres: Debian keeps them outside PATH, one directory per version.
find_bindir() {
    if [[ -n ${EGOV_PG_BINDIR:-} ]]; then
        [[ -x $EGOV_PG_BINDIR/pg_ctl ]] || die "no pg_ctl in EGOV_PG_BINDIR=$EGOV_PG_BINDIR"
        BINDIR=$EGOV_PG_BINDIR
        return
    fi
    local candidate
    candidate=$(compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' | sort -V | tail -n 1 || true)
    if [[ -z $candidate ]]; then
        candidate=$(command -v pg_ctl || true)
    fi
    [[ -n $candidate ]] || die "PostgreSQL server not found; run deploy/install-deps.sh"
    BINDIR=$(dirname "$candidate")
}

# True when the postgres user can traverse every existing directory on the way to $1.
postgres_can_reach() {
    local dir=$1
    while [[ ! -e $dir ]]; do dir=$(dirname "$dir"); done
    runuser -u postgres -- test -x "$dir" 2>/dev/null
}

# Sets DIR (cluster directory), DATA, SOCK and LOG, applying the root fallback.
resolve_dir() {
    FALLBACK_FROM=""
    if [[ -n ${EGOV_PG_DIR:-} ]]; then
        DIR=$EGOV_PG_DIR
        [[ $DIR == /* ]] || DIR=$PWD/$DIR
    else
        DIR=$REPO/var/pg
    fi
    if [[ $IS_ROOT -eq 1 ]]; then
        id -u postgres >/dev/null 2>&1 ||
            die "no postgres system user; run deploy/install-deps.sh"
        if ! postgres_can_reach "$DIR"; then
            [[ -z ${EGOV_PG_DIR:-} ]] ||
                die "the postgres user cannot reach EGOV_PG_DIR=$DIR (make its parents world-searchable)"
            FALLBACK_FROM=$DIR
            DIR=/var/tmp/egov-sim-$(printf '%s' "$REPO" | sha1sum | cut -c1-8)
        fi
    fi
    DATA=$DIR/data
    SOCK=$DIR
    LOG=$DIR/postgresql.log
    PASSFILE=$DIR/pgpass
    # A unix socket path is limited to 107 bytes; fail clearly rather than inside postgres.
    local sock_file=$SOCK/.s.PGSQL.$PORT
    [[ ${#sock_file} -le 107 ]] ||
        die "socket path too long (${#sock_file} > 107 bytes): $sock_file; set EGOV_PG_DIR to a shorter path"
}

# Quotes a conninfo value when it needs it (spaces, quotes, backslashes, empty).
conn_quote() {
    local value=$1
    if [[ -z $value || $value =~ [[:space:]\'\\] ]]; then
        value=${value//\\/\\\\}
        value=${value//\'/\\\'}
        printf "'%s'" "$value"
    else
        printf '%s' "$value"
    fi
}

# Quotes a value for a shell: single quotes, embedded ' as '\''.
sh_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# Quotes a value for postgresql.conf: single quotes, embedded ' doubled.
conf_quote() { printf "'%s'" "${1//\'/\'\'}"; }

# The conninfo of database $1 on the local cluster or on the external server.
conninfo() {
    if [[ -n $EXTERNAL ]]; then
        printf '%s dbname=%s' "$EXTERNAL" "$(conn_quote "$1")"
    else
        printf 'host=%s port=%s user=%s passfile=%s dbname=%s' \
            "$(conn_quote "$SOCK")" "$PORT" "$ROLE" "$(conn_quote "$PASSFILE")" "$(conn_quote "$1")"
    fi
}

# Value of key $1 in the external conninfo (simple key=value form, unquoted values).
external_value() {
    local word
    for word in $EXTERNAL; do
        [[ $word == "$1="* ]] && { printf '%s' "${word#*=}"; return 0; }
    done
    return 0
}

# True when the server of this cluster directory runs.
is_running() {
    [[ -f $DATA/PG_VERSION ]] || return 1
    as_owner "$BINDIR/pg_ctl" status -D "$DATA" >/dev/null 2>&1
}

# The port the running server listens on, from postmaster.pid (line 4).
running_port() {
    sed -n 4p "$DATA/postmaster.pid" 2>/dev/null || true
}

# Creates the cluster directory with the right owner; takes the start/stop lock.
prepare_dir() {
    mkdir -p "$DIR"
    chmod 0700 "$DIR"   # the socket and the password file are the owner's only
    if [[ $IS_ROOT -eq 1 && $(stat -c %U "$DIR") != postgres ]]; then
        chown -R postgres:postgres "$DIR"
    fi
    take_lock
}

# Serialises start/stop/destroy of one cluster (two terminals, parallel make targets).
take_lock() {
    exec 9>>"$DIR/.pg.lock"
    flock -w 60 9 || die "another pg.sh holds $DIR/.pg.lock"
}

# Starts the server detached from every descriptor of ours except 0-2: the postmaster
# would otherwise inherit the start lock (and any pipe of the caller) for its lifetime.
start_server() (
    local fd
    for fd in "/proc/$BASHPID/fd/"*; do
        fd=${fd##*/}
        if (( fd > 2 )); then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    exec </dev/null >/dev/null 2>&1
    as_owner "$BINDIR/pg_ctl" start -D "$DATA" -l "$LOG" -w -t 60
)

# Writes the settings that follow the environment; postgresql.conf includes this file.
write_settings() {
    local fast="" hba=""
    # The password login, once the role has its password (see ensure_password)
    if [[ ${1:-scram} == scram ]]; then
        printf '%s\n' "# Written by deploy/pg.sh: the role $ROLE with its password, nobody else." \
            "local   all   $ROLE                  scram-sha-256" \
            "host    all   $ROLE   127.0.0.1/32   scram-sha-256" |
            as_owner tee "$DATA/egov_hba.conf" >/dev/null
        hba="hba_file = $(conf_quote "$DATA/egov_hba.conf")"
    fi
    if [[ ${EGOV_PG_FAST:-0} == 1 ]]; then
        fast="fsync = off
synchronous_commit = off
full_page_writes = off"
    fi
    as_owner tee "$DATA/egov.conf" >/dev/null <<EOF
# Written by deploy/pg.sh on every start: set EGOV_PG_PORT / EGOV_PG_FAST instead.
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = $(conf_quote "$SOCK")
unix_socket_permissions = 0700
$hba
log_line_prefix = '%m [%p] %q%u@%d '
log_min_duration_statement = 1000
$fast
EOF
}

# A new random password for the role, written to the clients' password file.
new_password() {
    local password
    password=$(head -c 24 /dev/urandom | base64 | tr -d '/+=\n')
    (umask 077 && printf '*:*:*:%s:%s\n' "$ROLE" "$password" >"$PASSFILE")
    chmod 0600 "$PASSFILE"
    printf '%s' "$password"
}

# A cluster made with trust authentication (before the password): the role gets a
# password over the old trust login, then the server switches to SCRAM.
ensure_password() {
    [[ -f $PASSFILE ]] && return 0
    note "giving the role $ROLE a password (SCRAM) and closing the trust login"
    local password
    password=$(new_password)
    write_settings trust
    is_running || start_server || die "the server did not start; see $LOG"
    psql -X -q -v ON_ERROR_STOP=1 -v password="$password" \
        "host=$SOCK port=$(running_port) user=$ROLE dbname=postgres" >/dev/null <<'SQL' ||
SET password_encryption = 'scram-sha-256';
ALTER ROLE egov PASSWORD :'password';
SQL
        { rm -f "$PASSFILE"; die "cannot set the role's password"; }
    # hba_file is read at the server's start only
    write_settings
    as_owner "$BINDIR/pg_ctl" stop -D "$DATA" -m fast -w -t 60 >/dev/null ||
        die "the server did not stop; see $LOG"
    start_server || die "the server did not start; see $LOG"
}

cmd_start() {
    if [[ -n $EXTERNAL ]]; then
        note "EGOV_PG_EXTERNAL is set; not starting a local cluster"
        return 0
    fi
    prepare_dir
    if [[ ! -f $DATA/PG_VERSION ]]; then
        note "initialising a new cluster in $DATA"
        # The password file initdb reads is the server owner's, for that moment only
        local pwfile=$DIR/initdb.pw
        (umask 077 && new_password >"$pwfile")
        [[ $IS_ROOT -eq 1 ]] && chown postgres "$pwfile"
        as_owner "$BINDIR/initdb" -D "$DATA" -U "$ROLE" --auth=scram-sha-256 --pwfile="$pwfile" \
            --encoding=UTF8 --no-locale --no-instructions >"$DIR/initdb.log" 2>&1 ||
            { rm -f "$pwfile"; cat "$DIR/initdb.log" >&2; die "initdb failed"; }
        rm -f "$pwfile"
        echo "include_if_exists = 'egov.conf'" | as_owner tee -a "$DATA/postgresql.conf" >/dev/null
    fi
    ensure_password
    if is_running; then
        local port
        port=$(running_port)
        if [[ $port != "$PORT" ]]; then
            note "already running on port $port (not $PORT); stop it to change the port"
        fi
        PORT=$port
    else
        if [[ -n $FALLBACK_FROM ]]; then
            note "the postgres user cannot reach $FALLBACK_FROM; using $DIR instead"
        fi
        write_settings
        if ! start_server; then
            echo "--- last lines of $LOG" >&2
            tail -n 20 "$LOG" >&2 || true
            die "the server did not start (is port $PORT taken?)"
        fi
    fi
    # pg_ctl -w already waited; make sure our socket answers too.
    local tries=0
    until pg_isready -q -h "$SOCK" -p "$PORT"; do
        (( ++tries < 100 )) || die "the server does not answer on $SOCK port $PORT"
        sleep 0.1
    done
}

cmd_stop() {
    [[ -n $EXTERNAL ]] && return 0
    [[ -f $DATA/PG_VERSION ]] || return 0
    take_lock
    if is_running; then
        as_owner "$BINDIR/pg_ctl" stop -D "$DATA" -m fast -w -t 60 >/dev/null ||
            die "the server did not stop; see $LOG"
    fi
}

cmd_status() {
    if [[ -n $EXTERNAL ]]; then
        if pg_isready -q -d "$EXTERNAL dbname=postgres"; then
            echo "external server answers: $EXTERNAL"
            return 0
        fi
        echo "external server does not answer: $EXTERNAL"
        return 3
    fi
    if is_running; then
        echo "running: pid $(sed -n 1p "$DATA/postmaster.pid"), port $(running_port)," \
             "socket dir $SOCK, data $DATA, log $LOG"
        return 0
    fi
    if [[ -f $DATA/PG_VERSION ]]; then
        echo "stopped: data $DATA"
    else
        echo "not initialised: $DIR"
    fi
    return 3
}

cmd_env() {
    local host port
    if [[ -n $EXTERNAL ]]; then
        host=$(external_value host)
        port=$(external_value port)
        port=${port:-5432}
    else
        host=$SOCK
        if is_running; then port=$(running_port); else port=$PORT; fi
        PORT=$port
        echo "export EGOV_PG_DIR=$(sh_quote "$DIR")"
    fi
    [[ -n $EXTERNAL ]] || echo "export PGPASSFILE=$(sh_quote "$PASSFILE")"
    echo "export EGOV_PG_HOST=$(sh_quote "$host")"
    echo "export EGOV_PG_PORT=$(sh_quote "$port")"
    echo "export EGOV_SHEP_DB=$(sh_quote "$(conninfo shep)")"
    echo "export EGOV_GBDFL_DB=$(sh_quote "$(conninfo gbdfl)")"
    echo "export EGOV_ENIS_DB=$(sh_quote "$(conninfo enis)")"
    echo "export EGOV_QUEUE_DB=$(sh_quote "$(conninfo queue)")"
}

cmd_createdb() {
    [[ $# -gt 0 ]] || die "createdb needs at least one database name"
    if [[ -z $EXTERNAL ]]; then
        cmd_start
        exec 9>&-
    fi
    local name
    for name in "$@"; do
        # \gexec runs the generated statement only when the database is missing.
        psql -X -q -v ON_ERROR_STOP=1 -v name="$name" "$(conninfo postgres)" <<'SQL' >/dev/null
SELECT format('CREATE DATABASE %I', :'name')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name') \gexec
SQL
    done
}

cmd_psql() {
    if [[ -n $EXTERNAL ]]; then
        local key value
        for key in host port user password sslmode; do
            value=$(external_value "$key")
            [[ -n $value ]] && export "PG${key^^}=$value"
        done
    else
        is_running || die "not running; run deploy/pg.sh start"
        PGPORT=$(running_port)
        export PGHOST=$SOCK PGPORT PGUSER=$ROLE PGPASSFILE=$PASSFILE
    fi
    export PGDATABASE=${PGDATABASE:-postgres}
    exec psql "$@"
}

cmd_destroy() {
    [[ -z $EXTERNAL ]] || die "EGOV_PG_EXTERNAL is set; refusing to destroy an external server"
    [[ -d $DIR ]] || return 0
    # Only ever delete something that looks like our cluster directory.
    if [[ ! -f $DATA/PG_VERSION ]]; then
        local entry
        for entry in "$DIR"/* "$DIR"/.[!.]*; do
            [[ -e $entry ]] || continue
            case "${entry##*/}" in
                .pg.lock|initdb.log|postgresql.log|data|pgpass|initdb.pw) ;;
                *) die "$DIR does not look like a cluster made by pg.sh; not deleting it" ;;
            esac
        done
    fi
    cmd_stop
    rm -rf "$DIR"
}

command=${1:-}
[[ $# -gt 0 ]] && shift
case "$command" in
    -h|--help|help) usage; exit 0 ;;
    "") usage >&2; exit 2 ;;
esac

if [[ -z $EXTERNAL ]]; then
    find_bindir
    resolve_dir
fi

case "$command" in
    start)    cmd_start ;;
    stop)     cmd_stop ;;
    status)   cmd_status ;;
    env)      cmd_env ;;
    createdb) cmd_createdb "$@" ;;
    conninfo) [[ $# -eq 1 ]] || die "conninfo needs a database name"
              if [[ -z $EXTERNAL ]] && is_running; then PORT=$(running_port); fi
              conninfo "$1"; echo ;;
    psql)     cmd_psql "$@" ;;
    destroy)  cmd_destroy ;;
    *) echo "pg.sh: unknown command '$command'" >&2; usage >&2; exit 2 ;;
esac
