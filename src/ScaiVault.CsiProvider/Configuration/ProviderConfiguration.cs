using ScaiVault.Hosting.Configuration;
using static ScaiVault.Hosting.Configuration.SettingParsers;

namespace ScaiVault.CsiProvider.Configuration;

/// <summary>
/// Reads and validates the provider's configuration, in the agent's style: each key is an environment variable
/// and a flag (<c>MAX_CONCURRENCY</c> → <c>--max-concurrency</c>), the flag winning; every bad value is a
/// <see cref="ConfigurationException"/> naming the key. <c>--allowed-url</c> may be repeated; its environment
/// variable takes a comma-separated list.
/// </summary>
public static class ProviderConfiguration
{
    public const string DefaultEndpoint = "/provider/scaivault.sock";

    /// <summary>Every key the provider understands, in <c>--help</c> order.</summary>
    public static readonly IReadOnlyList<string> Keys =
        [
            "ENDPOINT", "SCAIVAULT_URL", "ALLOWED_URL", "CA_FILE", "DEFAULT_AUDIENCE", "TOKEN_CACHE_SIZE", "MAX_CONCURRENCY",
            "MAX_RESPONSE_BYTES", "REQUEST_TIMEOUT", "LOG_FORMAT",
        ];

    private const string RepeatableKey = "ALLOWED_URL";

    /// <summary>
    /// Linux's <c>sun_path</c> holds 108 bytes with the terminating NUL; .NET refuses a longer path only when binding,
    /// with an exception that does not name the key.
    /// </summary>
    private const int MaxSocketPathBytes = 107;

    public static string FlagOf(string key) => Setting.FlagOf(key);

    /// <summary>The flags as key → values (several only for <c>--allowed-url</c>).</summary>
    public static Dictionary<string, List<string>> ParseFlags(IReadOnlyList<string> args, IReadOnlyCollection<string> keys)
    {
        var byFlag = keys.ToDictionary(FlagOf, key => key, StringComparer.Ordinal);
        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var flag = equals < 0 ? arg : arg[..equals];
            if (!byFlag.TryGetValue(flag, out var key))
            {
                throw new ConfigurationException(flag, "is not a flag of scaivault-csi-provider; see --help");
            }

            var value = equals >= 0 ? arg[(equals + 1)..]
                : i + 1 < args.Count ? args[++i]
                : throw new ConfigurationException(flag, "needs a value");
            if (values.TryGetValue(key, out var list) && key != RepeatableKey)
            {
                throw new ConfigurationException(flag, "is given twice; give it once");
            }

            (list ??= values[key] = []).Add(value);
        }

