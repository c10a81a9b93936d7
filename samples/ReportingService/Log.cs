namespace ReportingService;

/// <summary>
/// The service's log messages (source-generated, structured). None takes a password or a connection
/// string: a credential is named by its generation, user and lease only.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Credential generation {Generation} loaded (user {Username}, lease {LeaseId}, {Host}:{Port}/{Database}, expires {ExpiresAt:o}) on {Trigger}; new requests use it")]
    public static partial void CredentialLoaded(ILogger logger, int generation, string username, string leaseId, string host, int port, string database, DateTimeOffset? expiresAt, string trigger);

    [LoggerMessage(2, LogLevel.Debug, "Credential generation {Generation} is already loaded ({Trigger})")]
    public static partial void CredentialUnchanged(ILogger logger, int generation, string trigger);

    [LoggerMessage(3, LogLevel.Warning, "Ignored the document in {File} on {Trigger}: {Problem}; the current credential stays")]
    public static partial void CredentialIgnored(ILogger logger, string file, string problem, string trigger);

    [LoggerMessage(4, LogLevel.Warning, "Could not read {File} on {Trigger} ({Error}); the current credential stays")]
    public static partial void CredentialUnreadable(ILogger logger, string file, string error, string trigger);

    [LoggerMessage(5, LogLevel.Information, "No credential published at {File} yet ({Trigger}); /report and /healthz answer 503 until there is")]
    public static partial void CredentialMissing(ILogger logger, string file, string trigger);

    [LoggerMessage(6, LogLevel.Warning, "{File} was removed ({Trigger}): lease-agent lost or revoked generation {Generation}; answering 503 until a new credential is published")]
    public static partial void CredentialRemoved(ILogger logger, string file, int generation, string trigger);

    [LoggerMessage(7, LogLevel.Warning, "Generation went back from {Previous} to {Generation} (a restarted agent without its state?); loading it anyway")]
    public static partial void GenerationWentBack(ILogger logger, int previous, int generation);

    [LoggerMessage(8, LogLevel.Information, "Generation {Generation} (user {Username}) retired; its data source closes when its {InFlight} request(s) in flight finish")]
    public static partial void PoolRetired(ILogger logger, int generation, string username, int inFlight);

    [LoggerMessage(9, LogLevel.Information, "Generation {Generation} closed: no session of user {Username} is left, lease-agent may revoke it")]
    public static partial void PoolClosed(ILogger logger, int generation, string username);

    [LoggerMessage(10, LogLevel.Warning, "Closing generation {Generation} (user {Username}) failed: {Error}")]
    public static partial void PoolCloseFailed(ILogger logger, int generation, string username, string error);

    [LoggerMessage(11, LogLevel.Information, "Watching {Directory} for changes to {FileName}")]
    public static partial void Watching(ILogger logger, string directory, string fileName);

    [LoggerMessage(12, LogLevel.Warning, "Cannot watch {Directory} ({Error}); relying on SIGHUP and the periodic re-check")]
    public static partial void CannotWatch(ILogger logger, string directory, string error);

    [LoggerMessage(13, LogLevel.Warning, "The directory watch failed ({Error}); re-reading the file and watching on")]
    public static partial void WatchError(ILogger logger, string error);

    [LoggerMessage(14, LogLevel.Information, "SIGHUP reloads the credential")]
    public static partial void SighupRegistered(ILogger logger);

    [LoggerMessage(15, LogLevel.Warning, "SIGHUP cannot be handled on this platform; relying on the directory watch and the periodic re-check")]
    public static partial void SighupUnsupported(ILogger logger);

    [LoggerMessage(16, LogLevel.Information, "Received SIGHUP: reloading the credential")]
    public static partial void SighupReceived(ILogger logger);

    [LoggerMessage(17, LogLevel.Information, "Re-checking {File} every {Seconds} s")]
    public static partial void Rechecking(ILogger logger, string file, double seconds);

    [LoggerMessage(18, LogLevel.Warning, "Report query failed as generation {Generation} (user {Username}): {Error} {SqlState}")]
    public static partial void ReportFailed(ILogger logger, int generation, string username, string error, string? sqlState);
}
