using Microsoft.Extensions.Logging;

namespace LeaseAgent.Diagnostics;

/// <summary>
/// Every log event of the agent, source-generated. Event ids are allocated here by feature:
/// 1xx lifecycle, 2xx ScaiVault, 3xx Postgres probe, 4xx publishing, 5xx journal, 6xx reload, 7xx static
/// secrets and init, 8xx the supervised child process, 9xx host. No parameter is ever a
/// password, a token or a connection string.
/// </summary>
internal static partial class Log
{
    // 1xx lifecycle
    [LoggerMessage(100, LogLevel.Information, "Lease generation {Generation} ({LeaseId}): {From} -> {To} on {Trigger}")]
    public static partial void Transition(ILogger logger, int generation, string leaseId, string from, string to, string trigger);

    [LoggerMessage(101, LogLevel.Information, "Published generation {Generation} as user {Username} (lease {LeaseId}): it expires in {ExpiresInSeconds:0} s unless renewed, and {HardEnd}")]
    public static partial void Published(ILogger logger, int generation, string username, string leaseId, double expiresInSeconds, string hardEnd);

    [LoggerMessage(102, LogLevel.Information, "Renewed lease {LeaseId} for {DurationSeconds:0} s: {NextRenewal}, {Rotation}")]
    public static partial void Renewed(ILogger logger, string leaseId, double durationSeconds, string nextRenewal, string rotation);

    [LoggerMessage(103, LogLevel.Information, "Rotating: lease {LeaseId} {Reason}; acquiring generation {Generation}")]
    public static partial void RotationStarted(ILogger logger, string? leaseId, string reason, int generation);

    [LoggerMessage(104, LogLevel.Information, "Lease {LeaseId} retiring; revoking it in {DrainSeconds:0} s")]
    public static partial void Retiring(ILogger logger, string? leaseId, double drainSeconds);

    [LoggerMessage(105, LogLevel.Warning, "Lease {LeaseId} is lost ({Reason}); acquiring a new one")]
    public static partial void LeaseLost(ILogger logger, string? leaseId, string reason);

    [LoggerMessage(106, LogLevel.Warning, "Renewal of lease {LeaseId} failed ({Code}, request {RequestId}): {Message}; retrying in {RetryInSeconds:0.0} s, {ExpiresInSeconds:0.0} s left on the lease")]
    public static partial void RenewFailed(ILogger logger, string? leaseId, string code, string? requestId, string message, double retryInSeconds, double expiresInSeconds);

    [LoggerMessage(107, LogLevel.Warning, "Could not acquire a lease ({Code}, request {RequestId}): {Message}; retrying in {RetryInSeconds:0.0} s")]
    public static partial void AcquireFailed(ILogger logger, string code, string? requestId, string message, double retryInSeconds);

    [LoggerMessage(108, LogLevel.Information, "Revoked lease {LeaseId} (generation {Generation})")]
    public static partial void Revoked(ILogger logger, string? leaseId, int generation);

    [LoggerMessage(109, LogLevel.Error, "Revoking lease {LeaseId} failed ({Code}, request {RequestId}): {Message}")]
    public static partial void RevokeFailed(ILogger logger, string? leaseId, string code, string? requestId, string message);

    [LoggerMessage(110, LogLevel.Warning, "Superseded lease {LeaseId} was still draining when generation {Generation} arrived; revoking it now to keep at most two live leases")]
    public static partial void DrainCutShort(ILogger logger, string? leaseId, int generation);

    [LoggerMessage(111, LogLevel.Error, "Lease {LeaseId} expired without a replacement; the credential file was removed")]
    public static partial void Expired(ILogger logger, string? leaseId);

    [LoggerMessage(112, LogLevel.Information, "Superseded lease {LeaseId}: no session of user {Username} is left; revoking it")]
    public static partial void Drained(ILogger logger, string? leaseId, string username);

    [LoggerMessage(113, LogLevel.Warning, "Superseded lease {LeaseId}: the app still had {Sessions} session(s) as user {Username} at the {DrainSeconds:0} s drain deadline; revoking it now ends them. Make the app reload on the new credential (watch the directory or handle the reload signal)")]
    public static partial void StillInUseAtDrainDeadline(ILogger logger, string? leaseId, string username, int sessions, double drainSeconds);

