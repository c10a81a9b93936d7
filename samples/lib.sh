# Sourced by the samples' run.sh scripts: the tools they need, a throwaway Postgres, and a clean-up that
# stops every process they started. The caller sets `root` (the repository) and `work` (its temp directory)
# before sourcing, and appends the PIDs of its background processes to `pids`.

pids=()
docker_pg=""
# Postgres runs as its own OS user, which cannot enter the caller's private work directory.
pg_dir=$(mktemp -d /tmp/leaseagent-sample-pg.XXXXXX)

require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$(basename "$(dirname "$0")"): '$tool' is required" >&2; exit 1; }
  done
}

# Stops the background processes and Postgres, removes the temp directories. Safe to call more than once.
stop_everything() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -n "$docker_pg" ]]; then docker rm -f "$docker_pg" >/dev/null 2>&1 || true
  else "$root/.ci/postgres.sh" stop "$pg_dir" >/dev/null 2>&1 || true; fi
  rm -rf "$work" "$pg_dir"
}

# start_postgres PORT NAME: local server binaries (.ci/postgres.sh), or a Docker container called NAME where
# there are none; superuser postgres/postgres on 127.0.0.1:PORT, exported as PG* for psql. Returns once the
# server accepts connections.
start_postgres() {
  local port=$1 name=$2 deadline=$((SECONDS + 60))
  if compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
    "$root/.ci/postgres.sh" start "$pg_dir" "$port" >/dev/null
  elif command -v docker >/dev/null; then
    docker_pg=$name
    docker run -d --rm --name "$docker_pg" -e POSTGRES_PASSWORD=postgres -p "127.0.0.1:$port:5432" postgres:15-alpine >/dev/null
  else
    echo "need Postgres server binaries (apt-get install postgresql) or Docker" >&2
    return 1
  fi

  export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGPASSWORD=postgres PGCONNECT_TIMEOUT=5
  until psql -qtAXd postgres -c 'SELECT 1' >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { echo "Postgres on 127.0.0.1:$port does not accept connections" >&2; return 1; }
    sleep 0.2
  done
}
