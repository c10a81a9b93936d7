#!/usr/bin/env bash
# ScaiVault's "Dynamic Postgres credentials" tutorial, end to end and non-interactive (docs/tutorial.md
# explains each step). Every step checks what it claims and the script stops at the first that fails:
#
#   1. a throwaway Postgres with the tutorial's database, a provisioning role and a group role;
#   2. the ScaiVault emulator; the root credentials stored as a secret; the engine; the readonly role;
#   3. proof that revoking a lease blocks logins, terminates sessions and drops the user;
#   4. lease-agent publishing a probed credential and rotating it, with samples/ReportingService
#      answering every request across the rotations;
#   5. shutdown: the agent revokes its lease and removes the file; no lease user is left.
#
# Requires the .NET SDK, curl, jq and psql, plus Postgres server binaries (or Docker). CI runs it.
# LEASEAGENT_BINARY=/path/to/lease-agent skips the agent's Native AOT publish.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/leaseagent-tutorial.XXXXXX)
source "$root/samples/lib.sh"
pg_port=${PG_PORT:-55433}
vault_port=${VAULT_PORT:-8201}
service_port=${SERVICE_PORT:-8088}
admin_token=tutorial-admin-token
vault="http://127.0.0.1:$vault_port"
steps=0

step() { steps=$((steps + 1)); printf '\n== %d. %s\n' "$steps" "$*"; }
ok() { printf '   ok: %s\n' "$*"; }
fail() { printf '\ntutorial: FAILED at step %d: %s\n' "$steps" "$*" >&2; exit 1; }
# wait_until SECONDS WHAT 'CONDITION': evaluates the condition every 0.2 s; fails the step at the deadline.
wait_until() {
  local deadline=$((SECONDS + $1)) what=$2 condition=$3
  until eval "$condition" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail "$what (not within the deadline)"
    sleep 0.2
  done
}

