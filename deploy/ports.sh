# TCP ports: whether one is taken (deploy/run.sh, before it starts a service on it), and
# free ones for the tests (tests/lib.sh) and the benchmarks. Sourced, not run.
# shellcheck shell=bash

# egov_port_used PORT [listening] — true when something uses TCP port PORT on this host
# (any socket, a connection lingering after its close too), or with "listening", when
# something listens on it.
egov_port_used() {
    local states=a
    [[ ${2:-} == listening ]] && states=l
    if command -v ss >/dev/null 2>&1; then
        [[ -n $(ss -Ht"$states"n "( sport = :$1 )" 2>/dev/null) ]]
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
    fi
}

# egov_free_port — a TCP port nothing uses, below the kernel's ephemeral range and not
# handed out before (the ports given are kept in the file $EGOV_PORTS_GIVEN).
egov_free_port() {
    local port tries=0 given=${EGOV_PORTS_GIVEN:?egov_free_port: EGOV_PORTS_GIVEN unset}
    while (( tries++ < 500 )); do
        port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 12000 ))
        grep -qx "$port" "$given" 2>/dev/null && continue
        egov_port_used "$port" && continue
        echo "$port" >>"$given"
        echo "$port"
        return 0
    done
    echo "egov_free_port: no free port found" >&2
    return 1
}

# egov_free_ports N — the first of N consecutive TCP ports nothing uses (for a base that
# services add their index to), each handed out as egov_free_port does.
egov_free_ports() {
    local base offset tries=0 given=${EGOV_PORTS_GIVEN:?egov_free_ports: EGOV_PORTS_GIVEN unset}
    while (( tries++ < 100 )); do
        base=$(egov_free_port) || return 1
        for (( offset = 1; offset < $1; offset++ )); do
            grep -qx "$((base + offset))" "$given" 2>/dev/null && break
            egov_port_used "$((base + offset))" && break
        done
        if (( offset == $1 )); then
            for (( offset = 1; offset < $1; offset++ )); do echo "$((base + offset))" >>"$given"; done
            echo "$base"
            return 0
        fi
    done
    echo "egov_free_ports: no $1 free ports in a row" >&2
    return 1
}
