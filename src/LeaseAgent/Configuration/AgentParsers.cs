using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace LeaseAgent.Configuration;

/// <summary>The agent's own value parsers, beside the shared <see cref="SettingParsers"/>; each refuses with one line naming the key.</summary>
internal static class AgentParsers
{
    /// <summary>An absolute http(s) URL; <paramref name="example"/> is offered as the fix.</summary>
    public static Func<SettingValue, Uri> HttpUrl(string? example) => value =>
        Uri.TryCreate(value.Text, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp)
            ? url
            : throw value.NotUsable(example is null ? "is not an http(s) URL" : $"is not an http(s) URL; use e.g. {example}");

    /// <summary>An absolute API path; the key's default is offered as the example.</summary>
    public static Func<SettingValue, string> ApiPath(string example) => value =>
        value.Text.StartsWith('/') ? value.Text : throw value.NotUsable($"is not an absolute API path; start it with /, e.g. {example}");

    /// <summary>
    /// A bearer token goes into an HTTP header as one word; a line break or space in it is a copy-paste accident
    /// that would otherwise fail every request. Refused without quoting it: the key is secret.
    /// </summary>
    public static string BearerToken(SettingValue value) =>
        value.Text.Any(c => char.IsControl(c) || char.IsWhiteSpace(c))
            ? throw value.NotUsable("contains a space or a control character; a bearer token is one word, so copy it again without line breaks")
            : value.Text;

    /// <summary>A file path (absolute, or resolved against the working directory) that names a file, not a directory.</summary>
    public static string FilePath(SettingValue value)
    {
        var file = SettingParsers.FullPath(value);
        return Path.GetFileName(file).Length > 0 ? file : throw value.NotUsable("names a directory; name the file, e.g. /run/secrets/db.json");
    }

    /// <summary><c>DB_REQUIRE_AUTH</c>: a comma list of libpq <c>require_auth</c> names; only positive lists, so what is allowed is spelled out.</summary>
    public static IReadOnlyList<string> AuthMethodList(SettingValue value)
    {
        var methods = value.Text.ToLowerInvariant().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct().ToList();
        var unknown = methods.FirstOrDefault(m => !AuthMethods.Names.Contains(m));
        return methods.Count > 0 && unknown is null
            ? methods
            : throw new ConfigurationException(value.Key, $"'{unknown ?? value.Text}' is not a libpq require_auth method; list the ones to allow, comma-separated, from {string.Join(", ", AuthMethods.Names)}");
    }

    /// <summary>An octal mode the owner can read, never executable or world-writable.</summary>
    public static UnixFileMode FileMode(SettingValue value)
    {
        const UnixFileMode allowed = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead;
        int bits;
        try
        {
            bits = Convert.ToInt32(value.Text, 8);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            throw value.NotUsable("is not an octal file mode; use e.g. 0600, or 0640 with a shared fsGroup");
        }

        var mode = (UnixFileMode)bits;
        return (mode & UnixFileMode.UserRead) == 0 || (mode & ~allowed) != 0
            ? throw value.NotUsable("must let the owner read and must not be executable or world-writable; use e.g. 0600 or 0640")
            : mode;
    }

    /// <summary>
    /// <c>host:port</c> with a numeric port. The host is an IPv4 address, <c>*</c>, a DNS name, or an IPv6 address
    /// in brackets (<c>[::1]:8099</c>); anything else (<c>[::1:80</c>, <c>::1:80</c>) is refused, not guessed at.
    /// </summary>
    public static string HostPort(SettingValue value)
    {
        var text = value.Text;
        var colon = text.LastIndexOf(':');
        return colon > 0 && int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535 && IsHost(text[..colon])
            ? text
            : throw value.NotUsable("is not host:port; use e.g. 127.0.0.1:8099, 0.0.0.0:8099 or [::]:8099");
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

    public static LogLevel LogLevel(SettingValue value) => value.Text.ToLowerInvariant() switch
    {
        "trace" => Microsoft.Extensions.Logging.LogLevel.Trace,
        "debug" => Microsoft.Extensions.Logging.LogLevel.Debug,
        "information" or "info" => Microsoft.Extensions.Logging.LogLevel.Information,
        "warning" or "warn" => Microsoft.Extensions.Logging.LogLevel.Warning,
        "error" => Microsoft.Extensions.Logging.LogLevel.Error,
        "critical" => Microsoft.Extensions.Logging.LogLevel.Critical,
        _ => throw value.NotUsable("is not a log level; use trace, debug, information, warning, error or critical"),
    };
}
