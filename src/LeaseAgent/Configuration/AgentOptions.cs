using Npgsql;
using ScaiVault.Client;

namespace LeaseAgent.Configuration;

/// <summary>Everything <c>lease-agent run</c> was configured with, validated.</summary>
/// <param name="Lease">The dynamic credential to lease; null when only <c>SECRETS</c> are configured.</param>
/// <param name="Database">Its database; set exactly when <paramref name="Lease"/> is.</param>
public sealed record AgentOptions(
    ScaiVaultOptions ScaiVault,
    LeaseOptions? Lease,
    DatabaseOptions? Database,
    OutputOptions Output,
    ShutdownOptions Shutdown,
    LoggingOptions Logging)
{
    public HealthOptions Health { get; init; } = new();

    public ReloadOptions Reload { get; init; } = new();

    public SecretsOptions Secrets { get; init; } = new();

    /// <summary>
    /// <c>FAIL_OPEN</c>, default false: <c>run</c> reports ready without a credential while ScaiVault cannot be
    /// reached (never a stale or static credential) and keeps retrying; <c>init</c> exits 0 without its files.
    /// </summary>
    public bool FailOpen { get; init; }

    /// <summary>The Kubernetes API, for <c>secret:</c> targets; set exactly when <c>SECRETS</c> has one.</summary>
    public LeaseAgent.Kubernetes.KubernetesOptions? Kubernetes { get; init; }

    /// <summary>Supervisor mode: the command after <c>run --</c>, started once the credential is published.</summary>
    public IReadOnlyList<string>? ChildCommand { get; init; }
}

/// <summary>Static secrets written to files (<c>SECRETS</c>) and how they are kept fresh.</summary>
public sealed record SecretsOptions
{
    /// <summary><c>SECRETS</c>: one <c>path[#field] -> /file</c> mapping per line.</summary>
    public IReadOnlyList<Secrets.SecretMapping> Mappings { get; init; } = [];

    /// <summary><c>SECRETS</c> lines whose target is <c>secret:name[/key]</c>: written by <c>init</c> only.</summary>
    public IReadOnlyList<Kubernetes.KubernetesSecretMapping> KubernetesSecrets { get; init; } = [];

    /// <summary><c>REFRESH_INTERVAL</c>, default 5 min: how often <c>run</c> re-reads the secrets (±10 % jitter).</summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary><c>SUBSCRIBE</c>, default false: refresh on ScaiVault events instead of waiting for the next poll.</summary>
    public bool Subscribe { get; init; }

    /// <summary><c>INIT_TIMEOUT</c>, default 60 s: how long <c>init</c> retries before it gives up.</summary>
    public TimeSpan InitTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>How to reach and authenticate to ScaiVault.</summary>
public sealed record ScaiVaultOptions
{
    /// <summary><c>SCAIVAULT_URL</c>, required.</summary>
    public required Uri BaseUrl { get; init; }

    /// <summary>
    /// <c>SCAIVAULT_ALLOW_INSECURE_HTTP</c>, default false: accept <c>http://</c> in <c>SCAIVAULT_URL</c> and
    /// <c>SCAIKEY_TOKEN_URL</c> to hosts that are not loopback (a test emulator in a cluster). Warned about at start.
    /// </summary>
    public bool AllowInsecureHttp { get; init; }

    /// <summary><c>SCAIVAULT_TOKEN_FILE</c>, default <c>/var/run/secrets/scaivault/token</c>; re-read on every exchange.</summary>
    public required string TokenFile { get; init; }

    /// <summary><c>SCAIVAULT_TOKEN</c>: a static bearer token, for development only.</summary>
    public string? StaticToken { get; init; }

    /// <summary>
    /// <c>SCAIVAULT_CLIENT_ID</c>, <c>SCAIVAULT_CLIENT_SECRET_FILE</c>, <c>SCAIKEY_TOKEN_URL</c>: the
    /// client-credentials fallback used when there is no token file. All three or none.
    /// </summary>
    public ClientCredentialsOptions? ClientCredentials { get; init; }

    /// <summary><c>SCAIVAULT_CA_FILE</c>: extra PEM CA bundle trusted for ScaiVault (and ScaiKey). Verification is never off.</summary>
    public string? CaFile { get; init; }

    /// <summary><c>SCAIVAULT_TIMEOUT</c>, default 10 s: the budget of one HTTP attempt.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The [ours] API paths of the contract; each overridable (<c>SCAIVAULT_PATH_*</c>).</summary>
    public required ScaiVaultPaths Paths { get; init; }

    /// <summary>What the shared ScaiVault client needs of these, with the agent's names for its settings.</summary>
    public ScaiVaultClientOptions ToClientOptions() => new()
    {
        BaseUrl = BaseUrl,
        UrlSetting = "SCAIVAULT_URL",
        CaFile = CaFile,
        CaFileSetting = "SCAIVAULT_CA_FILE",
        RequestTimeout = RequestTimeout,
        ExchangePath = Paths.Exchange,
    };
}

/// <summary>OAuth client credentials for ScaiKey, the fallback when no projected token is mounted.</summary>
public sealed record ClientCredentialsOptions(string ClientId, string ClientSecretFile, Uri TokenUrl);

/// <summary>
/// Paths of the ScaiVault API. Placeholders: <c>{engine}</c>, <c>{role}</c>, <c>{lease_id}</c>.
/// </summary>
public sealed record ScaiVaultPaths(string Exchange, string Generate, string Lookup, string Renew, string Revoke, string List)
{
    public static ScaiVaultPaths Default { get; } = new(
        Exchange: "/v1/auth/exchange",
        Generate: "/v1/dynamic/engines/{engine}/creds/{role}",
        Lookup: "/v1/dynamic/leases/{lease_id}",
        Renew: "/v1/dynamic/leases/{lease_id}/renew",
        Revoke: "/v1/dynamic/leases/{lease_id}/revoke",
        List: "/v1/dynamic/leases");
}

/// <summary>Which credential to lease and how to keep it alive.</summary>
public sealed record LeaseOptions
{
    /// <summary><c>LEASE_ENGINE</c>.</summary>
    public required string Engine { get; init; }

