#!/usr/bin/env bash
# Starts or stops a throwaway Postgres for the tests: a fresh cluster in a temp directory,
# owned by the unprivileged `postgres` user, listening on loopback only.
#
#   .ci/postgres.sh start [DIR] [PORT]   prints the admin connection string on stdout
#   .ci/postgres.sh stop  [DIR]
set -euo pipefail

action=${1:?usage: postgres.sh start|stop [DIR] [PORT]}
dir=${2:-/tmp/leaseagent-pg}
port=${3:-54329}

find_bindir() {
  for candidate in /usr/lib/postgresql/*/bin; do
    [[ -x "$candidate/initdb" ]] && { echo "$candidate"; return 0; }
  done
  return 1
}

bindir=$(find_bindir) || {
  echo "postgres.sh: no Postgres server binaries; installing the postgresql package" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  bindir=$(find_bindir)
}

as_postgres() {
  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir "$dir" --shell /usr/sbin/nologin postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case "$action" in
  start)
    if [[ -f "$dir/data/postmaster.pid" ]] && as_postgres "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      as_postgres "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >&2
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    [[ $(id -u) -eq 0 ]] && { id postgres >/dev/null 2>&1 || useradd --system --shell /usr/sbin/nologin postgres; chown postgres "$dir"; }
    pwfile="$dir/pwfile"
    echo "postgres" > "$pwfile"
    [[ $(id -u) -eq 0 ]] && chown postgres "$pwfile"
    as_postgres "$bindir/initdb" -D "$dir/data" -U postgres --pwfile="$pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 -E UTF8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
password_encryption = 'scram-sha-256'
log_min_messages = warning
CONF
    as_postgres "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >&2 \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "Host=127.0.0.1;Port=$port;Username=postgres;Password=postgres;Database=postgres"
    ;;
  stop)
    if [[ -d "$dir/data" ]]; then
      as_postgres "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    fi
    ;;
  *)
    echo "usage: postgres.sh start|stop [DIR] [PORT]" >&2
    exit 2
    ;;
esac