require_tools dotnet curl jq psql
show_logs() {
  for log in "$work"/*.log; do [[ -f "$log" ]] && { echo "--- last lines of $(basename "$log")"; tail -n 25 "$log"; }; done
}
trap 'status=$?; ((status == 0)) || show_logs; stop_everything' EXIT

step "Postgres: the reporting database, the provisioning role and the readonly group role"
start_postgres "$pg_port" leaseagent-tutorial-pg || fail "no Postgres"
psql -qX -v ON_ERROR_STOP=1 -d postgres <<'SQL'
CREATE DATABASE reporting;
-- ScaiVault logs in as this role to create and drop lease users: it may create roles and end their
-- sessions, nothing else.
CREATE ROLE vault_provisioner LOGIN CREATEROLE PASSWORD 'provisioner-password';
GRANT pg_signal_backend TO vault_provisioner;
\c reporting
-- Lease users get their grants through this group role, so revoking a user never touches a grant.
CREATE ROLE reporting_readonly NOLOGIN;
CREATE TABLE report (id int PRIMARY KEY, amount numeric NOT NULL);
INSERT INTO report SELECT g, g * 10 FROM generate_series(1, 10) g;
GRANT SELECT ON report TO reporting_readonly;
SQL
ok "database reporting, role vault_provisioner, group role reporting_readonly with SELECT on report"

step "Building the emulator, the agent and the reporting service"
dotnet build "$root/src/ScaiVault.Emulator/ScaiVault.Emulator.csproj" -c Release -nologo -v q >/dev/null
dotnet build "$root/samples/ReportingService/ReportingService.csproj" -c Release -nologo -v q >/dev/null
agent=${LEASEAGENT_BINARY:-}
if [[ -z "$agent" ]]; then
  dotnet publish "$root/src/LeaseAgent/LeaseAgent.csproj" -c Release -r linux-x64 -o "$work/agent" -nologo -v q >/dev/null
  agent="$work/agent/lease-agent"
fi
[[ -x "$agent" ]] || fail "no lease-agent binary at $agent"
ok "$("$agent" version | head -n 1)"

step "Starting the ScaiVault emulator on $vault"
# The admin token goes in the environment, not on the command line where ps shows it.
SCAIVAULT_EMULATOR_ADMIN_TOKEN=$admin_token "$root/artifacts/bin/ScaiVault.Emulator/release/scaivault-emulator" --urls "$vault" --dev \
  --postgres "Host=127.0.0.1;Port=$pg_port;Username=postgres;Password=postgres;Database=postgres" >"$work/emulator.log" 2>&1 &
pids+=($!)
wait_until 60 "the emulator answers /v1/health" 'curl -fsS "$vault/v1/health"'
ok "healthy"

api() { curl -fsS -H "Authorization: Bearer $admin_token" -H 'Content-Type: application/json' "$@"; }
sessions_of() { psql -qtAXd reporting -c "SELECT count(*) FROM pg_stat_activity WHERE usename = '$1'"; }

step "Storing the root credentials as a secret and creating the reporting-db engine"
api -X PUT "$vault/v1/secrets/infra/postgres/reporting/root" \
  -d '{"data": {"username": "vault_provisioner", "password": "provisioner-password"}, "secret_type": "json"}' >/dev/null
api -X POST "$vault/v1/dynamic/engines" -d @- >/dev/null <<JSON
{"name": "reporting-db", "type": "database",
 "config": {"plugin": "postgresql",
            "connection_url": "postgresql://{{username}}:{{password}}@127.0.0.1:$pg_port/reporting",
            "root_credentials_path": "infra/postgres/reporting/root"},
 "default_ttl": "5s", "max_ttl": "15s"}
JSON
[[ $(api "$vault/v1/dynamic/engines/reporting-db/health" | jq -r .status) == healthy ]] || fail "the engine is not healthy"
ok "engine reporting-db logs in with the stored root credentials"

step "Creating the readonly role: grants through the group role; revocation blocks, terminates, drops"
api -X POST "$vault/v1/dynamic/engines/reporting-db/roles" -d @- >/dev/null <<'JSON'
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
 "default_ttl": "5s", "max_ttl": "15s"}
JSON
ok "role readonly: TTL 5 s, max TTL 15 s (a new user about every 10 s)"

step "Proving the role's revocation: a generated user logs in, then revoking it ends its session and drops it"
lease=$(api -X POST "$vault/v1/dynamic/engines/reporting-db/creds/readonly" -d '{"ttl": "15s"}')
lease_id=$(jq -r .lease_id <<<"$lease")
user=$(jq -r .data.username <<<"$lease")
password=$(jq -r .data.password <<<"$lease")
[[ $(PGPASSWORD=$password psql -qtAX -U "$user" -d reporting -c 'SELECT count(*) FROM report') == 10 ]] || fail "$user cannot read report"
PGPASSWORD=$password psql -qtAX -U "$user" -d reporting -c 'SELECT pg_sleep(60)' >/dev/null 2>&1 &
session=$!
wait_until 10 "$user's session shows in pg_stat_activity" '(( $(sessions_of "$user") >= 1 ))'
api -X POST "$vault/v1/dynamic/leases/$lease_id/revoke" >/dev/null
wait_until 10 "the revocation ends $user's session" '! kill -0 "$session"'
if PGPASSWORD=$password psql -qtAX -U "$user" -d reporting -c 'SELECT 1' >/dev/null 2>&1; then fail "$user can still log in after revocation"; fi
[[ $(psql -qtAXd reporting -c "SELECT count(*) FROM pg_roles WHERE rolname = '$user'") == 0 ]] || fail "$user still exists"
ok "$user: session terminated, login refused, role dropped"

step "Running lease-agent: exchange the workload token, generate, probe, publish"
mkdir -p "$work/secrets"
api -X POST "$vault/_emulator/tokens" -d '{"sub": "system:serviceaccount:reporting:reporting-service", "aud": "scaivault", "ttl": "1h"}' \
  | jq -r .token >"$work/token"
export SCAIVAULT_URL=$vault SCAIVAULT_TOKEN_FILE=$work/token LEASE_ENGINE=reporting-db LEASE_ROLE=readonly \
  LEASE_DRAIN_TIMEOUT=5s DB_HOST=127.0.0.1 DB_PORT=$pg_port DB_NAME=reporting DB_SSLMODE=disable \
  OUTPUT_FILE=$work/secrets/db.json RELOAD_PROCESS_NAME=ReportingService LOG_FORMAT=text SHUTDOWN_TIMEOUT=10s
"$agent" run >"$work/agent.log" 2>&1 &
agent_pid=$!
pids+=("$agent_pid")
wait_until 30 "lease-agent probe ready" '"$agent" probe ready'
ok "ready: $(jq -r '"generation \(.generation) as \(.username)"' "$work/secrets/db.json")"

step "Starting the reporting service on :$service_port and querying it continuously"
DB_CREDENTIALS_FILE=$work/secrets/db.json ASPNETCORE_URLS=http://127.0.0.1:$service_port LOG_FORMAT=text \
  "$root/artifacts/bin/ReportingService/release/ReportingService" >"$work/service.log" 2>&1 &
pids+=($!)
service_pid=$!
wait_until 30 "the service answers /healthz" 'curl -fsS "http://127.0.0.1:$service_port/healthz"'
(
  while true; do
    if answer=$(curl -fsS --max-time 5 "http://127.0.0.1:$service_port/report"); then
      jq -r '.served_by' <<<"$answer" >>"$work/served"
    else
      echo failed >>"$work/failures"
    fi
    sleep 0.05
  done
) &
load=$!
pids+=("$load")
ok "the service answers from the published credential"

step "Waiting for two rotations while the service keeps answering"
wait_until 60 "generation 3 published" '(( $(jq -r .generation "$work/secrets/db.json") >= 3 ))'
wait_until 30 "the service answers as the third user" '(( $(sort -u "$work/served" | wc -l) >= 3 ))'
kill "$load" && wait "$load" 2>/dev/null || true
served=$(wc -l <"$work/served")
failures=0
[[ -f "$work/failures" ]] && failures=$(wc -l <"$work/failures")
((failures == 0)) || fail "$failures of $((served + failures)) requests failed across the rotations"
grep -q 'Sent SIGHUP' "$work/agent.log" || fail "the agent never signalled the service"
ok "$served requests answered by $(sort -u "$work/served" | wc -l) users in turn, none failed; the agent sent SIGHUP on each rotation"

step "Shutting down: the app first, then the agent revokes its lease"
kill -TERM "$service_pid"
wait "$service_pid" 2>/dev/null || true
kill -TERM "$agent_pid"
set +e; wait "$agent_pid"; agent_exit=$?; set -e
((agent_exit == 0)) || fail "lease-agent exited with $agent_exit"
[[ ! -e "$work/secrets/db.json" ]] || fail "the credential file is still there"
[[ $(psql -qtAXd reporting -c "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'v\\_readonly\\_%'") == 0 ]] || fail "lease users are left in Postgres"
[[ $(api "$vault/v1/dynamic/leases?state=active" | jq '.leases | length') == 0 ]] || fail "active leases are left in ScaiVault"
ok "exit 0, file removed, no lease user in Postgres, no active lease in ScaiVault"

printf '\ntutorial: all %d steps passed\n' "$steps"
