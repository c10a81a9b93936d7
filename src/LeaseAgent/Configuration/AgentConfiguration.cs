using Microsoft.Extensions.Configuration;
using LeaseAgent.Kubernetes;
using LeaseAgent.Secrets;

namespace LeaseAgent.Configuration;

/// <summary>
/// Reads and validates the agent's configuration through the <see cref="AgentKeys"/> catalogue. Environment
/// variables are the public contract; each key also has a command-line flag (<c>LEASE_TTL</c> → <c>--lease-ttl</c>)
/// and a key in the optional JSON file named by <c>LEASE_AGENT_CONFIG</c>. Precedence: flag, environment, file.
/// </summary>
public static class AgentConfiguration
{
    /// <summary>The key naming the JSON file the other keys may come from (<see cref="AgentKeys.ConfigFile"/>).</summary>
    public const string ConfigFileKey = "LEASE_AGENT_CONFIG";

    /// <summary>Every key <c>lease-agent run</c> reads (all of <see cref="AgentKeys.All"/> but the file that may hold them).</summary>
    public static readonly IReadOnlyList<string> Keys = [.. AgentKeys.All.Where(key => key != AgentKeys.ConfigFile).Select(key => key.Name)];

    /// <summary>
    /// Keys whose value is a secret: never accepted as a flag, because <c>/proc/&lt;pid&gt;/cmdline</c> is readable by
    /// every uid in the PID namespace, and never quoted in an error.
    /// </summary>
    public static readonly IReadOnlyList<string> SecretKeys = [.. AgentKeys.All.Where(key => key.IsSecret).Select(key => key.Name)];

    /// <summary>Every flag <c>run</c> understands, mapped to its key.</summary>
    public static readonly IReadOnlyDictionary<string, string> SwitchMappings =
        AgentKeys.All.ToDictionary(key => key.Flag, key => key.Name, StringComparer.Ordinal);

    /// <summary>Builds the configuration sources: JSON file, environment, then command-line flags.</summary>
    public static IConfiguration Build(IReadOnlyList<string> args)
    {
        var switchMappings = SwitchMappings.ToDictionary(StringComparer.Ordinal);

        // Every spelling the command-line provider accepts (--scaivault-token, --SCAIVAULT_TOKEN, /SCAIVAULT_TOKEN…).
        var flags = new ConfigurationBuilder().AddCommandLine([.. args], switchMappings).Build();
        if (SecretKeys.FirstOrDefault(key => flags[key] is not null) is { } secretFlag)
        {
            throw new ConfigurationException(secretFlag, "is not accepted as a flag: command lines are visible to every process; set it in the environment or the LEASE_AGENT_CONFIG file");
        }

        var withoutFile = new ConfigurationBuilder()
            .AddEnvironmentVariables()
            .AddCommandLine([.. args], switchMappings)
            .Build();

        var builder = new ConfigurationBuilder();
        var file = withoutFile[ConfigFileKey];
        if (!string.IsNullOrWhiteSpace(file))
        {
            if (!File.Exists(file))
            {
                throw new ConfigurationException(ConfigFileKey, $"the file '{file}' does not exist; point it at a JSON file of KEY: value pairs");
            }

            builder.AddJsonFile(Path.GetFullPath(file), optional: false, reloadOnChange: false);
        }

        return builder.AddConfiguration(withoutFile).Build();
    }

    /// <summary>Reads keys from <paramref name="config"/>, a blank value counting as unset.</summary>
    public static SettingReader Reader(IConfiguration config) => new(key => config[key]);

