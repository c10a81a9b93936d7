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
#
# QUICKSTART_DURATION=20s (or 90, 2m) runs it bounded and non-interactive, as CI does: after that long the
# script stops the agent as Ctrl-C would and checks what the interactive run shows you (the agent exited 0,
# the file is gone, no lease user is left, the app logged in at least once), exiting 1 with the reason if not.
# LEASEAGENT_BINARY=/path/to/lease-agent skips the agent's Native AOT publish. PG_PORT and VAULT_PORT move
# the servers off 55432 and 8200.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/leaseagent-quickstart.XXXXXX)
source "$root/samples/lib.sh"
pg_port=${PG_PORT:-55432}
vault_port=${VAULT_PORT:-8200}
lease_ttl=${LEASE_TTL:-10s}
lease_max_ttl=${LEASE_MAX_TTL:-30s}
admin_token=quickstart-admin-token
vault="http://127.0.0.1:$vault_port"
duration=${QUICKSTART_DURATION:-}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() { printf '\nquickstart: FAILED: %s\n' "$*" >&2; exit 1; }
require_tools dotnet curl jq psql
if [[ -n "$duration" ]]; then
  case "$duration" in
    *[0-9]s) seconds=${duration%s} ;;
    *[0-9]m) seconds=$((${duration%m} * 60)) ;;
    *) seconds=$duration ;;
  esac
  [[ "$seconds" =~ ^[0-9]+$ && "$seconds" -gt 0 ]] || fail "QUICKSTART_DURATION=$duration is not a duration like 20s, 90 or 2m"
fi
trap stop_everything EXIT

say "Starting a throwaway Postgres on 127.0.0.1:$pg_port"
start_postgres "$pg_port" leaseagent-quickstart-pg
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
agent=${LEASEAGENT_BINARY:-}
if [[ -z "$agent" ]]; then
  dotnet publish "$root/src/LeaseAgent/LeaseAgent.csproj" -c Release -r linux-x64 -o "$work/agent" -nologo -v q
  agent="$work/agent/lease-agent"
fi
[[ -x "$agent" ]] || fail "no lease-agent binary at $agent"

say "Starting the ScaiVault emulator on $vault"
# The admin token goes in the environment, not on the command line where ps shows it.
SCAIVAULT_EMULATOR_ADMIN_TOKEN=$admin_token "$work/emulator/scaivault-emulator" --urls "$vault" --postgres "$admin_cs" --dev \
  >"$work/emulator.log" 2>&1 &
pids+=($!)
until curl -fsS "$vault/v1/health" >/dev/null 2>&1; do sleep 0.3; done

api() { curl -fsS -H "Authorization: Bearer $admin_token" -H 'Content-Type: application/json' "$@"; }

say "Storing the root credentials and creating the engine and the readonly role"
api -X PUT "$vault/v1/secrets/infra/postgres/reporting/root" \
  -d '{"data": {"username": "vault_provisioner", "password": "provisioner-password"}, "secret_type": "json"}' >/dev/null
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
    if total=$(PGPASSWORD=$(jq -r .password "$work/secrets/db.json") psql -h 127.0.0.1 -p "$pg_port" -U "$user" -d reporting -qtAXc 'select sum(amount) from sales' 2>&1); then
      echo "$user" >>"$work/app-logins"
    fi
    echo "  app: logged in as $user (generation $(jq -r .generation "$work/secrets/db.json")): total sales $total"
  done
) &
pids+=($!)

export SCAIVAULT_URL="$vault" SCAIVAULT_TOKEN_FILE="$work/token" \
  LEASE_ENGINE=reporting-db LEASE_ROLE=readonly LEASE_DRAIN_TIMEOUT=5s \
  DB_HOST=127.0.0.1 DB_PORT="$pg_port" DB_NAME=reporting DB_SSLMODE=disable \
  OUTPUT_FILE="$work/secrets/db.json" LOG_FORMAT=text
agent_exit=0
if [[ -z "$duration" ]]; then
  say "Running lease-agent (Ctrl-C to stop: it revokes the lease and removes the file)"
  trap 'true' INT
  "$agent" run || { agent_exit=$?; echo "lease-agent exited with $agent_exit"; }
  trap - INT
else
  say "Running lease-agent for $seconds s, then stopping it as Ctrl-C would"
  # Job control on: a script's background jobs otherwise start with SIGINT ignored.
  set -m
  "$agent" run &
  agent_pid=$!
  set +m
  pids+=("$agent_pid")
  deadline=$((SECONDS + seconds))
  while ((SECONDS < deadline)) && kill -0 "$agent_pid" 2>/dev/null; do sleep 0.5; done
  kill -0 "$agent_pid" 2>/dev/null || fail "lease-agent stopped on its own before the $seconds s were up"
  kill -INT "$agent_pid"
  deadline=$((SECONDS + 30))
  while ((SECONDS < deadline)) && kill -0 "$agent_pid" 2>/dev/null; do sleep 0.2; done
  kill -0 "$agent_pid" 2>/dev/null && fail "lease-agent did not stop within 30 s of SIGINT"
  set +e; wait "$agent_pid"; agent_exit=$?; set -e
fi

say "After shutdown"
file_present=$([[ -f "$work/secrets/db.json" ]] && echo yes || echo no)
users_left=$(psql -qtAXd reporting -c "select count(*) from pg_roles where rolname like 'v\\_readonly\\_%'") || users_left="unknown (Postgres did not answer)"
echo "credential file present: $file_present"
echo "lease users left in Postgres: $users_left"
echo "active leases in the emulator: $(api "$vault/v1/dynamic/leases?state=active" | jq '.leases | length' || echo unknown)"
if [[ -n "$duration" ]]; then
  logins=0
  [[ -f "$work/app-logins" ]] && logins=$(wc -l <"$work/app-logins")
  problems=()
  ((agent_exit == 0)) || problems+=("lease-agent exited with $agent_exit")
  [[ $file_present == no ]] || problems+=("the credential file is still there")
  [[ $users_left == 0 ]] || problems+=("lease users left in Postgres: $users_left")
  ((logins > 0)) || problems+=("the app never logged in with a published credential")
  ((${#problems[@]} == 0)) || fail "$(IFS=';'; echo "${problems[*]}" | sed 's/;/; /g')"
  printf '\nquickstart: passed: %d app logins as %d lease user(s); the agent exited 0, removed the file and left no lease user\n' \
    "$logins" "$(sort -u "$work/app-logins" | wc -l)"
fi
