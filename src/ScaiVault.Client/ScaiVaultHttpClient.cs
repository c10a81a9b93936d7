using System.Net;

namespace ScaiVault.Client;

/// <summary>The one long-lived HTTP client for ScaiVault (and, in the agent, ScaiKey).</summary>
public static class ScaiVaultHttpClient
{
    /// <summary>
    /// Timeouts belong to the resilience pipeline, so the client has none; pooled connections are recycled
    /// so DNS changes of the ScaiVault service are picked up. With <see cref="ScaiVaultClientOptions.CaFile"/>, the bundle's CAs
    /// are trusted besides the system store (<see cref="CaBundleTrust"/>); verification is never turned off.
    /// Redirects are never followed: .NET drops only the Authorization header and resends the body of a 307/308,
    /// which is the service-account JWT or the client secret, to any host the Location names. The contract has
    /// no redirects, so a 3xx is an error (<see cref="ErrorCodes.UnexpectedRedirect"/>).
    /// </summary>
    /// <exception cref="ScaiVaultSettingException">The CA bundle cannot be read or holds no certificate.</exception>
    public static HttpClient Create(ScaiVaultClientOptions options) =>
        new(CreateHandler(options))
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };

    /// <summary>
    /// The handler <see cref="Create"/> wraps, for a caller that puts its own <see cref="DelegatingHandler"/> in front
    /// (the CSI provider's per-process bulkhead); its <see cref="HttpClient"/> must have no timeout of its own either.
    /// </summary>
    /// <exception cref="ScaiVaultSettingException">The CA bundle cannot be read or holds no certificate.</exception>
    public static SocketsHttpHandler CreateHandler(ScaiVaultClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);

        // Loaded before the handler exists, so that a bad bundle leaks nothing and fails at start, not at the first call.
        var trust = options.CaFile is { } caFile ? CaBundleTrust.Load(caFile, options.CaFileSetting) : null;
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            AllowAutoRedirect = false,
        };

        if (trust is not null)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = trust.Validate;
        }

        return handler;
    }
}
