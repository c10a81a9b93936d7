using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using LeaseAgent.Kubernetes;
using LeaseAgent.Secrets;
using Microsoft.Extensions.Logging;

namespace LeaseAgent.Configuration;

/// <summary>
/// Reads and validates the agent's configuration. Environment variables are the public contract;
/// each key also has a command-line flag (<c>LEASE_TTL</c> → <c>--lease-ttl</c>) and a key in the
/// optional JSON file named by <c>LEASE_AGENT_CONFIG</c>. Precedence: flag, environment, file.
/// </summary>
public static class AgentConfiguration
{
    public const string ConfigFileKey = "LEASE_AGENT_CONFIG";

    /// <summary>Every key <c>lease-agent run</c> understands.</summary>
    public static readonly IReadOnlyList<string> Keys =
    [
        "SCAIVAULT_URL", "SCAIVAULT_TOKEN_FILE", "SCAIVAULT_TOKEN", "SCAIVAULT_TIMEOUT", "SCAIVAULT_CA_FILE",
        "SCAIVAULT_CLIENT_ID", "SCAIVAULT_CLIENT_SECRET_FILE", "SCAIKEY_TOKEN_URL", "SCAIVAULT_ALLOW_INSECURE_HTTP",
        "SCAIVAULT_PATH_EXCHANGE", "SCAIVAULT_PATH_GENERATE", "SCAIVAULT_PATH_LOOKUP", "SCAIVAULT_PATH_RENEW", "SCAIVAULT_PATH_REVOKE", "SCAIVAULT_PATH_LIST",
        "LEASE_ENGINE", "LEASE_ROLE", "LEASE_TTL", "LEASE_ROTATE_BEFORE", "LEASE_DRAIN_TIMEOUT", "FAIL_OPEN",
        "DB_HOST", "DB_PORT", "DB_NAME", "DB_SSLMODE", "DB_REQUIRE_AUTH", "DB_PROBE_QUERY", "DB_PROBE_WINDOW",
        "OUTPUT_FILE", "OUTPUT_FORMAT", "OUTPUT_MODE", "STATE_DIR",
        "SHUTDOWN_TIMEOUT", "REVOKE_ON_SHUTDOWN", "REVOKE_DELAY", "HEALTH_ADDRESS", "LOG_FORMAT", "LOG_LEVEL",
        "RELOAD_SIGNAL", "RELOAD_PID_FILE", "RELOAD_PROCESS_NAME",
        "SECRETS", "REFRESH_INTERVAL", "SUBSCRIBE", "INIT_TIMEOUT",
        "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "KUBERNETES_SERVICE_ACCOUNT_DIR",
    ];

    /// <summary>
    /// Keys whose value is a secret: never accepted as a flag, because <c>/proc/&lt;pid&gt;/cmdline</c> is readable by
    /// every uid in the PID namespace.
    /// </summary>
    public static readonly IReadOnlyList<string> SecretKeys = ["SCAIVAULT_TOKEN"];

    /// <summary>Builds the configuration sources: JSON file, environment, then command-line flags.</summary>
    public static IConfiguration Build(IReadOnlyList<string> args)
    {
        var switchMappings = Keys.Append(ConfigFileKey).ToDictionary(
            key => "--" + key.ToLowerInvariant().Replace('_', '-'),
            key => key,
            StringComparer.Ordinal);

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

    /// <summary>Validates every value and returns the options, or throws <see cref="ConfigurationException"/>.</summary>
    public static AgentOptions Load(IConfiguration config)
    {
        var reader = new Reader(config);

        var baseUrl = reader.Required("SCAIVAULT_URL", "set it to ScaiVault's base URL, e.g. https://scaivault.scailabs.ai");
        if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var baseUri) || (baseUri.Scheme != Uri.UriSchemeHttps && baseUri.Scheme != Uri.UriSchemeHttp))
        {
            throw new ConfigurationException("SCAIVAULT_URL", $"'{baseUrl}' is not an http(s) URL; use e.g. https://scaivault.scailabs.ai");
        }

