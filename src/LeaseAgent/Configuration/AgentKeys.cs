using LeaseAgent.Kubernetes;
using LeaseAgent.Reload;
using LeaseAgent.Secrets;
using Microsoft.Extensions.Logging;
using static ScaiVault.Hosting.Configuration.SettingParsers;

namespace LeaseAgent.Configuration;

/// <summary>
/// The catalogue: every key the agent reads, declared once with its default, parser and bounds, help and secrecy.
/// <see cref="AgentConfiguration"/> reads through it, the flags and <c>probe</c>'s flag set come from it, the option
/// records take their defaults from it, and README.md's configuration table is <see cref="ConfigurationTable"/>'s
/// rendering of it (checked by a test). Cross-key rules (all three client-credentials keys or none, the revoke delay
/// below the shutdown budget) stay in <see cref="AgentConfiguration.Load"/>. To add a key: declare it here, in
/// <see cref="All"/> in the documented order, read it in <c>Load</c>, and regenerate the README table.
/// </summary>
public static class AgentKeys
{
    /// <summary>The longest wait a duration key may ask for where the runtime bounds it: Polly's timeouts take at most a day,
    /// and a shutdown, drain or probe that needs longer is a typo (60d was accepted, then CancelAfter threw at SIGTERM).</summary>
    private static readonly TimeSpan LongestWait = TimeSpan.FromHours(24);

    /// <summary>The longest lease or rotation lead a key may ask for; the server caps leases far below this anyway.</summary>
    private static readonly TimeSpan LongestLease = TimeSpan.FromDays(365);

    public static readonly Setting<Uri> ScaiVaultUrl = Setting.Required(
        "SCAIVAULT_URL", "set it to ScaiVault's base URL, e.g. https://scaivault.scailabs.ai", AgentParsers.HttpUrl("https://scaivault.scailabs.ai"),
        "ScaiVault's base URL, e.g. `https://scaivault.scailabs.ai`. `http://` only to loopback (`127.0.0.0/8`, `::1`, `localhost`), else exit 2. Redirects are never followed (a 3xx is the error `unexpected_redirect`).");

    public static readonly Setting<string> TokenFile = Setting.WithDefault(
        "SCAIVAULT_TOKEN_FILE", "/var/run/secrets/scaivault/token", Text,
        "The projected service-account JWT; re-read on every exchange. Must exist at start unless `SCAIVAULT_TOKEN` or the client-credentials keys are set.");

    public static readonly Setting<string?> StaticToken = Setting.Optional<string?>(
        "SCAIVAULT_TOKEN", "—", AgentParsers.BearerToken,
        "A static bearer token, for development only (a warning is logged, and another if it expires before the lease's max TTL). Environment or config file only, never a flag, never quoted in an error. Removed from the agent's environment once read, so no child process inherits it; the kernel's copy of the initial environment stays in `/proc/<pid>/environ`, which only root can read (the agent is non-dumpable).",
        isSecret: true);

    public static readonly Setting<string?> ClientId = Setting.Optional<string?>(
        "SCAIVAULT_CLIENT_ID", "—", Text,
        "Client-credentials fallback when no token file is mounted: the OAuth client id. Set all of `SCAIVAULT_CLIENT_ID`, `SCAIVAULT_CLIENT_SECRET_FILE` and `SCAIKEY_TOKEN_URL`, or none.");

    public static readonly Setting<string?> ClientSecretFile = Setting.Optional<string?>(
        "SCAIVAULT_CLIENT_SECRET_FILE", "—", ExistingFile("mount the client secret there"),
        "Client-credentials fallback: the file holding the client secret (the secret itself is never a key); re-read on every token request.");

    public static readonly Setting<Uri?> TokenUrl = Setting.Optional<Uri?>(
        "SCAIKEY_TOKEN_URL", "—", AgentParsers.HttpUrl(example: null),
        "Client-credentials fallback: ScaiKey's OAuth token endpoint. `http://` only to loopback, as for `SCAIVAULT_URL`.");

