#!/usr/bin/env bash
# Installs the Debian packages the project needs; safe to run any number of times.
#
#   deploy/install-deps.sh                everything: build tools + libraries, the
#                                         PostgreSQL server that `make run` / `make test` use,
#                                         curl, and chromium + node for the browser test
#   deploy/install-deps.sh --check-build  only what compiling needs (`make` calls this on
#                                         every build, so it only looks at pkg-config and
#                                         PATH and never asks apt while everything is there)
#
# When something is missing: as root it runs `apt-get update` once and installs the
# missing packages; otherwise it prints the `sudo apt-get install ...` to run and exits 1.
# Prints nothing when everything is already there.
set -euo pipefail

usage() {
    sed -n '2,12s/^# \{0,1\}//p' "$0"
}

mode=all
case "${1:-}" in
    "") ;;
    --check-build) mode=build ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install-deps.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
esac

missing=()

# need PACKAGE KIND WHAT — records PACKAGE as missing unless WHAT is present.
# KIND: cmd (a program on PATH), pc (a pkg-config module), glob (a file pattern).
need() {
    local package=$1 kind=$2 what=$3
    case "$kind" in
        cmd) command -v "$what" >/dev/null 2>&1 && return 0 ;;
        pc)  command -v pkg-config >/dev/null 2>&1 &&
                 pkg-config --exists "$what" 2>/dev/null && return 0 ;;
        glob) compgen -G "$what" >/dev/null && return 0 ;;
    esac
    missing+=("$package")
}

# What compiling needs: the Makefile's pkg-config modules, protoc-c and the toolchain.
need gcc                  cmd gcc
need make                 cmd make
need pkg-config           cmd pkg-config
need protobuf-c-compiler  cmd protoc-c
need libprotobuf-c-dev    pc  libprotobuf-c
need libczmq-dev          pc  libczmq
need libzmq3-dev          pc  libzmq
need libpq-dev            pc  libpq
need libssl-dev           pc  libcrypto
need libsodium-dev        pc  libsodium
need libjansson-dev       pc  jansson
need libmicrohttpd-dev    pc  libmicrohttpd
need libcmocka-dev        pc  cmocka
need uuid-dev             pc  uuid
need libyaml-dev          pc  yaml-0.1
need libcurl4-openssl-dev pc  libcurl

if [[ $mode == all ]]; then
    # The server binaries live in a versioned directory that is not on PATH (pg.sh
    # finds them there); psql/pg_isready come with the server package.
    need postgresql         glob '/usr/lib/postgresql/*/bin/initdb'
    need postgresql         cmd  psql
    need postgresql-contrib glob '/usr/share/postgresql/*/extension/pgcrypto.control'
    # The tests: HTTP calls from the shell, and the portal's reference frontend in a
    # headless browser driven by Node.js over the DevTools protocol.
    need curl               cmd  curl
    need chromium           cmd  chromium
    need nodejs             cmd  node
    # The OpenAPI documents' lint (tests/integration/06-openapi.sh): Redocly's CLI via npx
    need npm                cmd  npx
    # The bounded libFuzzer run over the decoders (tests/integration/45-fuzz.sh)
    need clang              cmd  clang
    # The second-language participant (examples/python, tests/integration/97-python.sh):
    # Debian's Python with ZeroMQ and protobuf, openssl to sign; JSON Schema checks
    need python3-zmq        glob '/usr/lib/python3/dist-packages/zmq/__init__.py'
    need python3-protobuf   glob '/usr/lib/python3/dist-packages/google/protobuf/__init__.py'
    need python3-jsonschema glob '/usr/lib/python3/dist-packages/jsonschema/__init__.py'
    need openssl            cmd  openssl
    # The end-to-end benchmark's client signs the portal's requests (tests/bench_e2e.py)
    need python3-cryptography glob '/usr/lib/python3/dist-packages/cryptography/__init__.py'
fi

[[ ${#missing[@]} -eq 0 ]] && exit 0

# Remove duplicates while keeping the order.
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')

if [[ $(id -u) -ne 0 ]]; then
    echo "Missing packages: ${missing[*]}" >&2
    echo "Install them with:" >&2
    echo "  sudo apt-get install ${missing[*]}" >&2
    exit 1
fi

echo "install-deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y "${missing[@]}"