    /// <summary>Validates every value and returns the options, or throws <see cref="ConfigurationException"/>.</summary>
    public static AgentOptions Load(IConfiguration config)
    {
        var reader = Reader(config);

        var baseUri = AgentKeys.ScaiVaultUrl.Read(reader);
        var allowInsecureHttp = AgentKeys.AllowInsecureHttp.Read(reader);
        RequireTlsOffLoopback(AgentKeys.ScaiVaultUrl.Name, baseUri, allowInsecureHttp);
        var scaiVault = new ScaiVaultOptions
        {
            BaseUrl = baseUri,
            AllowInsecureHttp = allowInsecureHttp,
            TokenFile = AgentKeys.TokenFile.Read(reader),
            StaticToken = AgentKeys.StaticToken.Read(reader),
            ClientCredentials = ReadClientCredentials(reader, allowInsecureHttp),
            CaFile = AgentKeys.CaFile.Read(reader),
            RequestTimeout = AgentKeys.RequestTimeout.Read(reader),
            Paths = new ScaiVaultPaths(
                AgentKeys.PathExchange.Read(reader),
                AgentKeys.PathGenerate.Read(reader),
                AgentKeys.PathLookup.Read(reader),
                AgentKeys.PathRenew.Read(reader),
                AgentKeys.PathRevoke.Read(reader),
                AgentKeys.PathList.Read(reader)),
        };

        // Read once. Secrets are removed from the managed environment, so no child process (supervisor mode) inherits
        // them; the kernel's copy in /proc/<pid>/environ stays, and only PR_SET_DUMPABLE 0 (ProcessHardening) protects that.
        foreach (var secret in SecretKeys)
        {
            if (Environment.GetEnvironmentVariable(secret) is not null)
            {
                Environment.SetEnvironmentVariable(secret, null);
            }
        }

        var mappings = ReadSecretMappings(reader);
        var secrets = new SecretsOptions
        {
            Mappings = mappings.Files,
            KubernetesSecrets = mappings.KubernetesSecrets,
            RefreshInterval = AgentKeys.RefreshInterval.Read(reader),
            Subscribe = AgentKeys.Subscribe.Read(reader),
            InitTimeout = AgentKeys.InitTimeout.Read(reader),
        };

        var engine = AgentKeys.LeaseEngine.Read(reader);
        var role = AgentKeys.LeaseRole.Read(reader);
        var stateDirectory = StateDirectory(reader, mappings);
        var credentials = ReadCredentials(config, reader, stateDirectory);
        if (credentials.Count > 0 && (engine is not null || role is not null))
        {
            throw new ConfigurationException(CredentialListParser.Key, $"is set together with {(engine is not null ? AgentKeys.LeaseEngine.Name : AgentKeys.LeaseRole.Name)}; configure the credentials either as CREDENTIALS lines or with LEASE_ENGINE and LEASE_ROLE, not both");
        }

        LeaseOptions? lease = null;
        DatabaseOptions? database = null;
        if (credentials.Count == 0 && LeasesACredential(reader, mappings))
        {
            if (engine is null || role is null)
            {
                var missing = engine is null ? AgentKeys.LeaseEngine.Name : AgentKeys.LeaseRole.Name;
                throw new ConfigurationException(missing, "is required: set both LEASE_ENGINE and LEASE_ROLE to the dynamic engine and role to lease from (or CREDENTIALS for several, or only SECRETS to write static secrets)");
            }

            lease = ReadLease(reader, engine, role);
            database = ReadDatabase(reader);
        }

        var output = ReadOutput(reader, stateDirectory);
        if (lease is not null)
        {
            credentials = [new CredentialOptions(CredentialOptions.DefaultName(lease), lease, database!, output)];
        }

        SecretMappingParser.CheckTargets(secrets.Mappings, output.StateDirectory, credentials, lease is null ? CredentialListParser.Key : AgentKeys.OutputFile.Name);

        var shutdown = new ShutdownOptions
        {
            Timeout = AgentKeys.ShutdownTimeout.Read(reader),
            RevokeOnShutdown = AgentKeys.RevokeOnShutdown.Read(reader),
            RevokeDelay = AgentKeys.RevokeDelay.Read(reader),
        };
        if (shutdown.RevokeDelay >= shutdown.Timeout)
        {
            throw new ConfigurationException(AgentKeys.RevokeDelay.Name, $"{Duration.ToScaiVault(shutdown.RevokeDelay)} leaves no time to revoke within SHUTDOWN_TIMEOUT ({Duration.ToScaiVault(shutdown.Timeout)}); make it shorter");
        }

        var health = new HealthOptions { Address = AgentKeys.HealthAddress.Read(reader) };
        var logging = new LoggingOptions { Json = AgentKeys.LogFormat.Read(reader) == "json", Level = AgentKeys.LogLevel.Read(reader) };
        var reload = new ReloadOptions
        {
            Signal = AgentKeys.ReloadSignal.Read(reader),
            SignalConfigured = reader.Value(AgentKeys.ReloadSignal.Name) is not null,
            PidFile = AgentKeys.ReloadPidFile.Read(reader),
            ProcessName = AgentKeys.ReloadProcessName.Read(reader),
        };
        if (reload is { PidFile: not null, ProcessName: not null })
        {
            throw new ConfigurationException(AgentKeys.ReloadProcessName.Name, "is set together with RELOAD_PID_FILE; set one of them");
        }

        return new AgentOptions(scaiVault, lease, database, output, shutdown, logging)
        {
            Credentials = credentials,
            Health = health,
            Reload = reload,
            Secrets = secrets,
            FailOpen = AgentKeys.FailOpen.Read(reader),
            Kubernetes = mappings.KubernetesSecrets.Count > 0 ? ReadKubernetes(reader) : null,
        };
    }