        var allowInsecureHttp = reader.Boolean("SCAIVAULT_ALLOW_INSECURE_HTTP", fallback: false);
        RequireTlsOffLoopback("SCAIVAULT_URL", baseUri, allowInsecureHttp);
        var scaiVault = new ScaiVaultOptions
        {
            BaseUrl = baseUri,
            AllowInsecureHttp = allowInsecureHttp,
            TokenFile = reader.Optional("SCAIVAULT_TOKEN_FILE") ?? "/var/run/secrets/scaivault/token",
            StaticToken = reader.Optional("SCAIVAULT_TOKEN"),
            ClientCredentials = ReadClientCredentials(reader, allowInsecureHttp),
            CaFile = reader.ExistingFile("SCAIVAULT_CA_FILE", "point it at a PEM bundle of the CA that signed ScaiVault's certificate"),
            RequestTimeout = reader.Duration("SCAIVAULT_TIMEOUT", TimeSpan.FromSeconds(10), min: TimeSpan.FromMilliseconds(100), max: TimeSpan.FromMinutes(5)),
            Paths = new ScaiVaultPaths(
                reader.Path("SCAIVAULT_PATH_EXCHANGE", ScaiVaultPaths.Default.Exchange),
                reader.Path("SCAIVAULT_PATH_GENERATE", ScaiVaultPaths.Default.Generate),
                reader.Path("SCAIVAULT_PATH_LOOKUP", ScaiVaultPaths.Default.Lookup),
                reader.Path("SCAIVAULT_PATH_RENEW", ScaiVaultPaths.Default.Renew),
                reader.Path("SCAIVAULT_PATH_REVOKE", ScaiVaultPaths.Default.Revoke),
                reader.Path("SCAIVAULT_PATH_LIST", ScaiVaultPaths.Default.List)),
        };

        // Read once. Removed from the managed environment, so no child process (supervisor mode) inherits it; the
        // kernel's copy in /proc/<pid>/environ stays, and only PR_SET_DUMPABLE 0 (ProcessHardening) protects that.
        if (scaiVault.StaticToken is not null)
        {
            Environment.SetEnvironmentVariable("SCAIVAULT_TOKEN", null);
        }

        var mappings = SecretMappingParser.ParseAll(config[SecretMappingParser.Key]);
        var secrets = new SecretsOptions
        {
            Mappings = mappings.Files,
            KubernetesSecrets = mappings.KubernetesSecrets,
            RefreshInterval = reader.Duration("REFRESH_INTERVAL", TimeSpan.FromMinutes(5), min: TimeSpan.FromSeconds(1), max: TimeSpan.FromDays(7)),
            Subscribe = reader.Boolean("SUBSCRIBE", fallback: false),
            InitTimeout = reader.Duration("INIT_TIMEOUT", TimeSpan.FromSeconds(60), min: TimeSpan.FromSeconds(1), max: LongestWait),
        };

        var engine = reader.Optional("LEASE_ENGINE");
        var role = reader.Optional("LEASE_ROLE");
        LeaseOptions? lease = null;
        DatabaseOptions? database = null;
        if (LeasesACredential(reader, mappings))
        {
            if (engine is null || role is null)
            {
                var missing = engine is null ? "LEASE_ENGINE" : "LEASE_ROLE";
                throw new ConfigurationException(missing, "is required: set both LEASE_ENGINE and LEASE_ROLE to the dynamic engine and role to lease from (or only SECRETS to write static secrets)");
            }

            lease = new LeaseOptions
            {
                Engine = engine,
                Role = role,
                Ttl = reader.OptionalDuration("LEASE_TTL", min: TimeSpan.FromSeconds(1), max: LongestLease),
                RotateBefore = reader.Duration("LEASE_ROTATE_BEFORE", TimeSpan.FromMinutes(10), min: TimeSpan.Zero, max: LongestLease),
                DrainTimeout = reader.Duration("LEASE_DRAIN_TIMEOUT", TimeSpan.FromSeconds(60), min: TimeSpan.Zero, max: LongestWait),
            };
            database = ReadDatabase(reader);
        }

