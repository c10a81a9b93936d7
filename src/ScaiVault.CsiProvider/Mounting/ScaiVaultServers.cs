using System.Collections.Concurrent;
using ScaiVault.Client;
using ScaiVault.CsiProvider.Configuration;

namespace ScaiVault.CsiProvider.Mounting;

/// <summary>
/// The ScaiVault servers a Mount may read from (<c>--scaivault-url</c> and every <c>--allowed-url</c>), each with its
/// own <see cref="ScaiVaultSecretReader"/>, all over one <see cref="HttpClient"/> whose bulkhead bounds the whole
/// process. Built at start, so that an unusable <c>--ca-file</c> stops the provider before it listens.
/// </summary>
internal sealed class ScaiVaultServers : IDisposable
{
    /// <summary>The budget of one HTTP attempt; the Mount's deadline bounds the whole call, retries included.</summary>
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);

    private readonly HttpClient _http;
    private readonly ProviderOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, ScaiVaultServer> _servers = new(StringComparer.Ordinal);

    /// <param name="wire">Wraps the socket handler, inside the bulkhead (tests count what reaches the wire); null in production.</param>
    /// <exception cref="ScaiVaultSettingException">The CA bundle cannot be used.</exception>
    public ScaiVaultServers(ProviderOptions options, TimeProvider time, Func<HttpMessageHandler, HttpMessageHandler>? wire = null)
    {
        _options = options;
        _time = time;
        HttpMessageHandler sockets = ScaiVaultHttpClient.CreateHandler(ClientOptions(options.ScaiVaultUrl));
        _http = new HttpClient(new ConcurrencyLimitHandler(options.MaxConcurrency) { InnerHandler = wire is null ? sockets : wire(sockets) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>The server of an allowed URL (the parser has checked it); one per server, whatever the trailing slash.</summary>
    public ScaiVaultServer For(Uri url)
    {
        var key = Key(url);
        return _servers.GetOrAdd(key, _ =>
        {
            var options = ClientOptions(new Uri(key + "/"));
            return new ScaiVaultServer(key, options, _http, new ScaiVaultSecretReader(_http, options, _time));
        });
    }

    /// <summary>Scheme, host, port and path without a trailing slash: how <see cref="ProviderOptions.Allows"/> compares servers.</summary>
    public static string Key(Uri url) => url.GetLeftPart(UriPartial.Path).TrimEnd('/');

    public void Dispose() => _http.Dispose();

    private ScaiVaultClientOptions ClientOptions(Uri url) => new()
    {
        BaseUrl = url,
        UrlSetting = "SCAIVAULT_URL",
        CaFile = _options.CaFile,
        CaFileSetting = "CA_FILE",
        RequestTimeout = AttemptTimeout,
    };
}

/// <summary>One ScaiVault server: its canonical URL (a cache key), the client options and the reader.</summary>
internal sealed record ScaiVaultServer(string Url, ScaiVaultClientOptions Options, HttpClient Http, ScaiVaultSecretReader Reader);