    /// <summary>The lease of one credential: <paramref name="engine"/>/<paramref name="role"/> with the <c>LEASE_*</c> timing keys.</summary>
    internal static LeaseOptions ReadLease(SettingReader reader, string engine, string role) => new()
    {
        Engine = engine,
        Role = role,
        Ttl = AgentKeys.LeaseTtl.Read(reader),
        RotateBefore = AgentKeys.LeaseRotateBefore.Read(reader),
        DrainTimeout = AgentKeys.LeaseDrainTimeout.Read(reader),
    };

    /// <summary>The database of one credential, from the <c>DB_*</c> keys.</summary>
    internal static DatabaseOptions ReadDatabase(SettingReader reader) => new()
    {
        Host = AgentKeys.DbHost.Read(reader),
        Port = AgentKeys.DbPort.Read(reader),
        Name = AgentKeys.DbName.Read(reader),
        SslMode = AgentKeys.DbSslMode.Read(reader),
        RequireAuth = AgentKeys.DbRequireAuth.Read(reader),
        ProbeQuery = AgentKeys.DbProbeQuery.Read(reader),
        ProbeWindow = AgentKeys.DbProbeWindow.Read(reader),
    };

    /// <summary>Where one credential is published, from the <c>OUTPUT_*</c> keys.</summary>
    internal static OutputOptions ReadOutput(SettingReader reader, string stateDirectory) => new()
    {
        File = AgentKeys.OutputFile.Read(reader),
        Format = AgentKeys.OutputFormat.Read(reader),
        Mode = AgentKeys.OutputMode.Read(reader),
        StateDirectory = stateDirectory,
    };

    /// <summary>In-cluster settings, as every Kubernetes client reads them; the files are checked when init uses them.</summary>
    private static KubernetesOptions ReadKubernetes(SettingReader reader)
    {
        var host = AgentKeys.KubernetesHost.Read(reader);
        var port = AgentKeys.KubernetesPort.Read(reader);
        var bracketed = host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host;
        if (!Uri.TryCreate($"https://{bracketed}:{port}/", UriKind.Absolute, out var apiServer) || apiServer.AbsolutePath != "/" || Uri.CheckHostName(host) == UriHostNameType.Unknown)
        {
            throw new ConfigurationException(AgentKeys.KubernetesHost.Name, $"'{host}' is not a host name or IP address");
        }

        return new KubernetesOptions { ApiServer = apiServer, ServiceAccountDirectory = AgentKeys.KubernetesServiceAccountDir.Read(reader) };
    }