        var output = new OutputOptions
        {
            File = OutputFile(reader),
            Format = reader.Enum("OUTPUT_FORMAT", OutputFormat.Json),
            Mode = reader.FileMode("OUTPUT_MODE", UnixFileMode.UserRead | UnixFileMode.UserWrite),
            StateDirectory = StateDirectory(reader, mappings),
        };
        SecretMappingParser.CheckTargets(secrets.Mappings, output.StateDirectory, lease is null ? null : output.File);

        var shutdown = new ShutdownOptions
        {
            Timeout = reader.Duration("SHUTDOWN_TIMEOUT", TimeSpan.FromSeconds(20), min: TimeSpan.FromSeconds(1), max: LongestWait),
            RevokeOnShutdown = reader.Boolean("REVOKE_ON_SHUTDOWN", fallback: true),
            RevokeDelay = reader.Duration("REVOKE_DELAY", TimeSpan.Zero, min: TimeSpan.Zero, max: LongestWait),
        };
        if (shutdown.RevokeDelay >= shutdown.Timeout)
        {
            throw new ConfigurationException("REVOKE_DELAY", $"{Configuration.Duration.ToScaiVault(shutdown.RevokeDelay)} leaves no time to revoke within SHUTDOWN_TIMEOUT ({Configuration.Duration.ToScaiVault(shutdown.Timeout)}); make it shorter");
        }

        var health = new HealthOptions { Address = reader.HostPort("HEALTH_ADDRESS") };

        var logFormat = (reader.Optional("LOG_FORMAT") ?? "json").ToLowerInvariant();
        if (logFormat is not ("json" or "text"))
        {
            throw new ConfigurationException("LOG_FORMAT", $"'{logFormat}' is not a log format; use json or text");
        }

        var logging = new LoggingOptions { Json = logFormat == "json", Level = reader.LogLevel("LOG_LEVEL") };
        var reload = new ReloadOptions
        {
            Signal = Reload.ReloadSignal.Parse(reader.Optional("RELOAD_SIGNAL")),
            SignalConfigured = reader.Optional("RELOAD_SIGNAL") is not null,
            PidFile = reader.Optional("RELOAD_PID_FILE"),
            ProcessName = reader.Optional("RELOAD_PROCESS_NAME"),
        };
        if (reload is { PidFile: not null, ProcessName: not null })
        {
            throw new ConfigurationException("RELOAD_PROCESS_NAME", "is set together with RELOAD_PID_FILE; set one of them");
        }