    [LoggerMessage(114, LogLevel.Information, "Stopping: the credential stays valid for {DelaySeconds:0} s more (REVOKE_DELAY) while the app drains, then it is revoked")]
    public static partial void RevokeDelayed(ILogger logger, double delaySeconds);

    [LoggerMessage(115, LogLevel.Warning, "REVOKE_ON_SHUTDOWN=false: leaving {Count} lease(s) to expire at their TTL; they stay journalled for a restart to adopt")]
    public static partial void NotRevoking(ILogger logger, int count);

    [LoggerMessage(116, LogLevel.Debug, "Could not count the sessions of superseded lease {LeaseId}: {Error}; checking again")]
    public static partial void DrainCheckFailed(ILogger logger, string? leaseId, string error);

    // 6xx reload signal
    [LoggerMessage(600, LogLevel.Information, "Sent SIG{Signal} to pid {Pid}: {Reason}")]
    public static partial void ReloadSignalled(ILogger logger, string signal, int pid, string reason);

    [LoggerMessage(601, LogLevel.Warning, "No process to reload ({Target}) after {Reason}; the app must watch the directory instead")]
    public static partial void ReloadTargetMissing(ILogger logger, string target, string reason);

    [LoggerMessage(602, LogLevel.Warning, "Sending SIG{Signal} to pid {Pid} failed: errno {Errno}")]
    public static partial void ReloadSignalFailed(ILogger logger, string signal, int pid, int errno);

    [LoggerMessage(9100, LogLevel.Warning, "Not sending SIG{Signal} to pid {Pid}: {Reason}")]
    public static partial void ReloadTargetRefused(ILogger logger, string signal, int pid, string reason);

    [LoggerMessage(9101, LogLevel.Information, "Supervisor mode: child pid {Pid} gets no signal when the credential rotates (RELOAD_SIGNAL is not set); it keeps the PG* values it started with")]
    public static partial void ChildNotSignalled(ILogger logger, int pid);

    [LoggerMessage(117, LogLevel.Debug, "Renewal of superseded lease {LeaseId} while it drains: {Outcome}")]
    public static partial void RetiringRenewed(ILogger logger, string? leaseId, string outcome);

    // 5xx journal and adoption
    [LoggerMessage(500, LogLevel.Information, "Journal of a previous agent found: adopting lease {AdoptedLeaseId}, revoking {Revoking} other lease(s), resolving {Intents} unanswered generate(s)")]
    public static partial void JournalRecovered(ILogger logger, string adoptedLeaseId, int revoking, int intents);

    [LoggerMessage(501, LogLevel.Warning, "The journal {Path} could not be read: {Problem}; starting without it")]
    public static partial void JournalUnreadable(ILogger logger, string path, string problem);

    [LoggerMessage(502, LogLevel.Warning, "Could not adopt lease {LeaseId}: {Reason}; revoking it and acquiring a new one")]
    public static partial void AdoptionFailed(ILogger logger, string? leaseId, string reason);

    [LoggerMessage(503, LogLevel.Warning, "Could not look up the lease of unanswered generate {ClientRef}: {Reason}; it stays journalled (it expires at its TTL at the latest)")]
    public static partial void IntentUnresolved(ILogger logger, string clientRef, string reason);

    [LoggerMessage(504, LogLevel.Error, "Writing the journal failed: {Error}")]
    public static partial void JournalWriteFailed(ILogger logger, string error);

    // 2xx ScaiVault (200, the token exchange, is logged by ScaiVault.Client: src/ScaiVault.Client/ClientLog.cs)
    [LoggerMessage(201, LogLevel.Warning, "SCAIVAULT_TOKEN is set: using a static ScaiVault token. This is for development only; use the projected service-account token in production")]
    public static partial void StaticToken(ILogger logger);

    [LoggerMessage(202, LogLevel.Information, "The service-account token file {TokenFile} does not exist: authenticating to ScaiVault as client {ClientId} with client credentials at {TokenUrl}")]
    public static partial void ClientCredentialsSelected(ILogger logger, string tokenFile, string clientId, string tokenUrl);

    [LoggerMessage(203, LogLevel.Information, "Obtained a ScaiVault token for client {ClientId} valid {LifetimeSeconds:0} s; reusing it for {CacheSeconds:0} s")]
    public static partial void ClientCredentialsTokenIssued(ILogger logger, string clientId, double lifetimeSeconds, double cacheSeconds);

