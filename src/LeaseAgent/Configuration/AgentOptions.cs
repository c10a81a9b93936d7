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
    /// <see cref="AgentKeys.FailOpen"/>: <c>run</c> reports ready without a credential while ScaiVault cannot be
    /// reached (never a stale or static credential) and keeps retrying; <c>init</c> exits 0 without its files.
    /// </summary>
    public bool FailOpen { get; init; } = AgentKeys.FailOpen.Default;

    /// <summary>The Kubernetes API, for <c>secret:</c> targets; set exactly when <c>SECRETS</c> has one.</summary>
    public LeaseAgent.Kubernetes.KubernetesOptions? Kubernetes { get; init; }

    private readonly IReadOnlyList<CredentialOptions>? _credentials;

    /// <summary>
    /// Every dynamic credential the agent keeps, in one shape whatever configured it: <c>CREDENTIALS</c>, one per line
    /// (<see cref="Lease"/> and <see cref="Database"/> are then null), or from the single-credential keys a list of one
    /// named <c>ENGINE/ROLE</c> (none with only <c>SECRETS</c>).
    /// </summary>
    public IReadOnlyList<CredentialOptions> Credentials
    {
        get => _credentials ?? (this is { Lease: { } lease, Database: { } database } ? [new CredentialOptions(CredentialOptions.DefaultName(lease), lease, database, Output)] : []);
        init => _credentials = value;
    }

    /// <summary>
    /// Supervisor mode: the command after <c>run --</c>, started once every credential is published, with the first
    /// one's <c>PG*</c> variables.
    /// </summary>
    public IReadOnlyList<string>? ChildCommand { get; init; }
}

/// <summary>Static secrets written to files (<c>SECRETS</c>) and how they are kept fresh.</summary>
public sealed record SecretsOptions
{
    /// <summary><c>SECRETS</c>: one <c>path[#field] -> /file</c> mapping per line.</summary>
    public IReadOnlyList<Secrets.SecretMapping> Mappings { get; init; } = [];

    /// <summary><c>SECRETS</c> lines whose target is <c>secret:name[/key]</c>: written by <c>init</c> only.</summary>
    public IReadOnlyList<Kubernetes.KubernetesSecretMapping> KubernetesSecrets { get; init; } = [];

    /// <summary><see cref="AgentKeys.RefreshInterval"/>: how often <c>run</c> re-reads the secrets (±10 % jitter).</summary>
    public TimeSpan RefreshInterval { get; init; } = AgentKeys.RefreshInterval.Default;

    /// <summary><see cref="AgentKeys.Subscribe"/>: refresh on ScaiVault events instead of waiting for the next poll.</summary>
    public bool Subscribe { get; init; } = AgentKeys.Subscribe.Default;

    /// <summary><see cref="AgentKeys.InitTimeout"/>: how long <c>init</c> retries before it gives up.</summary>
    public TimeSpan InitTimeout { get; init; } = AgentKeys.InitTimeout.Default;
}

/// <summary>How to reach and authenticate to ScaiVault.</summary>
public sealed record ScaiVaultOptions
{
    /// <summary><see cref="AgentKeys.ScaiVaultUrl"/>, required.</summary>
    public required Uri BaseUrl { get; init; }

    /// <summary>
    /// <see cref="AgentKeys.AllowInsecureHttp"/>: accept <c>http://</c> in <c>SCAIVAULT_URL</c> and
    /// <c>SCAIKEY_TOKEN_URL</c> to hosts that are not loopback (a test emulator in a cluster). Warned about at start.
    /// </summary>
    public bool AllowInsecureHttp { get; init; } = AgentKeys.AllowInsecureHttp.Default;

    /// <summary><see cref="AgentKeys.TokenFile"/>; re-read on every exchange.</summary>
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

    /// <summary><see cref="AgentKeys.RequestTimeout"/>: the budget of one HTTP attempt.</summary>
    public TimeSpan RequestTimeout { get; init; } = AgentKeys.RequestTimeout.Default;

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
    /// <summary>The contract's paths, the defaults of the <c>SCAIVAULT_PATH_*</c> keys.</summary>
    public static ScaiVaultPaths Default { get; } = new(
        AgentKeys.PathExchange.Default,
        AgentKeys.PathGenerate.Default,
        AgentKeys.PathLookup.Default,
        AgentKeys.PathRenew.Default,
        AgentKeys.PathRevoke.Default,
        AgentKeys.PathList.Default);
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

    /// <summary><see cref="AgentKeys.LeaseRotateBefore"/>, capped at a third of the lease's whole life.</summary>
    public TimeSpan RotateBefore { get; init; } = AgentKeys.LeaseRotateBefore.Default;

