using System.Net;
using LeaseAgent.Configuration;

namespace LeaseAgent.ScaiVault;

/// <summary>The one long-lived HTTP client for ScaiVault (and ScaiKey).</summary>
public static class ScaiVaultHttpClient
{
    /// <summary>
    /// Timeouts belong to the resilience pipeline, so the client has none; pooled connections are recycled
    /// so DNS changes of the ScaiVault service are picked up.
    /// </summary>
    public static HttpClient Create(ScaiVaultOptions options) => new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(5),
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };
}