    [LoggerMessage(204, LogLevel.Warning, "The ScaiVault token expires at {TokenExpiresAt:O}, before the lease's max TTL ends at {HardEnd:O}: renewals will fail then; use the projected token or client credentials")]
    public static partial void TokenDiesBeforeHardEnd(ILogger logger, DateTimeOffset tokenExpiresAt, DateTimeOffset hardEnd);

    // 3xx probe
    [LoggerMessage(300, LogLevel.Information, "Probe of user {Username} passed after {Attempts} attempt(s)")]
    public static partial void ProbePassed(ILogger logger, string username, int attempts);

    [LoggerMessage(301, LogLevel.Warning, "Probe of user {Username} failed after {Attempts} attempt(s): {Failure}: {Error}; the lease will not be published")]
    public static partial void ProbeFailed(ILogger logger, string username, int attempts, string failure, string? error);

    // 4xx publishing
    [LoggerMessage(400, LogLevel.Error, "Writing {Path} failed: {Error}; the previous file is intact")]
    public static partial void PublishFailed(ILogger logger, string path, string error);

    // 401 (the status file) and 9920-9929 (status subscribers) are logged by Status/StatusReporter.cs.

    [LoggerMessage(710, LogLevel.Information, "Wrote {Files} secret file(s)")]
    public static partial void SecretsWritten(ILogger logger, int files);

    [LoggerMessage(711, LogLevel.Information, "{Files} secret file(s) changed: {FileNames}")]
    public static partial void SecretsChanged(ILogger logger, int files, string fileNames);

    [LoggerMessage(712, LogLevel.Warning, "Reading the secrets failed ({Code}: {Error}); files kept as they are: {Kept}")]
    public static partial void SecretRefreshFailed(ILogger logger, string code, string error, bool kept);

    [LoggerMessage(713, LogLevel.Information, "Subscribed to changes of {Paths} secret path(s) as subscription {SubscriptionId}")]
    public static partial void Subscribed(ILogger logger, string subscriptionId, int paths);

    [LoggerMessage(714, LogLevel.Warning, "Subscription failed ({Code}: {Error}); refreshing on REFRESH_INTERVAL until it works again")]
    public static partial void SubscriptionFailed(ILogger logger, string code, string error);

    [LoggerMessage(9501, LogLevel.Information, "Deleted subscription {SubscriptionId}")]
    public static partial void Unsubscribed(ILogger logger, string subscriptionId);

    [LoggerMessage(9502, LogLevel.Warning, "Could not delete subscription {SubscriptionId} ({Code}: {Error}); trying again before the next subscription: {WillRetry}")]
    public static partial void UnsubscribeFailed(ILogger logger, string subscriptionId, string code, string error, bool willRetry);

    [LoggerMessage(715, LogLevel.Information, "{Count} secret event(s): {Events}")]
    public static partial void EventsReceived(ILogger logger, int count, string events);

    [LoggerMessage(9600, LogLevel.Debug, "Acknowledged {Count} secret event(s) of subscription {SubscriptionId}")]
    public static partial void EventsAcknowledged(ILogger logger, int count, string subscriptionId);

    [LoggerMessage(9601, LogLevel.Warning, "Acknowledging {Count} secret event(s) failed ({Code}: {Error}); kept for the next ack: {Kept}, in {RetryInSeconds:0.0} s")]
    public static partial void AcknowledgeFailed(ILogger logger, int count, string code, string error, bool kept, double retryInSeconds);

    // 8xx the supervised child process (run -- CMD)
    [LoggerMessage(800, LogLevel.Information, "Started {Command} as pid {Pid} with the credential of user {Username} in PG* and DATABASE_URL")]
    public static partial void ChildStarted(ILogger logger, string command, int pid, string username);

    [LoggerMessage(801, LogLevel.Information, "Child pid {Pid} exited with code {ExitCode}; revoking and exiting with its code")]
    public static partial void ChildExited(ILogger logger, int pid, int exitCode);

    [LoggerMessage(802, LogLevel.Error, "Cannot start {Command}: {Error}")]
    public static partial void ChildStartFailed(ILogger logger, string command, string error);

    [LoggerMessage(803, LogLevel.Information, "Forwarding SIG{Signal} to child pid {Pid}")]
    public static partial void ChildStopping(ILogger logger, int pid, string signal);

