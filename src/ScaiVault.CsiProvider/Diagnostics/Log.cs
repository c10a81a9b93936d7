using Microsoft.Extensions.Logging;

namespace ScaiVault.CsiProvider.Diagnostics;

/// <summary>
/// Every log event of the provider, source-generated. Event ids are 1xxx, apart from the agent's (1xx–9xx):
/// 10xx lifecycle and socket, 11xx mount requests, 12xx ScaiVault reads of mounts. No parameter is ever a token, a secret value, or the raw
/// <c>attributes</c> or <c>secrets</c> of a request.
/// </summary>
internal static partial class Log
{
    // 10xx lifecycle and socket
    [LoggerMessage(1000, LogLevel.Information, "scaivault-csi-provider {Version} listening on {Endpoint} (mode 0700); default server {ScaiVaultUrl}, {AllowedUrls} other allowed, default audience {Audience}")]
    public static partial void Listening(ILogger logger, string version, string endpoint, string scaiVaultUrl, int allowedUrls, string audience);

    [LoggerMessage(1001, LogLevel.Warning, "Removed a stale socket at {Endpoint}: nothing answered on it (a provider that was killed leaves it behind)")]
    public static partial void StaleSocketRemoved(ILogger logger, string endpoint);

    [LoggerMessage(1002, LogLevel.Information, "Stopping: no new connections; in-flight calls have {ShutdownSeconds:0} s to finish")]
    public static partial void Stopping(ILogger logger, double shutdownSeconds);

    [LoggerMessage(1003, LogLevel.Information, "Stopped; the socket {Endpoint} is removed")]
    public static partial void Stopped(ILogger logger, string endpoint);

    // 11xx mounts
    [LoggerMessage(1100, LogLevel.Warning, "Mount into {TargetPath} refused ({Code}): {Reason}")]
    public static partial void MountRefused(ILogger logger, string targetPath, string code, string reason);

    // 12xx ScaiVault reads of mounts
    [LoggerMessage(1200, LogLevel.Information, "Mounted {Objects} object(s) for pod {Namespace}/{PodName} (uid {PodUid}) with {Reads} ScaiVault read(s), {PayloadBytes} bytes, in {ElapsedMs:0} ms")]
    public static partial void MountServed(ILogger logger, string @namespace, string podName, string podUid, int objects, int reads, int payloadBytes, double elapsedMs);

    [LoggerMessage(1201, LogLevel.Warning, "Mount for pod {Namespace}/{PodName} (uid {PodUid}) failed with {Code} after {ElapsedMs:0} ms: {Reason}")]
    public static partial void MountFailed(ILogger logger, string @namespace, string podName, string podUid, string code, string reason, double elapsedMs);

    [LoggerMessage(1202, LogLevel.Warning, "Mount payload for pod {Namespace}/{PodName} (uid {PodUid}) is {PayloadBytes} bytes, above 1 MiB: the driver serves it but warns that syncing it as a Kubernetes Secret may fail")]
    public static partial void LargePayload(ILogger logger, string @namespace, string podName, string podUid, int payloadBytes);
}
