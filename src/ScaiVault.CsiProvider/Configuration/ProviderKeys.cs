using System.Text;
using ScaiVault.Hosting.Configuration;
using static ScaiVault.Hosting.Configuration.SettingParsers;

namespace ScaiVault.CsiProvider.Configuration;

/// <summary>
/// Every key of the provider, declared once as the agent's are (ADR 0015): the environment variable (the flag is
/// derived: <c>MAX_CONCURRENCY</c> is <c>--max-concurrency</c>), the default, the parser with its limits and the help.
/// <see cref="ProviderConfiguration"/> reads them, and the flag tables of docs/csi.md and the provider's README are
/// <see cref="Table"/>, checked by a test.
/// </summary>
public static class ProviderKeys
{
    public const string DefaultEndpoint = "/provider/scaivault.sock";

    /// <summary>
    /// Linux's <c>sun_path</c> holds 108 bytes with the terminating NUL; .NET refuses a longer path only when binding,
    /// with an exception that does not name the key.
    /// </summary>
    private const int MaxSocketPathBytes = 107;

    private const string UrlExample = "https://scaivault.scailabs.ai";

    public static readonly Setting<string> Endpoint = Setting.WithDefault(
        "ENDPOINT", DefaultEndpoint, SocketPath,
        $"The socket's absolute path (at most {MaxSocketPathBytes} bytes). The driver dials `<providers-dir>/<spec.provider>.sock`.");

    public static readonly Setting<Uri> ScaiVaultUrl = Setting.Required(
        "SCAIVAULT_URL", $"set it to ScaiVault's base URL, e.g. {UrlExample}", Url,
        "ScaiVault's base URL for every class without `scaivaultUrl`; https (plain http only to loopback).");

    /// <summary>Repeatable as a flag; a comma-separated list in the environment.</summary>
    public static readonly Setting<IReadOnlyList<Uri>> AllowedUrls = Setting.Optional<IReadOnlyList<Uri>>(
        "ALLOWED_URL", "none", UrlList,
        "Repeatable (comma-separated in the environment): another server a class may name in `scaivaultUrl`.");

    // The PEM content is checked when the ScaiVault client is built at start, which also exits 2 naming the key.
    public static readonly Setting<string?> CaFile = Setting.Optional<string?>(
        "CA_FILE", "system CAs", ExistingFile("mount the PEM bundle of the CA that signed ScaiVault's certificate there"),
        "A PEM bundle ScaiVault's certificate chains to, trusted besides the system store; a missing file, or one without a certificate, exits 2.");

    public static readonly Setting<string> DefaultAudience = Setting.WithDefault(
        "DEFAULT_AUDIENCE", "scaivault", Text,
        "The token audience of a class without `audience`.");

    public static readonly Setting<int> TokenCacheSize = Setting.WithDefault(
        "TOKEN_CACHE_SIZE", "1000", WholeNumber(1, 1_000_000),
        "Pods whose ScaiVault token is kept between mounts, 1–1000000 (least recently used go first).");

    public static readonly Setting<int> MaxConcurrency = Setting.WithDefault(
        "MAX_CONCURRENCY", "16", WholeNumber(1, 1024),
        "ScaiVault calls (exchanges and reads) at a time on this node, 1–1024.");

    public static readonly Setting<int> MaxResponseBytes = Setting.WithDefault(
        "MAX_RESPONSE_BYTES", "4194304", WholeNumber(1024, 256 * 1024 * 1024),
        "The largest mount answer, 1024–268435456; at most the driver's `--max-call-recv-msg-size`.");

    public static readonly Setting<TimeSpan> RequestTimeout = Setting.WithDefault(
        "REQUEST_TIMEOUT", "45s", Duration(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(2)),
        "The longest one mount may take, 1s–2m; the driver's own deadline caps it too.");

    public static readonly Setting<string> LogFormat = Setting.WithDefault(
        "LOG_FORMAT", "json", OneOf(["json", "text"], "a log format"),
        "`json` or `text` (the agent's escaping one-line format).");

    /// <summary>Every key, in <c>--help</c> and table order.</summary>
    public static readonly IReadOnlyList<Setting> All =
        [Endpoint, ScaiVaultUrl, AllowedUrls, CaFile, DefaultAudience, TokenCacheSize, MaxConcurrency, MaxResponseBytes, RequestTimeout, LogFormat];

    /// <summary>The Markdown flag table of docs/csi.md and the provider's README.</summary>
    public static string Table()
    {
        var table = new StringBuilder("| Flag | Environment | Default | |\n| --- | --- | --- | --- |\n");
        foreach (var key in All)
        {
            table.Append($"| `{key.Flag}` | `{key.Name}` | {key.ShownDefault} | {key.Help} |\n");
        }

        return table.ToString();
    }

    /// <summary>An absolute path of a socket file that fits <c>sun_path</c>.</summary>
    private static string SocketPath(SettingValue value)
    {
        // The driver's own flag style, unix:///provider/x.sock, is a common copy-paste.
        if (value.Text.StartsWith("unix://", StringComparison.Ordinal))
        {
            throw value.NotUsable($"is a URL; give the socket's path, e.g. {DefaultEndpoint}");
        }

        if (!value.Text.StartsWith('/') || value.Text.EndsWith('/') || value.Text.Any(char.IsControl))
        {
            throw value.NotUsable($"is not an absolute path of a socket file; use e.g. {DefaultEndpoint}");
        }

        var bytes = Encoding.UTF8.GetByteCount(value.Text);
        return bytes <= MaxSocketPathBytes
            ? value.Text
            : throw new ConfigurationException(value.Key, $"is {bytes} bytes long; a Unix socket path may have at most {MaxSocketPathBytes}");
    }

    /// <summary>
    /// An http(s) URL. Plain http is accepted only to loopback (a local emulator): it would carry every pod's
    /// service-account token and every secret in the clear.
    /// </summary>
    private static Uri Url(SettingValue value)
    {
        if (!Uri.TryCreate(value.Text, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp)
            || url.UserInfo.Length > 0 || url.Query.Length > 0 || url.Fragment.Length > 0)
        {
            throw value.NotUsable($"is not an http(s) URL without credentials, query or fragment; use e.g. {UrlExample}");
        }

        if (url.Scheme == Uri.UriSchemeHttp && !IsLoopback(url))
        {
            throw new ConfigurationException(value.Key, $"'{url.Scheme}://{url.Authority}' is plain http to a host that is not loopback, so tokens and secrets would cross the network unencrypted; use https");
        }

        return url;
    }

    private static IReadOnlyList<Uri> UrlList(SettingValue value) =>
        [.. value.Text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(url => Url(value with { Text = url }))];

    private static bool IsLoopback(Uri url) =>
        url.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (System.Net.IPAddress.TryParse(url.Host.Trim('[', ']'), out var address) && System.Net.IPAddress.IsLoopback(address));
}