    [LoggerMessage(804, LogLevel.Warning, "Child pid {Pid} did not exit within {GraceSeconds:0} s; killing it")]
    public static partial void ChildKilled(ILogger logger, int pid, double graceSeconds);

    // 9xx host
    // 7xx static secrets and init
    [LoggerMessage(700, LogLevel.Information, "init: wrote {Files} file(s) (dynamic lease {LeaseId}, not renewed)")]
    public static partial void InitWrote(ILogger logger, int files, string leaseId);

    [LoggerMessage(701, LogLevel.Warning, "init: {What} failed ({Code}); retrying in {RetryInSeconds:0.0} s")]
    public static partial void InitRetrying(ILogger logger, string what, string code, double retryInSeconds);

    [LoggerMessage(702, LogLevel.Error, "init: giving up, no file written: {Reason}")]
    public static partial void InitFailed(ILogger logger, string reason);

    [LoggerMessage(703, LogLevel.Warning, "init: FAIL_OPEN=true, starting the pod without the files: {Reason}")]
    public static partial void InitFailedOpen(ILogger logger, string reason);

    [LoggerMessage(704, LogLevel.Warning, "init: revoking lease {LeaseId} failed ({Error}); it ends at its TTL")]
    public static partial void InitRevokeFailed(ILogger logger, string leaseId, string error);

    [LoggerMessage(900, LogLevel.Information, "lease-agent {Version} starting: engine {Engine}, role {Role}, output {OutputFile} ({Format}), probe {DbHost}:{DbPort}/{DbName}")]
    public static partial void Starting(ILogger logger, string version, string engine, string role, string outputFile, string format, string dbHost, int dbPort, string dbName);

    [LoggerMessage(904, LogLevel.Information, "lease-agent {Version} keeping {Mappings} secret file(s) fresh: every {RefreshSeconds:0} s, subscribed: {Subscribe}")]
    public static partial void StartingSecrets(ILogger logger, string version, int mappings, double refreshSeconds, bool subscribe);

    [LoggerMessage(901, LogLevel.Information, "Shutting down: revoking {Count} lease(s) within {BudgetSeconds:0} s")]
    public static partial void ShuttingDown(ILogger logger, int count, double budgetSeconds);

    [LoggerMessage(902, LogLevel.Information, "Shutdown complete in {ElapsedMs:0} ms: {Revoked} revoked, {Failed} failed; credential file removed: {Removed}")]
    public static partial void ShutdownComplete(ILogger logger, double elapsedMs, int revoked, int failed, bool removed);

    [LoggerMessage(9930, LogLevel.Warning, "The shutdown budget of {BudgetSeconds:0} s is spent with {InFlight} request(s) still unanswered; whatever is not revoked stays journalled")]
    public static partial void ShutdownBudgetSpent(ILogger logger, double budgetSeconds, int inFlight);

    [LoggerMessage(903, LogLevel.Critical, "Unexpected failure in the lease supervisor; stopping")]
    public static partial void SupervisorCrashed(ILogger logger, Exception exception);

    [LoggerMessage(910, LogLevel.Information, "Health endpoint listening on http://{Endpoint}: /healthz, /readyz, /metrics")]
    public static partial void HealthListening(ILogger logger, string endpoint);

    [LoggerMessage(911, LogLevel.Critical, "Cannot listen on HEALTH_ADDRESS {Address} ({SocketError}): {Error}; stopping")]
    public static partial void HealthBindFailed(ILogger logger, string address, string socketError, string error);

    [LoggerMessage(912, LogLevel.Debug, "Health request from {Remote} failed: {Error}")]
    public static partial void HealthRequestFailed(ILogger logger, string? remote, string error);

    [LoggerMessage(913, LogLevel.Warning, "Health endpoint could not accept a connection: {Error}")]
    public static partial void HealthAcceptFailed(ILogger logger, string error);

    [LoggerMessage(9500, LogLevel.Debug, "Health endpoint at its limit of {MaxConnections} connections: closed the oldest from the busiest address, {Remote}")]
    public static partial void HealthConnectionEvicted(ILogger logger, int maxConnections, string? remote);

    [LoggerMessage(914, LogLevel.Error, "Writing the metrics failed")]
    public static partial void MetricsFailed(ILogger logger, Exception exception);