    /// <summary>
    /// Where <c>run</c> keeps <c>status.json</c>, <c>journal.json</c> and <c>lock</c>: <c>STATE_DIR</c>, or beside what
    /// the agent writes (the credential file, or with only <c>SECRETS</c> the first secret file). <c>lease-agent probe</c>
    /// uses this too, so that it looks exactly where <c>run</c> writes.
    /// </summary>
    public static string StateDirectory(IConfiguration config)
    {
        var reader = Reader(config);
        return StateDirectory(reader, ReadSecretMappings(reader));
    }

    // With CREDENTIALS, beside the first line's file: the one an operator converting from OUTPUT_FILE keeps first.
    // With only secret: targets (init, which keeps no state) there is no file to sit beside: OUTPUT_FILE's directory.
    private static string StateDirectory(SettingReader reader, SecretMappings secrets) =>
        AgentKeys.StateDir.Read(reader) ?? Path.Combine(
            Path.GetDirectoryName(
                CredentialListParser.FirstFile(AgentKeys.Credentials.Read(reader))
                ?? (LeasesACredential(reader, secrets) || secrets.Files.Count == 0 ? AgentKeys.OutputFile.Read(reader) : secrets.Files[0].File))!,
            ".lease-agent");

    private static IReadOnlyList<CredentialOptions> ReadCredentials(IConfiguration config, SettingReader reader, string stateDirectory) =>
        CredentialListParser.Parse(AgentKeys.Credentials.Read(reader), config, stateDirectory);

    private static SecretMappings ReadSecretMappings(SettingReader reader) => AgentKeys.Secrets.Read(reader) ?? SecretMappingParser.ParseAll(null);

    /// <summary>A credential is leased unless only <c>SECRETS</c> is configured (or <c>CREDENTIALS</c> names them).</summary>
    private static bool LeasesACredential(SettingReader reader, SecretMappings secrets) =>
        AgentKeys.LeaseEngine.Read(reader) is not null || AgentKeys.LeaseRole.Read(reader) is not null
        || secrets.Files.Count + secrets.KubernetesSecrets.Count == 0;

    /// <summary>
    /// Plain http would carry the service-account JWT, the client secret, bearer tokens and every minted password
    /// in the clear, so it is accepted only to loopback (a local emulator or proxy), or with the explicit opt-in
    /// (a test emulator in a cluster), which the agent warns about at start.
    /// </summary>
    private static void RequireTlsOffLoopback(string key, Uri url, bool allowInsecureHttp)
    {
        if (url.Scheme == Uri.UriSchemeHttp && !allowInsecureHttp && !IsLoopback(url))
        {
            throw new ConfigurationException(key, $"'{url.Scheme}://{url.Authority}' is plain http to a host that is not loopback, so tokens, the client secret and passwords would cross the network unencrypted; use https (only for a test emulator: SCAIVAULT_ALLOW_INSECURE_HTTP=true)");
        }
    }

    /// <summary><c>localhost</c>, 127.0.0.0/8 or ::1.</summary>
    public static bool IsLoopback(Uri url) =>
        url.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (System.Net.IPAddress.TryParse(url.Host.Trim('[', ']'), out var address) && System.Net.IPAddress.IsLoopback(address));

    private static ClientCredentialsOptions? ReadClientCredentials(SettingReader reader, bool allowInsecureHttp)
    {
        Setting[] keys = [AgentKeys.ClientId, AgentKeys.ClientSecretFile, AgentKeys.TokenUrl];
        var missing = keys.Where(key => reader.Value(key.Name) is null).ToList();
        if (missing.Count == keys.Length)
        {
            return null;
        }

        if (missing is [var first, ..])
        {
            throw new ConfigurationException(first.Name, "is required with the client-credentials fallback: set all of SCAIVAULT_CLIENT_ID, SCAIVAULT_CLIENT_SECRET_FILE and SCAIKEY_TOKEN_URL, or none");
        }

        var tokenUrl = AgentKeys.TokenUrl.Read(reader)!;
        RequireTlsOffLoopback(AgentKeys.TokenUrl.Name, tokenUrl, allowInsecureHttp);
        return new ClientCredentialsOptions(AgentKeys.ClientId.Read(reader)!, AgentKeys.ClientSecretFile.Read(reader)!, tokenUrl);
    }
}
