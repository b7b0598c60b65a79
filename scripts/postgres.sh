#!/usr/bin/env bash
# A private, throw-away PostgreSQL cluster for the test suite: its own data directory (var/pg-test),
# loopback only, on the first free port from 55432 (chosen when the cluster is created and kept in
# its directory), so it never meets a system cluster or another checkout's running at the same time.
#
#   scripts/postgres.sh start   # initdb on first use, start, create role+db, print the URL
#   scripts/postgres.sh stop    # fast shutdown
#   scripts/postgres.sh reset   # stop and delete the cluster (the next start is a fresh one)
#   scripts/postgres.sh url     # print the URL (postgresql://stratus:stratus@127.0.0.1:55432/stratus)
#                               # (the port is only known once the cluster exists)
#   scripts/postgres.sh status
#
# Env: STRATUS_PG_DIR (default <repo>/var/pg-test, or a /tmp directory when the `postgres` user
# cannot reach the checkout), STRATUS_PG_PORT (default: the first free port from 55432).
# The role has CREATEDB: the integration harness creates one fresh database per controller, and
# `prisma migrate dev` needs it for its shadow database.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${STRATUS_PG_DIR:-$root/var/pg-test}
# As root the server runs as `postgres`, who must be able to reach the checkout. When a parent
# directory is closed to it (a clone under /root, say), keep the cluster under /tmp instead.
if [ -z "${STRATUS_PG_DIR:-}" ] && [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$root" 2>/dev/null; then
  dir=/tmp/stratus-pg-test-$(printf '%s' "$root" | cksum | cut -d' ' -f1)
fi
data=$dir/data
role=stratus
password=stratus
database=stratus

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The cluster keeps the port it was created with; a new one takes the first port nobody listens on.
cluster_port() {
  if [ -n "${STRATUS_PG_PORT:-}" ]; then echo "$STRATUS_PG_PORT"; return; fi
  if [ -f "$dir/port" ]; then cat "$dir/port"; return; fi
  if [ -f "$data/PG_VERSION" ]; then echo 55432; return; fi # created before the port was recorded
  local p=55432
  while listening "$p"; do
    p=$((p + 1))
    [ "$p" -lt 55532 ] || { echo "postgres.sh: no free port in 55432-55531" >&2; exit 1; }
  done
  echo "$p"
}
port=$(cluster_port)
url="postgresql://$role:$password@127.0.0.1:$port/$database"

bindir() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "postgres.sh: no PostgreSQL server binaries under /usr/lib/postgresql (run scripts/system-packages.sh)" >&2
    exit 1
  fi
  echo "$bin"
}
PGBIN=$(bindir)

# PostgreSQL refuses to run as root: as root, run the server tools as the `postgres` user,
# who must own the cluster directory.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

running() {
  [ -f "$data/PG_VERSION" ] && as_owner "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1
}

init_cluster() {
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$dir"
    if ! runuser -u postgres -- test -w "$dir"; then
      echo "postgres.sh: user postgres cannot write $dir (a parent directory is not searchable); set STRATUS_PG_DIR" >&2
      exit 1
    fi
  fi
  # trust: a loopback-only cluster for tests, holding nothing worth a password.
  as_owner "$PGBIN/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  echo "$port" >"$dir/port"
}

start() {
  [ -f "$data/PG_VERSION" ] || init_cluster
  if ! running; then
    # Durability is worthless for test data; turning it off makes CREATE DATABASE and commits cheap.
    # The socket goes to /tmp: a socket under the checkout could exceed the 107-byte path limit.
    local opts="-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=/tmp"
    opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
    as_owner "$PGBIN/pg_ctl" -D "$data" -l "$dir/server.log" -o "$opts" -w -t 60 start >/dev/null ||
      { tail -n 30 "$dir/server.log" >&2; exit 1; }
  fi
  psql_admin() { as_owner "$PGBIN/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtAc "$1"; }
  if [ -z "$(psql_admin "SELECT 1 FROM pg_roles WHERE rolname = '$role'")" ]; then
    psql_admin "CREATE ROLE $role LOGIN CREATEDB PASSWORD '$password'"
  fi
  if [ -z "$(psql_admin "SELECT 1 FROM pg_database WHERE datname = '$database'")" ]; then
    psql_admin "CREATE DATABASE $database OWNER $role"
  fi
  echo "$url"
}

stop() {
  if running; then
    as_owner "$PGBIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  reset) stop; rm -rf "$dir" ;;
  url) echo "$url" ;;
  status) if running; then echo "running: $url"; else echo "stopped"; exit 3; fi ;;
  *) echo "usage: $0 start|stop|reset|url|status" >&2; exit 2 ;;
esac