    public static readonly Setting<bool> AllowInsecureHttp = Setting.WithDefault(
        "SCAIVAULT_ALLOW_INSECURE_HTTP", "false", Boolean,
        "`true` accepts `http://` in `SCAIVAULT_URL` and `SCAIKEY_TOKEN_URL` to hosts that are not loopback (a test emulator in a cluster); tokens, the client secret and passwords then cross the network in clear text. Warned about at start.");

    public static readonly Setting<string?> CaFile = Setting.Optional<string?>(
        "SCAIVAULT_CA_FILE", "system store", ExistingFile("point it at a PEM bundle of the CA that signed ScaiVault's certificate"),
        "Extra PEM CA bundle trusted for ScaiVault and ScaiKey. Verification is never switched off.");

    public static readonly Setting<TimeSpan> RequestTimeout = Setting.WithDefault(
        "SCAIVAULT_TIMEOUT", "10s", Duration(TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5)),
        "Budget of one HTTP attempt; a call makes at most 4 attempts. 100 ms to 5 min.");

    public static readonly Setting<string> PathExchange = ApiPath("SCAIVAULT_PATH_EXCHANGE", "/v1/auth/exchange", "the token exchange");

    public static readonly Setting<string> PathGenerate = ApiPath("SCAIVAULT_PATH_GENERATE", "/v1/dynamic/engines/{engine}/creds/{role}", "generating a credential");

    public static readonly Setting<string> PathLookup = ApiPath("SCAIVAULT_PATH_LOOKUP", "/v1/dynamic/leases/{lease_id}", "looking a lease up");

    public static readonly Setting<string> PathRenew = ApiPath("SCAIVAULT_PATH_RENEW", "/v1/dynamic/leases/{lease_id}/renew", "renewing a lease");

    public static readonly Setting<string> PathRevoke = ApiPath("SCAIVAULT_PATH_REVOKE", "/v1/dynamic/leases/{lease_id}/revoke", "revoking a lease");

    public static readonly Setting<string> PathList = ApiPath("SCAIVAULT_PATH_LIST", "/v1/dynamic/leases", "listing leases (adoption after a restart)");

    public static readonly Setting<string?> LeaseEngine = Setting.Optional<string?>(
        "LEASE_ENGINE", "required without `SECRETS`", Text,
        "The dynamic engine to lease from. Without `LEASE_ENGINE` and `LEASE_ROLE` (only `SECRETS`) no credential is leased and the `DB_*` keys are not needed.");

    public static readonly Setting<string?> LeaseRole = Setting.Optional<string?>(
        "LEASE_ROLE", "required without `SECRETS`", Text,
        "The role of `LEASE_ENGINE` to lease; set both or neither.");

    public static readonly Setting<TimeSpan?> LeaseTtl = Setting.Optional<TimeSpan?>(
        "LEASE_TTL", "server default", value => Duration(TimeSpan.FromSeconds(1), LongestLease)(value),
        "TTL asked for on generate, and the increment asked for on renew. 1 s to 365 d.");

    public static readonly Setting<TimeSpan> LeaseRotateBefore = Setting.WithDefault(
        "LEASE_ROTATE_BEFORE", "10m", Duration(TimeSpan.Zero, LongestLease),
        "Rotate when less than this is left before the lease's hard end (max TTL); capped at a third of the lease's whole life. At most 365 d.");

    public static readonly Setting<TimeSpan> LeaseDrainTimeout = Setting.WithDefault(
        "LEASE_DRAIN_TIMEOUT", "60s", Duration(TimeSpan.Zero, LongestWait),
        "How long a superseded lease stays valid (and renewed) for the app's open sessions; it is revoked earlier once `pg_stat_activity` shows none. At most 24 h.");

    public static readonly Setting<string?> Credentials = Setting.Optional<string?>(
        CredentialListParser.Key, "—", Text,
        "Several dynamic credentials instead of `LEASE_ENGINE`/`LEASE_ROLE` (setting both is an error): one `ENGINE/ROLE -> /FILE [key=value …]` per line, `#` comments; a line may override `host`, `port`, `database`, `sslmode`, `format`, `mode` and `ttl`, and take a `name` (default `ENGINE/ROLE`). The other `LEASE_*`, `DB_*` and `OUTPUT_*` keys are every line's defaults. A malformed line exits 2 naming it. See [Several credentials](#several-credentials).");

    public static readonly Setting<bool> FailOpen = Setting.WithDefault(
        "FAIL_OPEN", "false", Boolean,
        "`run`: report ready without a credential while none can be had (never a stale or static one); keep retrying. `init`: exit 0 without writing the files when it gives up.");

    public static readonly Setting<SecretMappings?> Secrets = Setting.Optional<SecretMappings?>(
        SecretMappingParser.Key, "—", value => SecretMappingParser.ParseAll(value.Text),
        "Static secrets to write: one `path -> /file` or `path#field -> /file` per line; `#` comments. A malformed line exits 2 naming it, and so does a path with an empty, `.` or `..` segment, a file inside `STATE_DIR`, or `OUTPUT_FILE` itself. Files get `OUTPUT_MODE`. For `init` only, a target may be `secret:name[/key]`: a Kubernetes Secret in the pod's namespace (see above).");

    public static readonly Setting<TimeSpan> RefreshInterval = Setting.WithDefault(
        "REFRESH_INTERVAL", "5m", Duration(TimeSpan.FromSeconds(1), TimeSpan.FromDays(7)),
        "How often `run` re-reads `SECRETS` (±10 % jitter). 1 s to 7 d.");

    public static readonly Setting<bool> Subscribe = Setting.WithDefault(
        "SUBSCRIBE", "false", Boolean,
        "Refresh `SECRETS` on ScaiVault's `secret.rotated`/`secret.updated` events (a polling subscription), falling back to `REFRESH_INTERVAL`.");

    public static readonly Setting<TimeSpan> InitTimeout = Setting.WithDefault(
        "INIT_TIMEOUT", "60s", Duration(TimeSpan.FromSeconds(1), LongestWait),
        "How long `init` retries ScaiVault (and the Kubernetes API, for `secret:` targets) before it gives up. 1 s to 24 h.");

    public static readonly Setting<string> KubernetesHost = Setting.Required(
        "KUBERNETES_SERVICE_HOST",
        "secret: targets in SECRETS are written through the Kubernetes API, and the kubelet sets it in every container: run lease-agent init in a pod (a pre-deploy Job)",
        Text,
        "The API server `init` writes `secret:` targets through (`https://host:port`). Read only with a `secret:` target; then it is required (exit 2 outside a pod).",
        shownDefault: "set by the kubelet");

    public static readonly Setting<int> KubernetesPort = Setting.WithDefault(
        "KUBERNETES_SERVICE_PORT", "443", WholeNumber(1, 65535),
        "The API server's port; read only with a `secret:` target.");

    public static readonly Setting<string> KubernetesServiceAccountDir = Setting.WithDefault(
        "KUBERNETES_SERVICE_ACCOUNT_DIR", KubernetesOptions.DefaultServiceAccountDirectory, FullPath,
        "Where `init` finds `token` (re-read for every request), `ca.crt` (the only CA trusted for the API server) and `namespace` (where every Secret is written). Point it at a projected volume when `automountServiceAccountToken` is off, as sample 06 does. A missing `ca.crt` or `namespace` exits 2.");

    public static readonly Setting<string> DbHost = Setting.Required(
        "DB_HOST", "set it to the database host the app connects to", Text,
        "The database host: where the probe logs in, and what the app is told.");

    public static readonly Setting<int> DbPort = Setting.WithDefault(
        "DB_PORT", "5432", WholeNumber(1, 65535),
        "The database port.");

    public static readonly Setting<string> DbName = Setting.Required(
        "DB_NAME", "set it to the database the app connects to", Text,
        "The database the probe logs in to, and the app is told.");

    public static readonly Setting<string> DbSslMode = Setting.WithDefault(
        "DB_SSLMODE", "require", OneOf(SslModes.Names, "a libpq sslmode"),
        "libpq `sslmode` for the probe and the published connection info. `disable`, `allow` and `prefer` are warned about at start (a local Postgres without TLS needs `disable`). `require` does not check the server's certificate; `verify-full` does, if the agent and the app trust its CA.");

    public static readonly Setting<IReadOnlyList<string>> DbRequireAuth = Setting.WithDefault(
        "DB_REQUIRE_AUTH", AuthMethods.Default, AgentParsers.AuthMethodList,
        "Authentication methods the agent's own connections (probe, drain check) accept, as libpq's `require_auth` names, comma-separated: `scram-sha-256`, `md5`, `password`, `gss`, `sspi`, `none`. A server that asks for another gets no password. `password`, `md5` and `none` are warned about at start.");

    public static readonly Setting<string?> DbProbeQuery = Setting.Optional<string?>(
        "DB_PROBE_QUERY", "—", Text,
        "Run after the login check; the lease is published only if it succeeds.");

    public static readonly Setting<TimeSpan> DbProbeWindow = Setting.WithDefault(
        "DB_PROBE_WINDOW", "10s", Duration(TimeSpan.Zero, LongestWait),
        "How long failed logins of a new user are retried (a new role can take a moment to reach a replica or pooler). At most 24 h.");

    public static readonly Setting<string> OutputFile = Setting.WithDefault(
        "OUTPUT_FILE", "/run/secrets/db.json", AgentParsers.FilePath,
        "Where the credential is published, atomically. Its directory must exist.");

    public static readonly Setting<OutputFormat> OutputFormat = Setting.WithDefault(
        "OUTPUT_FORMAT", "json", Enum<OutputFormat>,
        "`json`, `env` (libpq variables and `DATABASE_URL`), `pgpass` or `uri`.");

    public static readonly Setting<UnixFileMode> OutputMode = Setting.WithDefault(
        "OUTPUT_MODE", "0600", AgentParsers.FileMode,
        "File mode; `0640` with a shared `fsGroup`. Never executable or world-writable.");

    public static readonly Setting<string?> StateDir = Setting.Optional<string?>(
        "STATE_DIR", "`<dir of OUTPUT_FILE>/.lease-agent` (with `CREDENTIALS`: beside the first line's file; with only `SECRETS`: beside the first mapped file)", FullPath,
        "`status.json`, `journal.json` (0600) and `lock`; keep it on the pod's volume so a restarted agent finds them. The agent creates it `0700`; an existing one must be a directory (not a symbolic link) of the agent's uid that no group or other user can write, else exit 2. Temp files a killed agent left in it, and beside every file it publishes, are removed at start.");

    public static readonly Setting<TimeSpan> ShutdownTimeout = Setting.WithDefault(
        "SHUTDOWN_TIMEOUT", "20s", Duration(TimeSpan.FromSeconds(1), LongestWait),
        "Budget for revoking everything on SIGTERM; keep it below the pod's grace period. 1 s to 24 h.");

    public static readonly Setting<bool> RevokeOnShutdown = Setting.WithDefault(
        "REVOKE_ON_SHUTDOWN", "true", Boolean,
        "`false` leaves leases to expire at their TTL (they stay journalled, so a restarted container adopts them).");

    public static readonly Setting<TimeSpan> RevokeDelay = Setting.WithDefault(
        "REVOKE_DELAY", "0s", Duration(TimeSpan.Zero, LongestWait),
        "Classic sidecars: keep the credential this long after SIGTERM while the app drains, then revoke. Must be below `SHUTDOWN_TIMEOUT`; at most 24 h.");

    public static readonly Setting<int> ReloadSignal = Setting.WithDefault(
        "RELOAD_SIGNAL", "HUP", value => Reload.ReloadSignal.Parse(value.Text),
        "Signal sent to the app after a new user is published or secret files changed (`HUP`, `USR1`, `USR2`, `TERM`, `INT`, `QUIT`, `WINCH`). Supervisor mode: unset means the child gets no signal.");

    public static readonly Setting<string?> ReloadPidFile = Setting.Optional<string?>(
        "RELOAD_PID_FILE", "—", Text,
        "A file holding the app's pid; set this or `RELOAD_PROCESS_NAME`, or neither (then no signal: the app watches the directory). Never signalled, with a warning: the agent itself, pid 1, a zombie, and a pid whose process started after the file was written (a reused pid). The signal goes through a pidfd, so a pid reused between the check and the signal is not hit.");

    public static readonly Setting<string?> ReloadProcessName = Setting.Optional<string?>(
        "RELOAD_PROCESS_NAME", "—", Text,
        "The app's process name (needs `shareProcessNamespace`); not together with `RELOAD_PID_FILE`. A missing process is a warning.");

    public static readonly Setting<string?> HealthAddress = Setting.Optional<string?>(
        "HEALTH_ADDRESS", "off", AgentParsers.HostPort,
        "`host:port` serving `/healthz`, `/readyz` and `/metrics` (Prometheus); the host is an IPv4 address, `*`, a DNS name, or an IPv6 address in brackets (`[::]:8099`). See [docs/metrics.md](docs/metrics.md).");

    public static readonly Setting<string> LogFormat = Setting.WithDefault(
        "LOG_FORMAT", "json", OneOf(["json", "text"], "a log format"),
        "`json` (one object per line) or `text`.");

    public static readonly Setting<LogLevel> LogLevel = Setting.WithDefault(
        "LOG_LEVEL", "information", AgentParsers.LogLevel,
        "`trace`, `debug`, `information`, `warning`, `error`, `critical`.");

    /// <summary>Read before every other key, by <see cref="AgentConfiguration.Build"/>: it says where the others may come from.</summary>
    public static readonly Setting<string?> ConfigFile = Setting.Optional<string?>(
        AgentConfiguration.ConfigFileKey, "—", Text,
        "A JSON file of `KEY: value` pairs for any key above; the environment wins over it, and flags over both. A file that does not exist exits 2.");

    /// <summary>Every key, in the order of README.md's table.</summary>
    public static readonly IReadOnlyList<Setting> All =
    [
        ScaiVaultUrl, TokenFile, StaticToken, ClientId, ClientSecretFile, TokenUrl, AllowInsecureHttp, CaFile, RequestTimeout,
        PathExchange, PathGenerate, PathLookup, PathRenew, PathRevoke, PathList,
        LeaseEngine, LeaseRole, LeaseTtl, LeaseRotateBefore, LeaseDrainTimeout, Credentials, FailOpen,
        Secrets, RefreshInterval, Subscribe, InitTimeout, KubernetesHost, KubernetesPort, KubernetesServiceAccountDir,
        DbHost, DbPort, DbName, DbSslMode, DbRequireAuth, DbProbeQuery, DbProbeWindow,
        OutputFile, OutputFormat, OutputMode, StateDir,
        ShutdownTimeout, RevokeOnShutdown, RevokeDelay, ReloadSignal, ReloadPidFile, ReloadProcessName,
        HealthAddress, LogFormat, LogLevel, ConfigFile,
    ];

    /// <summary>A <c>SCAIVAULT_PATH_*</c> key: its default is the contract's path, which is also the example its error offers.</summary>
    private static Setting<string> ApiPath(string name, string contractPath, string purpose)
    {
        var placeholders = contractPath.Split('{').Skip(1).Select(part => $"`{{{part[..(part.IndexOf('}', StringComparison.Ordinal) + 1)]}`").ToList();
        var substituted = placeholders.Count == 0 ? "" : $" ({string.Join(" and ", placeholders)} substituted)";
        return Setting.WithDefault(
            name, contractPath, AgentParsers.ApiPath(contractPath),
            $"The path for {purpose}{substituted}; override it for a server that differs from the [contract](docs/scaivault-api.md).");
    }
}
