#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL: a fresh cluster in a temp dir on a free loopback
# port, DATABASE_URL exported, everything removed afterwards.
#
#   scripts/with-postgres.sh cargo test
set -euo pipefail

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$pgbin" ]; then
  echo "with-postgres: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
  exit 2
fi
dir=$(mktemp -d /tmp/authgen-pg.XXXXXX)
as_owner=()
if [ "$(id -u)" = 0 ]; then
  # initdb refuses to run as root: run the cluster as the postgres user.
  chown postgres: "$dir"
  as_owner=(setpriv --reuid=postgres --regid=postgres --init-groups)
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
stop() {
  "${as_owner[@]}" "$pgbin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
"${as_owner[@]}" "$pgbin/initdb" -D "$dir/data" -U authgen --auth=trust -E UTF8 >/dev/null
"${as_owner[@]}" "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" \
  start >/dev/null
export DATABASE_URL="postgres://authgen@127.0.0.1:$port/postgres"
export PGBIN="$pgbin" PGHOST=127.0.0.1 PGPORT="$port" PGUSER=authgen
# For tests that stop and restart the server (database-outage tests).
export TEST_PG_DATA="$dir/data" TEST_PG_CTL="$pgbin/pg_ctl" TEST_PG_OPTIONS="-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300"
[ "$(id -u)" = 0 ] && export TEST_PG_AS_POSTGRES=1
"$@"