        return values;
    }

    /// <param name="args">The flags (no command).</param>
    /// <param name="environment">Reads an environment variable (<see cref="Environment.GetEnvironmentVariable(string)"/> outside tests).</param>
    public static ProviderOptions Load(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        var reader = new Reader(ParseFlags(args, [.. Keys]), environment);

        var scaiVaultUrl = Reader.Url("SCAIVAULT_URL", reader.Optional("SCAIVAULT_URL")
            ?? throw new ConfigurationException("SCAIVAULT_URL", "is required: set it to ScaiVault's base URL, e.g. https://scaivault.scailabs.ai"));
        var allowed = reader.List(RepeatableKey).Select(url => Reader.Url(RepeatableKey, url)).ToList();


        return new ProviderOptions
        {
            Endpoint = Endpoint(reader),
            ScaiVaultUrl = scaiVaultUrl,
            AllowedUrls = allowed,
            // The PEM content is checked when the ScaiVault client is built at start, which also exits 2 naming the key.
            CaFile = reader.Read<string?>("CA_FILE", ExistingFile("mount the PEM bundle of the CA that signed ScaiVault's certificate there"), null),
            DefaultAudience = reader.Optional("DEFAULT_AUDIENCE") ?? "scaivault",
            TokenCacheSize = reader.Read("TOKEN_CACHE_SIZE", WholeNumber(1, 1_000_000), 1000),
            MaxConcurrency = reader.Read("MAX_CONCURRENCY", WholeNumber(1, 1024), 16),
            MaxResponseBytes = reader.Read("MAX_RESPONSE_BYTES", WholeNumber(1024, 256 * 1024 * 1024), ProviderOptions.DefaultMaxResponseBytes),
            RequestTimeout = reader.Read("REQUEST_TIMEOUT", Duration(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(2)), TimeSpan.FromSeconds(45)),
            JsonLogs = reader.Read("LOG_FORMAT", OneOf(["json", "text"], "a log format"), "json") == "json",
        };
    }

    /// <summary><c>ENDPOINT</c> alone, for <c>probe</c>: an absolute socket path that fits <c>sun_path</c>.</summary>
    public static string Endpoint(IReadOnlyList<string> args, Func<string, string?> environment) =>
        Endpoint(new Reader(ParseFlags(args, ["ENDPOINT"]), environment));

    private static string Endpoint(Reader reader)
    {
        var endpoint = reader.Optional("ENDPOINT") ?? DefaultEndpoint;

        // The driver's own flag style, unix:///provider/x.sock, is a common copy-paste.
        if (endpoint.StartsWith("unix://", StringComparison.Ordinal))
        {
            throw new ConfigurationException("ENDPOINT", $"'{endpoint}' is a URL; give the socket's path, e.g. {DefaultEndpoint}");
        }

        if (!endpoint.StartsWith('/') || endpoint.EndsWith('/') || endpoint.Any(char.IsControl))
        {
            throw new ConfigurationException("ENDPOINT", $"'{endpoint}' is not an absolute path of a socket file; use e.g. {DefaultEndpoint}");
        }

        if (System.Text.Encoding.UTF8.GetByteCount(endpoint) > MaxSocketPathBytes)
        {
            throw new ConfigurationException("ENDPOINT", $"is {System.Text.Encoding.UTF8.GetByteCount(endpoint)} bytes long; a Unix socket path may have at most {MaxSocketPathBytes}");
        }

        return endpoint;
    }

    /// <summary>Reads one key at a time, flag before environment; every bad value becomes a one-line error naming it.</summary>
    private sealed class Reader(Dictionary<string, List<string>> flags, Func<string, string?> environment)
    {
        private readonly SettingReader settings = new(key => flags.TryGetValue(key, out var values) ? values[^1] : environment(key));

        public string? Optional(string key) => settings.Optional(key);

        public T Read<T>(string key, Func<SettingValue, T> parse, T fallback) => settings.Read(key, parse, fallback);

        public IEnumerable<string> List(string key) =>
            flags.TryGetValue(key, out var values)
                ? values.Select(v => v.Trim())
                : (environment(key) ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

        /// <summary>
        /// An http(s) URL. Plain http is accepted only to loopback (a local emulator): it would carry every pod's
        /// service-account token and every secret in the clear.
        /// </summary>
        public static Uri Url(string key, string text)
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp)
                || url.UserInfo.Length > 0 || url.Query.Length > 0 || url.Fragment.Length > 0)
            {
                throw new ConfigurationException(key, $"'{text}' is not an http(s) URL without credentials, query or fragment; use e.g. https://scaivault.scailabs.ai");
            }

            if (url.Scheme == Uri.UriSchemeHttp && !IsLoopback(url))
            {
                throw new ConfigurationException(key, $"'{url.Scheme}://{url.Authority}' is plain http to a host that is not loopback, so tokens and secrets would cross the network unencrypted; use https");
            }

            return url;
        }

        private static bool IsLoopback(Uri url) =>
            url.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (System.Net.IPAddress.TryParse(url.Host.Trim('[', ']'), out var address) && System.Net.IPAddress.IsLoopback(address));
    }
}
