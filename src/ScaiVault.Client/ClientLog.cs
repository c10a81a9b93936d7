using Microsoft.Extensions.Logging;

namespace ScaiVault.Client;

/// <summary>
/// The library's log events, source-generated. Their ids belong to the agent's 2xx ScaiVault block
/// (src/LeaseAgent/Diagnostics/Log.cs allocates the rest), so docs and dashboards keep one numbering.
/// No parameter is ever a token or a secret.
/// </summary>
internal static partial class ClientLog
{
    [LoggerMessage(200, LogLevel.Information, "Exchanged the service-account token for a ScaiVault token valid {LifetimeSeconds:0} s; reusing it for {CacheSeconds:0} s")]
    public static partial void TokenExchanged(ILogger logger, double lifetimeSeconds, double cacheSeconds);
}
