#!/usr/bin/env bash
# LeaseAgent quickstart: the whole main job on one machine, in one command.
#
#   1. starts a throwaway Postgres (local server binaries, or Docker where there are none);
#   2. creates the tutorial's objects: a `reporting` database, a `vault_provisioner` login that ScaiVault
#      uses as root credentials, and a `reporting_readonly` group role that holds the grants;
#   3. starts the ScaiVault emulator and sets up, through its API, the root-credentials secret, the
#      `reporting-db` engine and the `readonly` role (short TTLs, so you see renewals and rotations);
#   4. runs lease-agent in the foreground, while a loop logs in with whatever credential is published.
#
# Press Ctrl-C: the agent revokes its lease, deletes the file, and the script shows that no lease user
# is left in Postgres. Requires: the .NET SDK, curl, jq and psql (plus Postgres server binaries or Docker).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/leaseagent-quickstart.XXXXXX)
# Postgres runs as its own user, which cannot enter the private work directory.
pg_dir=$(mktemp -d /tmp/leaseagent-quickstart-pg.XXXXXX)
pg_port=${PG_PORT:-55432}
vault_port=${VAULT_PORT:-8200}
lease_ttl=${LEASE_TTL:-10s}
lease_max_ttl=${LEASE_MAX_TTL:-30s}
admin_token=quickstart-admin-token
vault="http://127.0.0.1:$vault_port"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
for tool in dotnet curl jq psql; do
  command -v "$tool" >/dev/null || { echo "quickstart: '$tool' is required" >&2; exit 1; }
done

pids=()
docker_pg=""
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -n "$docker_pg" ]]; then docker rm -f "$docker_pg" >/dev/null 2>&1 || true
  else "$root/.ci/postgres.sh" stop "$pg_dir" 2>/dev/null || true; fi
  rm -rf "$work" "$pg_dir"
}
trap cleanup EXIT

say "Starting a throwaway Postgres on 127.0.0.1:$pg_port"
if compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  "$root/.ci/postgres.sh" start "$pg_dir" "$pg_port" >/dev/null
elif command -v docker >/dev/null; then
  docker_pg=leaseagent-quickstart-pg
  docker run -d --rm --name "$docker_pg" -e POSTGRES_PASSWORD=postgres -p "127.0.0.1:$pg_port:5432" postgres:15-alpine >/dev/null
  until PGPASSWORD=postgres psql -h 127.0.0.1 -p "$pg_port" -U postgres -qtAc 'select 1' >/dev/null 2>&1; do sleep 0.5; done
else
  echo "quickstart: need Postgres server binaries (apt-get install postgresql) or Docker" >&2; exit 1
fi
export PGHOST=127.0.0.1 PGPORT=$pg_port PGUSER=postgres PGPASSWORD=postgres
admin_cs="Host=127.0.0.1;Port=$pg_port;Username=postgres;Password=postgres;Database=postgres"

say "Creating the tutorial's database, provisioning role and group role"
psql -qX -v ON_ERROR_STOP=1 -d postgres <<'SQL'
CREATE DATABASE reporting;
CREATE ROLE vault_provisioner LOGIN CREATEROLE PASSWORD 'provisioner-password';
GRANT pg_signal_backend TO vault_provisioner;
\c reporting
CREATE ROLE reporting_readonly NOLOGIN;
CREATE TABLE sales (region text, amount numeric);
INSERT INTO sales VALUES ('north', 1200), ('south', 800), ('east', 450);
GRANT SELECT ON sales TO reporting_readonly;
SQL

say "Building the emulator and the Native AOT agent (the first build takes a minute)"
dotnet publish "$root/src/ScaiVault.Emulator/ScaiVault.Emulator.csproj" -c Release -o "$work/emulator" -nologo -v q
dotnet publish "$root/src/LeaseAgent/LeaseAgent.csproj" -c Release -r linux-x64 -o "$work/agent" -nologo -v q