        return new AgentOptions(scaiVault, lease, database, output, shutdown, logging)
        {
            Health = health,
            Reload = reload,
            Secrets = secrets,
            FailOpen = reader.Boolean("FAIL_OPEN", fallback: false),
            Kubernetes = mappings.KubernetesSecrets.Count > 0 ? ReadKubernetes(reader) : null,
        };
    }

    /// <summary>In-cluster settings, as every Kubernetes client reads them; the files are checked when init uses them.</summary>
    private static KubernetesOptions ReadKubernetes(Reader reader)
    {
        const string inPod = "secret: targets in SECRETS are written through the Kubernetes API, and the kubelet sets it in every container: run lease-agent init in a pod (a pre-deploy Job)";
        var host = reader.Required("KUBERNETES_SERVICE_HOST", inPod);
        var port = reader.Integer("KUBERNETES_SERVICE_PORT", 443, 1, 65535);
        var bracketed = host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host;
        if (!Uri.TryCreate($"https://{bracketed}:{port}/", UriKind.Absolute, out var apiServer) || apiServer.AbsolutePath != "/" || Uri.CheckHostName(host) == UriHostNameType.Unknown)
        {
            throw new ConfigurationException("KUBERNETES_SERVICE_HOST", $"'{host}' is not a host name or IP address");
        }

        var directory = reader.FullPath("KUBERNETES_SERVICE_ACCOUNT_DIR") ?? KubernetesOptions.DefaultServiceAccountDirectory;
        return new KubernetesOptions { ApiServer = apiServer, ServiceAccountDirectory = directory };
    }

    /// <summary>
    /// Where <c>run</c> keeps <c>status.json</c>, <c>journal.json</c> and <c>lock</c>: <c>STATE_DIR</c>, or beside what
    /// the agent writes (the credential file, or with only <c>SECRETS</c> the first secret file). <c>lease-agent probe</c>
    /// uses this too, so that it looks exactly where <c>run</c> writes.
    /// </summary>
    public static string StateDirectory(IConfiguration config) =>
        StateDirectory(new Reader(config), SecretMappingParser.ParseAll(config[SecretMappingParser.Key]));

    // With only secret: targets (init, which keeps no state) there is no file to sit beside: OUTPUT_FILE's directory.
    private static string StateDirectory(Reader reader, SecretMappings secrets) =>
        reader.FullPath("STATE_DIR") ?? Path.Combine(
            Path.GetDirectoryName(LeasesACredential(reader, secrets) || secrets.Files.Count == 0 ? OutputFile(reader) : secrets.Files[0].File)!, ".lease-agent");

    /// <summary>A credential is leased unless only <c>SECRETS</c> is configured.</summary>
    private static bool LeasesACredential(Reader reader, SecretMappings secrets) =>
        reader.Optional("LEASE_ENGINE") is not null || reader.Optional("LEASE_ROLE") is not null
        || secrets.Files.Count + secrets.KubernetesSecrets.Count == 0;

    private static string OutputFile(Reader reader)
    {
        var file = reader.FullPath("OUTPUT_FILE") ?? "/run/secrets/db.json";
        return Path.GetFileName(file).Length > 0
            ? file
            : throw new ConfigurationException("OUTPUT_FILE", $"'{file}' names a directory; name the file, e.g. /run/secrets/db.json");
    }

    private static DatabaseOptions ReadDatabase(Reader reader)
    {
        var sslMode = (reader.Optional("DB_SSLMODE") ?? "require").ToLowerInvariant();
        if (!SslModes.Names.Contains(sslMode))
        {
            throw new ConfigurationException("DB_SSLMODE", $"'{sslMode}' is not a libpq sslmode; use one of {string.Join(", ", SslModes.Names)}");
        }

        return new DatabaseOptions
        {
            Host = reader.Required("DB_HOST", "set it to the database host the app connects to"),
            Port = reader.Integer("DB_PORT", 5432, 1, 65535),
            Name = reader.Required("DB_NAME", "set it to the database the app connects to"),
            SslMode = sslMode,
            RequireAuth = ReadAuthMethods(reader),
            ProbeQuery = reader.Optional("DB_PROBE_QUERY"),
            ProbeWindow = reader.Duration("DB_PROBE_WINDOW", TimeSpan.FromSeconds(10), min: TimeSpan.Zero, max: LongestWait),
        };
    }

    /// <summary><c>DB_REQUIRE_AUTH</c>: a comma list of libpq <c>require_auth</c> names; only positive lists, so what is allowed is spelled out.</summary>
    private static List<string> ReadAuthMethods(Reader reader)
    {
        var text = reader.Optional("DB_REQUIRE_AUTH");
        if (text is null)
        {
            return [AuthMethods.Default];
        }

        var methods = text.ToLowerInvariant().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct().ToList();
        var unknown = methods.FirstOrDefault(m => !AuthMethods.Names.Contains(m));
        if (methods.Count == 0 || unknown is not null)
        {
            throw new ConfigurationException("DB_REQUIRE_AUTH", $"'{unknown ?? text}' is not a libpq require_auth method; list the ones to allow, comma-separated, from {string.Join(", ", AuthMethods.Names)}");
        }

        return methods;
    }

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

    private static ClientCredentialsOptions? ReadClientCredentials(Reader reader, bool allowInsecureHttp)
    {
        var id = reader.Optional("SCAIVAULT_CLIENT_ID");
        var secretFile = reader.Optional("SCAIVAULT_CLIENT_SECRET_FILE");
        var tokenUrl = reader.Optional("SCAIKEY_TOKEN_URL");
        if (id is null && secretFile is null && tokenUrl is null)
        {
            return null;
        }

        const string fix = "set all of SCAIVAULT_CLIENT_ID, SCAIVAULT_CLIENT_SECRET_FILE and SCAIKEY_TOKEN_URL, or none";
        _ = id ?? throw new ConfigurationException("SCAIVAULT_CLIENT_ID", "is required with the client-credentials fallback: " + fix);
        _ = secretFile ?? throw new ConfigurationException("SCAIVAULT_CLIENT_SECRET_FILE", "is required with the client-credentials fallback: " + fix);
        _ = tokenUrl ?? throw new ConfigurationException("SCAIKEY_TOKEN_URL", "is required with the client-credentials fallback: " + fix);
        if (!Uri.TryCreate(tokenUrl, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            throw new ConfigurationException("SCAIKEY_TOKEN_URL", $"'{tokenUrl}' is not an http(s) URL");
        }

        RequireTlsOffLoopback("SCAIKEY_TOKEN_URL", url, allowInsecureHttp);

        reader.ExistingFile("SCAIVAULT_CLIENT_SECRET_FILE", "mount the client secret there");
        return new ClientCredentialsOptions(id, secretFile, url);
    }

    /// <summary>
    /// The longest wait a duration key may ask for where the runtime bounds it: Polly's timeouts take at most a day,
    /// and a shutdown, drain or probe that needs longer is a typo (60d was accepted, then CancelAfter threw at SIGTERM).
    /// </summary>
    private static readonly TimeSpan LongestWait = TimeSpan.FromHours(24);

    /// <summary>The longest lease or rotation lead a key may ask for; the server caps leases far below this anyway.</summary>
    private static readonly TimeSpan LongestLease = TimeSpan.FromDays(365);

    /// <summary>Reads one key at a time and turns every bad value into a one-line error naming it.</summary>
    private sealed class Reader(IConfiguration config)
    {
        public string? Optional(string key)
        {
            var value = config[key];
            return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
        }

        public string Required(string key, string fix) =>
            Optional(key) ?? throw new ConfigurationException(key, $"is required: {fix}");

        public TimeSpan? OptionalDuration(string key, TimeSpan min, TimeSpan max)
        {
            var text = Optional(key);
            if (text is null)
            {
                return null;
            }

            if (!Configuration.Duration.TryParse(text, out var value))
            {
                throw new ConfigurationException(key, $"'{text}' is not a duration; use a number with a unit, e.g. 90s, 15m or 1h");
            }

            if (value < min)
            {
                throw new ConfigurationException(key, $"'{text}' is too short; use at least {Configuration.Duration.ToScaiVault(min)}");
            }

            if (value > max)
            {
                throw new ConfigurationException(key, $"'{text}' is too long; use at most {Configuration.Duration.Format(max)}");
            }

            return value;
        }

        public TimeSpan Duration(string key, TimeSpan fallback, TimeSpan min, TimeSpan max) => OptionalDuration(key, min, max) ?? fallback;

        /// <summary>An absolute path (relative ones are resolved against the working directory).</summary>
        public string? FullPath(string key)
        {
            var text = Optional(key);
            if (text is not null && text.Any(char.IsControl))
            {
                throw new ConfigurationException(key, "contains a control character; use a plain path");
            }

            return text is null ? null : System.IO.Path.GetFullPath(text);
        }

        public bool Boolean(string key, bool fallback)
        {
            var text = Optional(key);
            return text?.ToLowerInvariant() switch
            {
                null => fallback,
                "true" or "1" or "yes" or "on" => true,
                "false" or "0" or "no" or "off" => false,
                _ => throw new ConfigurationException(key, $"'{text}' is not a boolean; use true or false"),
            };
        }

        public string? ExistingFile(string key, string fix)
        {
            var path = Optional(key);
            if (path is not null && !File.Exists(path))
            {
                throw new ConfigurationException(key, $"'{path}' does not exist; {fix}");
            }

            return path;
        }

        /// <summary>
        /// <c>host:port</c> with a numeric port. The host is an IPv4 address, <c>*</c>, a DNS name, or an IPv6 address
        /// in brackets (<c>[::1]:8099</c>); anything else (<c>[::1:80</c>, <c>::1:80</c>) is refused, not guessed at.
        /// </summary>
        public string? HostPort(string key)
        {
            var text = Optional(key);
            if (text is null)
            {
                return null;
            }

            var colon = text.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535 || !IsHost(text[..colon]))
            {
                throw new ConfigurationException(key, $"'{text}' is not host:port; use e.g. 127.0.0.1:8099, 0.0.0.0:8099 or [::]:8099");
            }

            return text;
        }

        private static bool IsHost(string host)
        {
            if (host.StartsWith('['))
            {
                return host.EndsWith(']') && IPAddress.TryParse(host[1..^1], out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6;
            }

            // IPAddress.TryParse takes "1" for 0.0.0.1: an address is only what it prints back as.
            if (host.All(c => char.IsAsciiDigit(c) || c == '.'))
            {
                return IPAddress.TryParse(host, out var v4) && v4.AddressFamily == AddressFamily.InterNetwork && v4.ToString() == host;
            }

            return host == "*" || Uri.CheckHostName(host) == UriHostNameType.Dns;
        }

        public string Path(string key, string fallback)
        {
            var value = Optional(key) ?? fallback;
            if (!value.StartsWith('/'))
            {
                throw new ConfigurationException(key, $"'{value}' is not an absolute API path; start it with /, e.g. {fallback}");
            }

            return value;
        }

        public int Integer(string key, int fallback, int min, int max)
        {
            var text = Optional(key);
            if (text is null)
            {
                return fallback;
            }

            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            {
                throw new ConfigurationException(key, $"'{text}' is not a whole number from {min} to {max}");
            }

            return value;
        }

        public TEnum Enum<TEnum>(string key, TEnum fallback)
            where TEnum : struct, System.Enum
        {
            var text = Optional(key);
            if (text is null)
            {
                return fallback;
            }

            if (System.Enum.TryParse<TEnum>(text, ignoreCase: true, out var value) && System.Enum.IsDefined(value) && !char.IsAsciiDigit(text[0]))
            {
                return value;
            }

            var names = string.Join(", ", System.Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant()));
            throw new ConfigurationException(key, $"'{text}' is not one of {names}");
        }

        public UnixFileMode FileMode(string key, UnixFileMode fallback)
        {
            var text = Optional(key);
            if (text is null)
            {
                return fallback;
            }

            const UnixFileMode allowed = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead;
            int bits;
            try
            {
                bits = Convert.ToInt32(text, 8);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
            {
                throw new ConfigurationException(key, $"'{text}' is not an octal file mode; use e.g. 0600, or 0640 with a shared fsGroup");
            }

            var mode = (UnixFileMode)bits;
            if ((mode & UnixFileMode.UserRead) == 0 || (mode & ~allowed) != 0)
            {
                throw new ConfigurationException(key, $"'{text}' must let the owner read and must not be executable or world-writable; use e.g. 0600 or 0640");
            }

            return mode;
        }

        public LogLevel LogLevel(string key)
        {
            var text = Optional(key);
            if (text is null)
            {
                return Microsoft.Extensions.Logging.LogLevel.Information;
            }

            return text.ToLowerInvariant() switch
            {
                "trace" => Microsoft.Extensions.Logging.LogLevel.Trace,
                "debug" => Microsoft.Extensions.Logging.LogLevel.Debug,
                "information" or "info" => Microsoft.Extensions.Logging.LogLevel.Information,
                "warning" or "warn" => Microsoft.Extensions.Logging.LogLevel.Warning,
                "error" => Microsoft.Extensions.Logging.LogLevel.Error,
                "critical" => Microsoft.Extensions.Logging.LogLevel.Critical,
                _ => throw new ConfigurationException(key, $"'{text}' is not a log level; use trace, debug, information, warning, error or critical"),
            };
        }
    }
}
