#!/usr/bin/env bash
# Starts the PostgreSQL cluster the store tests run against (Debian's
# package, installed when missing) and writes its superuser DSN to
# $BAZAAR_PG_DIR/dsn, where platform/storage/storagetest finds it.
# Idempotent and quick: a second run with the cluster up only checks it.
# Run as root (CI and the dev machines are) or as a user that can start a
# cluster of its own; the cluster is for tests only (fsync off, trust auth
# on 127.0.0.1), never for data that matters.
set -euo pipefail

dir="${BAZAAR_PG_DIR:-/var/tmp/bazaar-test-postgres}"
port="${BAZAAR_PG_PORT:-55432}"
dsn="postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable"

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

if [ -z "$(bindir)" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "test-postgres: PostgreSQL is not installed; run as root: sudo $0" >&2
		exit 1
	fi
	echo "test-postgres: installing postgresql"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
bin="$(bindir)"

# as runs a command as the cluster's owner: postgres when we are root
# (initdb refuses root), ourselves otherwise.
as() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
	echo "$dsn" >"$dir/dsn"
	exit 0
fi

mkdir -p "$dir"
[ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
if [ ! -f "$dir/data/PG_VERSION" ]; then
	as "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C >/dev/null
fi
as "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 start \
	-o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" >/dev/null
echo "$dsn" >"$dir/dsn"
echo "test-postgres: PostgreSQL running on 127.0.0.1:$port (data $dir/data, log $dir/log)"