    // 92xx: configuration weaker than the defaults, warned about at start (security hardening).
    [LoggerMessage(9200, LogLevel.Warning, "DB_SSLMODE={SslMode} does not require TLS to {Host}: an impostor can refuse TLS, and the app is told the same sslmode. Use require or verify-full unless {Host} is a loopback proxy")]
    public static partial void DatabaseTlsNotRequired(ILogger logger, string sslMode, string host);

    [LoggerMessage(9201, LogLevel.Warning, "DB_REQUIRE_AUTH={Methods} lets the server at {Host} ask for the password in clear text or as MD5, or let anyone in; the default scram-sha-256 never hands it the password")]
    public static partial void DatabaseAuthWeak(ILogger logger, string methods, string host);

    [LoggerMessage(9202, LogLevel.Warning, "SCAIVAULT_ALLOW_INSECURE_HTTP is set: {Key} is plain http to {Authority}, so tokens, the client secret and minted passwords cross the network unencrypted; for test emulators only")]
    public static partial void InsecureHttpAllowed(ILogger logger, string key, string authority);

    // 93xx lease hygiene: generates that may have minted a lease, leases too short-lived to use
    [LoggerMessage(9300, LogLevel.Error, "ScaiVault's answer to a generate named lease {LeaseId} but cannot be used ({Code}): {Message}; revoking that lease")]
    public static partial void UnusableGrantRevoked(ILogger logger, string leaseId, string code, string message);

    [LoggerMessage(9301, LogLevel.Warning, "The generate with reference {ClientRef} may have minted a lease nobody was told about ({Reason}); looking it up to revoke it")]
    public static partial void IntentLookingUp(ILogger logger, string clientRef, string reason);

    [LoggerMessage(9302, LogLevel.Warning, "Lease {LeaseId} has {LeftSeconds:0.0} s left of its {DurationSeconds:0.0} s: too little to publish; revoking it")]
    public static partial void TooShortToPublish(ILogger logger, string? leaseId, double leftSeconds, double durationSeconds);

    [LoggerMessage(9303, LogLevel.Warning, "Lease {LeaseId} was lost {LivedSeconds:0.0} s after it was published ({Count} in a row); acquiring the next one in {RetryInSeconds:0.0} s rather than at once")]
    public static partial void LostSoonAfterPublishing(ILogger logger, string? leaseId, double livedSeconds, int count, double retryInSeconds);

    [LoggerMessage(9400, LogLevel.Warning, "Removed {Count} stale temp files left by an agent killed while writing them")]
    public static partial void StaleTempFilesRemoved(ILogger logger, int count);

    // 98xx init writing Kubernetes Secrets (secret: targets): names, namespaces and counts only
    [LoggerMessage(9800, LogLevel.Information, "init: created Secret {Namespace}/{Name} with {Keys} key(s)")]
    public static partial void KubernetesSecretCreated(ILogger logger, string @namespace, string name, int keys);

    [LoggerMessage(9801, LogLevel.Information, "init: updated {Keys} key(s) of Secret {Namespace}/{Name}; kept its {Others} other key(s)")]
    public static partial void KubernetesSecretUpdated(ILogger logger, string @namespace, string name, int keys, int others);

    [LoggerMessage(9802, LogLevel.Information, "init: Secret {Namespace}/{Name} already holds these keys and values; not written")]
    public static partial void KubernetesSecretUnchanged(ILogger logger, string @namespace, string name);

    [LoggerMessage(9803, LogLevel.Warning, "init: writing Secret {Namespace}/{Name} failed ({Reason}); reading it again in {RetryInSeconds:0.0} s")]
    public static partial void KubernetesSecretRetrying(ILogger logger, string @namespace, string name, string reason, double retryInSeconds);

    [LoggerMessage(9804, LogLevel.Information, "init: wrote {Secrets} Kubernetes Secret(s) in namespace {Namespace}")]
    public static partial void KubernetesSecretsWritten(ILogger logger, int secrets, string @namespace);

    // 97xx servers that differ from the contract
    [LoggerMessage(9700, LogLevel.Warning, "ScaiVault refused a generate that carried client_ref ({Code}: {Message}) and accepted it without; from now on the agent leaves client_ref out, so a lease whose answer is lost can no longer be found and revoked early and expires at its TTL")]
    public static partial void ClientRefRefused(ILogger logger, string code, string message);
}