say "Starting the ScaiVault emulator on $vault"
"$work/emulator/scaivault-emulator" --urls "$vault" --postgres "$admin_cs" --admin-token "$admin_token" --dev \
  >"$work/emulator.log" 2>&1 &
pids+=($!)
until curl -fsS "$vault/v1/health" >/dev/null 2>&1; do sleep 0.3; done

api() { curl -fsS -H "Authorization: Bearer $admin_token" -H 'Content-Type: application/json' "$@"; }

say "Storing the root credentials and creating the engine and the readonly role"
api -X PUT "$vault/v1/secrets/infra/postgres/reporting/root" \
  -d '{"data": {"username": "vault_provisioner", "password": "provisioner-password"}, "secret_type": "database_credentials"}' >/dev/null
api -X POST "$vault/v1/dynamic/engines" -d @- >/dev/null <<JSON
{"name": "reporting-db", "type": "database",
 "config": {"plugin": "postgresql",
            "connection_url": "postgresql://{{username}}:{{password}}@127.0.0.1:$pg_port/reporting",
            "root_credentials_path": "infra/postgres/reporting/root"},
 "default_ttl": "$lease_ttl", "max_ttl": "$lease_max_ttl"}
JSON
api -X POST "$vault/v1/dynamic/engines/reporting-db/roles" -d @- >/dev/null <<JSON
{"name": "readonly",
 "creation_statements": [
   "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE reporting_readonly;",
   "GRANT \"{{name}}\" TO CURRENT_USER;"],
 "renew_statements": ["ALTER ROLE \"{{name}}\" VALID UNTIL '{{expiration}}';"],
 "revocation_statements": [
   "ALTER ROLE \"{{name}}\" NOLOGIN;",
   "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{{name}}';",
   "DROP OWNED BY \"{{name}}\";",
   "DROP ROLE IF EXISTS \"{{name}}\";"],
 "default_ttl": "$lease_ttl", "max_ttl": "$lease_max_ttl"}
JSON

say "Minting a workload token (what the kubelet projects into the pod)"
mkdir -p "$work/secrets"
api -X POST "$vault/_emulator/tokens" -d '{"sub": "system:serviceaccount:reporting:reporting-service", "aud": "scaivault", "ttl": "1h"}' \
  | jq -r .token >"$work/token"

say "Logging in with the published credential every 2 s (in the background)"
(
  while sleep 2; do
    [[ -f "$work/secrets/db.json" ]] || { echo "  app: no credential published"; continue; }
    user=$(jq -r .username "$work/secrets/db.json")
    total=$(PGPASSWORD=$(jq -r .password "$work/secrets/db.json") psql -h 127.0.0.1 -p "$pg_port" -U "$user" -d reporting -qtAXc 'select sum(amount) from sales' 2>&1) || true
    echo "  app: logged in as $user (generation $(jq -r .generation "$work/secrets/db.json")): total sales $total"
  done
) &
pids+=($!)

say "Running lease-agent (Ctrl-C to stop: it revokes the lease and removes the file)"
trap 'true' INT
SCAIVAULT_URL="$vault" SCAIVAULT_TOKEN_FILE="$work/token" \
LEASE_ENGINE=reporting-db LEASE_ROLE=readonly LEASE_DRAIN_TIMEOUT=5s \
DB_HOST=127.0.0.1 DB_PORT="$pg_port" DB_NAME=reporting DB_SSLMODE=disable \
OUTPUT_FILE="$work/secrets/db.json" LOG_FORMAT=text \
  "$work/agent/lease-agent" run || echo "lease-agent exited with $?"
trap - INT

say "After shutdown"
echo "credential file present: $([[ -f "$work/secrets/db.json" ]] && echo yes || echo no)"
echo "lease users left in Postgres: $(psql -qtAXd reporting -c "select count(*) from pg_roles where rolname like 'v\\_readonly\\_%'")"
echo "active leases in the emulator: $(api "$vault/v1/dynamic/leases?state=active" | jq '.leases | length')"
