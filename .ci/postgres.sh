#!/usr/bin/env bash
# Starts or stops a throwaway Postgres for the tests: a fresh cluster in a temp directory, owned by the
# unprivileged `postgres` user when run as root, listening on loopback only, scram-sha-256 for TCP logins.
# The one implementation CI (.ci/run), the samples (samples/lib.sh) and the test fixtures
# (tests/LeaseAgent.Testing/LocalPostgresServer.cs) share.
#
#   .ci/postgres.sh start  [DIR] [PORT]  a fresh cluster; prints the admin connection string on stdout
#   .ci/postgres.sh stop   [DIR]         fast shutdown; the cluster stays in DIR (the caller removes DIR)
#   .ci/postgres.sh resume [DIR]         starts the cluster in DIR again, after a stop
#   .ci/postgres.sh bindir               prints the server binaries' directory, or fails; never installs
#   .ci/postgres.sh reap   DIR PID       once process PID has ended, stops the server and removes DIR
#
# LEASEAGENT_TEST_POSTGRES_BINARIES names the binaries' directory instead of searching for one.
# PG_SUPERUSER_PASSWORD is the superuser's password (default: postgres); it is read from the environment so
# that no command line shows it.
set -euo pipefail

action=${1:?usage: postgres.sh start|stop|resume|bindir|reap [DIR] [PORT|PID]}
dir=${2:-/tmp/leaseagent-pg}
port=${3:-54329}

# Debian/Ubuntu's versioned directories (newest first), then pg_config, then initdb on PATH (Homebrew, Postgres.app,
# RPM layouts).
find_bindir() {
  local candidate
  if [[ -n "${LEASEAGENT_TEST_POSTGRES_BINARIES:-}" ]]; then
    [[ -x "$LEASEAGENT_TEST_POSTGRES_BINARIES/initdb" ]] && { echo "$LEASEAGENT_TEST_POSTGRES_BINARIES"; return 0; }
    return 1
  fi
  for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -rn); do
    [[ -x "$candidate/initdb" ]] && { echo "$candidate"; return 0; }
  done
  candidate=$(pg_config --bindir 2>/dev/null) && [[ -x "$candidate/initdb" ]] && { echo "$candidate"; return 0; }
  candidate=$(command -v initdb 2>/dev/null) && { dirname "$(readlink -f "$candidate")"; return 0; }
  return 1
}

if [[ "$action" == bindir ]]; then
  find_bindir
  exit
fi

# stop, resume and reap use the binaries the cluster was created with; only start installs any.
if [[ "$action" != start ]]; then
  bindir=$(cat "$dir/bindir" 2>/dev/null || find_bindir || true)
else
  bindir=$(find_bindir) || {
    [[ -z "${LEASEAGENT_TEST_POSTGRES_BINARIES:-}" ]] || { echo "postgres.sh: no initdb in LEASEAGENT_TEST_POSTGRES_BINARIES=$LEASEAGENT_TEST_POSTGRES_BINARIES" >&2; exit 1; }
    echo "postgres.sh: no Postgres server binaries; installing the postgresql package" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    bindir=$(find_bindir)
  }
fi

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
    echo "$bindir" >"$dir/bindir"
    pwfile="$dir/pwfile"
    (umask 077; printf '%s\n' "${PG_SUPERUSER_PASSWORD:-postgres}" >"$pwfile")
    [[ $(id -u) -eq 0 ]] && chown postgres "$pwfile"
    as_postgres "$bindir/initdb" -D "$dir/data" -U postgres --pwfile="$pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 -E UTF8 >"$dir/initdb.log" 2>&1 \
      || { rm -f "$pwfile"; cat "$dir/initdb.log" >&2; exit 1; }
    rm -f "$pwfile"
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
    if [[ -n "${PG_SUPERUSER_PASSWORD:-}" ]]; then
      echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"   # the caller adds the password it chose
    else
      echo "Host=127.0.0.1;Port=$port;Username=postgres;Password=postgres;Database=postgres"
    fi
    ;;
  stop)
    if [[ -d "$dir/data" ]]; then
      as_postgres "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    fi
    ;;
  reap)
    # A test process's clean-up that outlives it: the test host may be killed moments after its last test
    # (before an exit handler has removed 55 MB of cluster), or at any time.
    exec </dev/null >/dev/null 2>&1
    trap '' INT HUP TERM
    owner=${3:?usage: postgres.sh reap DIR PID}
    while kill -0 "$owner" 2>/dev/null; do sleep 0.5; done
    bindir=$(cat "$dir/bindir" 2>/dev/null || echo "$bindir")
    [[ -f "$dir/data/postmaster.pid" ]] && as_postgres "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop
    rm -rf "$dir"
    ;;
  resume)
    as_postgres "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >&2 \
      || { cat "$dir/server.log" >&2; exit 1; }
    ;;
  *)
    echo "usage: postgres.sh start|stop|resume|bindir|reap [DIR] [PORT|PID]" >&2
    exit 2
    ;;
esac