    /// <summary><c>LEASE_ROLE</c>.</summary>
    public required string Role { get; init; }

    /// <summary><c>LEASE_TTL</c>; null asks for the server's default.</summary>
    public TimeSpan? Ttl { get; init; }

    /// <summary><c>LEASE_ROTATE_BEFORE</c>, default 10 min, capped at a third of the lease's whole life.</summary>
    public TimeSpan RotateBefore { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary><c>LEASE_DRAIN_TIMEOUT</c>, default 60 s: how long a superseded lease may drain.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>The database the credential is for: the probe target and what the app is told.</summary>
public sealed record DatabaseOptions
{
    /// <summary><c>DB_HOST</c>, required.</summary>
    public required string Host { get; init; }

    /// <summary><c>DB_PORT</c>, default 5432.</summary>
    public int Port { get; init; } = 5432;

    /// <summary><c>DB_NAME</c>, required.</summary>
    public required string Name { get; init; }

    /// <summary>
    /// <c>DB_SSLMODE</c>, default <c>require</c> (libpq spelling): the probe's, and the one published to the app.
    /// Not <c>verify-full</c> by default, because the app would then need the server's CA too, and the probe's
    /// password is protected by <see cref="RequireAuth"/> even against a server with a certificate nobody checked.
    /// </summary>
    public string SslMode { get; init; } = "require";

    /// <summary>
    /// <c>DB_REQUIRE_AUTH</c>, default <c>scram-sha-256</c> (libpq names): the authentication methods the agent's own
    /// connections accept; a server asking for any other gets no password.
    /// </summary>
    public IReadOnlyList<string> RequireAuth { get; init; } = [AuthMethods.Default];

    /// <summary><c>DB_PROBE_QUERY</c>: run after the login check when set.</summary>
    public string? ProbeQuery { get; init; }

    /// <summary>
    /// <c>DB_PROBE_WINDOW</c>, default 10 s: how long a failing login of a new credential is retried,
    /// because a new role can take a moment to reach a replica or a pooler.
    /// </summary>
    public TimeSpan ProbeWindow { get; init; } = TimeSpan.FromSeconds(10);

    public SslMode NpgsqlSslMode => SslModes.ToNpgsql(SslMode);

    public string NpgsqlRequireAuth => AuthMethods.ToNpgsql(RequireAuth);
}

/// <summary>Where and how the credential is published.</summary>
public sealed record OutputOptions
{
    /// <summary><c>OUTPUT_FILE</c>, default <c>/run/secrets/db.json</c>.</summary>
    public required string File { get; init; }

    /// <summary><c>OUTPUT_FORMAT</c>, default json.</summary>
    public OutputFormat Format { get; init; } = OutputFormat.Json;

    /// <summary><c>OUTPUT_MODE</c>, default 0600.</summary>
    public UnixFileMode Mode { get; init; } = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary><c>STATE_DIR</c>, default <c>&lt;dir of OUTPUT_FILE&gt;/.lease-agent</c>.</summary>
    public required string StateDirectory { get; init; }
}

public enum OutputFormat
{
    Json,
    Env,
    Pgpass,
    Uri,
}

/// <summary>Shutdown behaviour.</summary>
public sealed record ShutdownOptions
{
    /// <summary><c>SHUTDOWN_TIMEOUT</c>, default 20 s: the budget for revoking everything on SIGTERM.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary><c>REVOKE_ON_SHUTDOWN</c>, default true. False leaves leases to expire at their TTL.</summary>
    public bool RevokeOnShutdown { get; init; } = true;

    /// <summary>
    /// <c>REVOKE_DELAY</c>, default 0 s: wait this long after SIGTERM before revoking, for classic sidecars
    /// that are stopped at the same time as the app (native sidecars are stopped after it).
    /// </summary>
    public TimeSpan RevokeDelay { get; init; } = TimeSpan.Zero;
}

/// <summary>How the app is told about a new credential or secret.</summary>
public sealed record ReloadOptions
{
    /// <summary><c>RELOAD_SIGNAL</c>, default HUP (as a Linux signal number).</summary>
    public int Signal { get; init; } = 1;

    /// <summary>Whether <c>RELOAD_SIGNAL</c> was set: in supervisor mode the child is signalled only then.</summary>
    public bool SignalConfigured { get; init; }

    /// <summary><c>RELOAD_PID_FILE</c>: a file holding the app's pid.</summary>
    public string? PidFile { get; init; }

    /// <summary><c>RELOAD_PROCESS_NAME</c>: the app's process name (needs <c>shareProcessNamespace</c>).</summary>
    public string? ProcessName { get; init; }
}

/// <summary>The optional HTTP endpoint for probes and metrics.</summary>
public sealed record HealthOptions
{
    /// <summary><c>HEALTH_ADDRESS</c>, default off: <c>host:port</c> serving <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c>.</summary>
    public string? Address { get; init; }
}

/// <summary>Log output.</summary>
public sealed record LoggingOptions
{
    /// <summary><c>LOG_FORMAT</c>: json (default) or text.</summary>
    public bool Json { get; init; } = true;

    /// <summary><c>LOG_LEVEL</c>, default Information.</summary>
    public Microsoft.Extensions.Logging.LogLevel Level { get; init; } = Microsoft.Extensions.Logging.LogLevel.Information;
}