    /// <summary><see cref="AgentKeys.LeaseDrainTimeout"/>: how long a superseded lease may drain.</summary>
    public TimeSpan DrainTimeout { get; init; } = AgentKeys.LeaseDrainTimeout.Default;
}

/// <summary>The database the credential is for: the probe target and what the app is told.</summary>
public sealed record DatabaseOptions
{
    /// <summary><c>DB_HOST</c>, required.</summary>
    public required string Host { get; init; }

    /// <summary><see cref="AgentKeys.DbPort"/>.</summary>
    public int Port { get; init; } = AgentKeys.DbPort.Default;

    /// <summary><c>DB_NAME</c>, required.</summary>
    public required string Name { get; init; }

    /// <summary>
    /// <see cref="AgentKeys.DbSslMode"/> (libpq spelling): the probe's, and the one published to the app.
    /// Not <c>verify-full</c> by default, because the app would then need the server's CA too, and the probe's
    /// password is protected by <see cref="RequireAuth"/> even against a server with a certificate nobody checked.
    /// </summary>
    public string SslMode { get; init; } = AgentKeys.DbSslMode.Default;

    /// <summary>
    /// <see cref="AgentKeys.DbRequireAuth"/> (libpq names): the authentication methods the agent's own
    /// connections accept; a server asking for any other gets no password.
    /// </summary>
    public IReadOnlyList<string> RequireAuth { get; init; } = AgentKeys.DbRequireAuth.Default;

    /// <summary><c>DB_PROBE_QUERY</c>: run after the login check when set.</summary>
    public string? ProbeQuery { get; init; }

    /// <summary>
    /// <see cref="AgentKeys.DbProbeWindow"/>: how long a failing login of a new credential is retried,
    /// because a new role can take a moment to reach a replica or a pooler.
    /// </summary>
    public TimeSpan ProbeWindow { get; init; } = AgentKeys.DbProbeWindow.Default;

    public SslMode NpgsqlSslMode => SslModes.ToNpgsql(SslMode);

    public string NpgsqlRequireAuth => AuthMethods.ToNpgsql(RequireAuth);
}

/// <summary>Where and how the credential is published.</summary>
public sealed record OutputOptions
{
    /// <summary><see cref="AgentKeys.OutputFile"/>.</summary>
    public required string File { get; init; }

    /// <summary><see cref="AgentKeys.OutputFormat"/>.</summary>
    public OutputFormat Format { get; init; } = AgentKeys.OutputFormat.Default;

    /// <summary><see cref="AgentKeys.OutputMode"/>.</summary>
    public UnixFileMode Mode { get; init; } = AgentKeys.OutputMode.Default;

    /// <summary><see cref="AgentKeys.StateDir"/>, or beside what the agent writes.</summary>
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
    /// <summary><see cref="AgentKeys.ShutdownTimeout"/>: the budget for revoking everything on SIGTERM.</summary>
    public TimeSpan Timeout { get; init; } = AgentKeys.ShutdownTimeout.Default;

    /// <summary><see cref="AgentKeys.RevokeOnShutdown"/>. False leaves leases to expire at their TTL.</summary>
    public bool RevokeOnShutdown { get; init; } = AgentKeys.RevokeOnShutdown.Default;

    /// <summary>
    /// <see cref="AgentKeys.RevokeDelay"/>: wait this long after SIGTERM before revoking, for classic sidecars
    /// that are stopped at the same time as the app (native sidecars are stopped after it).
    /// </summary>
    public TimeSpan RevokeDelay { get; init; } = AgentKeys.RevokeDelay.Default;
}

/// <summary>How the app is told about a new credential or secret.</summary>
public sealed record ReloadOptions
{
    /// <summary><see cref="AgentKeys.ReloadSignal"/> (as a Linux signal number).</summary>
    public int Signal { get; init; } = AgentKeys.ReloadSignal.Default;

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
    /// <summary><see cref="AgentKeys.HealthAddress"/>, default off: <c>host:port</c> serving <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c>.</summary>
    public string? Address { get; init; }
}

/// <summary>Log output.</summary>
public sealed record LoggingOptions
{
    /// <summary><see cref="AgentKeys.LogFormat"/>: json or text.</summary>
    public bool Json { get; init; } = AgentKeys.LogFormat.Default == "json";

    /// <summary><see cref="AgentKeys.LogLevel"/>.</summary>
    public Microsoft.Extensions.Logging.LogLevel Level { get; init; } = AgentKeys.LogLevel.Default;
}
