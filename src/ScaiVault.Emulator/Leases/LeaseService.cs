using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ScaiVault.Emulator.Api;
using ScaiVault.Emulator.Auth;
using ScaiVault.Emulator.Dynamic;

namespace ScaiVault.Emulator.Leases;

/// <summary>Generate, look up, renew and revoke leases, and the sweeper's expiry and retry work.</summary>
internal sealed partial class LeaseService(
    LeaseStore leases, EngineStore engines, TargetDatabase target, TimeProvider time, ILogger<LeaseService> logger)
{
    /// <summary>A lease still <c>creating</c> after this long belongs to a generate that died with the emulator.</summary>
    private static readonly TimeSpan AbandonedAfter = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan MaxRetryBackoff = TimeSpan.FromMinutes(1);
    private const int SweepBatch = 100;

    public async Task<(Lease Lease, string Password)> GenerateAsync(
        Caller caller, string engineName, string roleName, string? ttlText, string? clientRef, CancellationToken cancellationToken)
    {
        clientRef = ClientRef.ValidateOptional(clientRef);
        var engine = await engines.GetEngineAsync(engineName, cancellationToken)
            ?? throw ApiException.NotFound(ErrorCodes.EngineNotFound, $"No engine named '{engineName}'.");
        var role = await engines.GetRoleAsync(engine.Name, roleName, cancellationToken)
            ?? throw ApiException.NotFound(ErrorCodes.RoleNotFound, $"Engine '{engineName}' has no role named '{roleName}'.");
        var requested = Duration.ParseOptional(ttlText, "ttl");

        // An engine's max_ttl may have been lowered after the role was made; the smaller limit wins.
        var maxTtl = Min(role.MaxTtl, engine.MaxTtl);
        var ttl = Min(requested ?? role.DefaultTtl, maxTtl);
        var now = time.UtcNowMs();
        var lease = new Lease(
            "dyn_" + RandomNumberGenerator.GetHexString(32, lowercase: true),
            engine.Name,
            role.Name,
            caller.IdentityId,
            CredentialGenerator.Username(role.Name),
            LeaseState.Creating,
            now,
            now + ttl,
            now + maxTtl,
            ClientRef: clientRef);

        // Recorded before the user exists, so that a user created by a generate that never
        // finished (emulator killed) is still found and dropped by the sweeper.
        await leases.InsertAsync(lease, cancellationToken);

        var password = CredentialGenerator.Password();
        var verifier = ScramSha256.CreateVerifier(password);
        var statements = role.CreationStatements.Select(s => StatementTemplate.Render(s, lease.Username, verifier, lease.ExpiresAt)).ToList();
        try
        {
            await target.ExecuteAsync(engine, statements, [verifier], cancellationToken);
        }
        catch (TargetDatabaseException e)
        {
            LogGenerateFailed(logger, engine.Name, role.Name, e.Message);

            // A failed statement rolled the transaction back: certainly no user. After a lost
            // connection that is less certain, so the lease stays "creating" and the sweeper
            // drops the user, if it exists, once the generate counts as abandoned.
            if (e.Failure != TargetFailure.Connection)
            {
                await leases.CompleteCreationAsync(lease.Id, LeaseState.Failed, e.Message, CancellationToken.None);
            }

            throw TargetError($"Generating a credential on engine '{engine.Name}' failed: {e.Message}", e);
        }

        // The user exists now: record that even if the client has gone away meanwhile.
        await leases.CompleteCreationAsync(lease.Id, LeaseState.Active, null, CancellationToken.None);
        LogGenerated(logger, lease.Id, engine.Name, role.Name, lease.Username, caller.IdentityId, (int)ttl.TotalSeconds, clientRef);
        return (lease with { State = LeaseState.Active }, password);
    }

    public async Task<Lease> LookupAsync(Caller caller, string leaseId, CancellationToken cancellationToken)
    {
        var lease = await leases.GetAsync(leaseId, cancellationToken);
        return lease is not null && Visible(caller, lease) && lease.IsLive(time.GetUtcNow())
            ? lease
            : throw LeaseNotFound(leaseId);
    }

    /// <returns>The renewed lease and the instant its new duration counts from.</returns>
    public async Task<(Lease Lease, DateTimeOffset RenewedAt)> RenewAsync(
        Caller caller, string leaseId, string? incrementText, CancellationToken cancellationToken)
    {
        var increment = Duration.ParseOptional(incrementText, "increment");
        await using var locked = await leases.LockAsync(leaseId, skipLocked: false, cancellationToken);
        var now = time.UtcNowMs();
        if (locked is null || !Visible(caller, locked.Lease) || !locked.Lease.IsLive(now))
        {
            throw LeaseNotFound(leaseId);
        }

        var lease = locked.Lease;
        var (engine, role) = await LoadAsync(lease, cancellationToken);
        var expiresAt = Min(now + (increment ?? role.DefaultTtl), lease.MaxExpiresAt);
        var statements = role.RenewStatements.Select(s => StatementTemplate.Render(s, lease.Username, null, expiresAt)).ToList();
        bool userExists;
        try
        {
            userExists = await target.ExecuteIfRoleExistsAsync(engine, lease.Username, statements, cancellationToken);
        }
        catch (TargetDatabaseException e)
        {
            LogRenewFailed(logger, lease.Id, e.Message);
            throw TargetError($"Renewing lease '{lease.Id}' failed: {e.Message}", e);
        }

        if (!userExists)
        {
            // Dropped out of band: the lease is as good as revoked, and the client must get a new one.
            await locked.SaveAsync(
                lease with { State = LeaseState.Revoked, RevokedAt = now, LastError = "The user no longer existed at renewal." },
                CancellationToken.None);
            LogLostAtRenewal(logger, lease.Id, lease.Username);
            throw LeaseNotFound(leaseId);
        }

        var renewed = lease with { ExpiresAt = expiresAt };
        await locked.SaveAsync(renewed, CancellationToken.None);
        var grantedSeconds = now.SecondsUntil(expiresAt);
        LogRenewed(logger, lease.Id, grantedSeconds, expiresAt == lease.MaxExpiresAt);
        return (renewed, now);
    }

    /// <summary>Revokes synchronously; idempotent. Throws 503 when the statements failed (the sweeper retries).</summary>
    public async Task RevokeAsync(Caller caller, string leaseId, CancellationToken cancellationToken)
    {
        // Once started, a revocation is finished even if the client gives up: it only ever helps.
        await using var locked = await leases.LockAsync(leaseId, skipLocked: false, cancellationToken);
        if (locked is null || !Visible(caller, locked.Lease) || locked.Lease.State == LeaseState.Creating)
        {
            throw LeaseNotFound(leaseId);
        }

        if (locked.Lease.IsFinished)
        {
            return;
        }

        if (!await TryRevokeAsync(locked, LeaseState.Revoked, CancellationToken.None))
        {
            throw ApiException.Unavailable(
                "The revocation statements failed; the emulator keeps retrying with backoff.",
                new JsonObject { ["lease_id"] = leaseId, ["state"] = LeaseState.RevokePending.ToText() });
        }
    }

    /// <param name="clientRef">Exact-match filter; null means none (an empty or malformed value is refused, never "no filter").</param>
    public async Task<IReadOnlyList<Lease>> ListAsync(
        Caller caller, string? engine, string? role, string? state, string? clientRef, CancellationToken cancellationToken)
    {
        if (clientRef is not null)
        {
            ClientRef.ValidateFilter(clientRef);
        }

        var all = state switch
        {
            null or "" or "active" => false,
            "all" => true,
            _ => throw ApiException.InvalidRequest("'state' must be 'active' or 'all'."),
        };
        if (all && !caller.IsLeaseAdmin)
        {
            throw ApiException.Forbidden(
                ErrorCodes.InsufficientScope,
                $"Listing leases with state=all needs the '{Scope.DynamicManage}' scope.",
                new JsonObject { ["required_scope"] = Scope.DynamicManage });
        }

        // A non-admin caller only ever sees its own leases, whatever the filters.
        return await leases.ListAsync(
            caller.IsLeaseAdmin ? null : caller.IdentityId, engine, role, clientRef, liveOnly: !all, time.GetUtcNow(), cancellationToken);
    }

    /// <summary>One sweeper round: revokes expired leases, retries failed revocations whose backoff is over, cleans up abandoned generates.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var now = time.UtcNowMs();
        var revoked = 0;
        foreach (var id in await leases.FindDueAsync(now, now - AbandonedAfter, SweepBatch, cancellationToken))
        {
            await using var locked = await leases.LockAsync(id, skipLocked: true, cancellationToken);
            if (locked is null)
            {
                continue;
            }

            // Re-checked under the lock: a renewal may have extended the lease since the query.
            var lease = locked.Lease;
            LeaseState? finalState = lease.State switch
            {
                LeaseState.Active when lease.ExpiresAt <= now => LeaseState.Expired,
                LeaseState.RevokePending when lease.NextRevokeAt <= now => lease.FinalState ?? LeaseState.Expired,
                LeaseState.Creating when lease.IssuedAt <= now - AbandonedAfter => LeaseState.Failed,
                _ => null,
            };
            if (finalState is { } final && await TryRevokeAsync(locked, final, cancellationToken))
            {
                revoked++;
            }
        }

        return revoked;
    }

    private async Task<bool> TryRevokeAsync(LeaseLock locked, LeaseState finalState, CancellationToken cancellationToken)
    {
        var lease = locked.Lease;
        var now = time.UtcNowMs();
        try
        {
            var (engine, role) = await LoadAsync(lease, cancellationToken);
            var statements = role.RevocationStatements.Select(s => StatementTemplate.Render(s, lease.Username, null, lease.ExpiresAt)).ToList();
            var existed = await target.ExecuteIfRoleExistsAsync(engine, lease.Username, statements, cancellationToken);
            await locked.SaveAsync(
                lease with { State = finalState, RevokedAt = now, FinalState = null, NextRevokeAt = null, LastError = null },
                cancellationToken);
            var state = finalState.ToText();
            LogRevoked(logger, lease.Id, lease.Username, state, existed);
            return true;
        }
        catch (Exception e) when (e is TargetDatabaseException or ApiException)
        {
            var attempts = lease.RevokeAttempts + 1;
            var next = now + Backoff(attempts);
            await locked.SaveAsync(
                lease with { State = LeaseState.RevokePending, FinalState = finalState, RevokeAttempts = attempts, NextRevokeAt = next, LastError = e.Message },
                cancellationToken);
            LogRevokeFailed(logger, lease.Id, attempts, next, e.Message);
            return false;
        }
    }

    private async Task<(Engine Engine, Role Role)> LoadAsync(Lease lease, CancellationToken cancellationToken)
    {
        var engine = await engines.GetEngineAsync(lease.Engine, cancellationToken);
        var role = engine is null ? null : await engines.GetRoleAsync(engine.Name, lease.Role, cancellationToken);
        return engine is not null && role is not null
            ? (engine, role)
            : throw ApiException.Internal($"The engine or role of lease '{lease.Id}' no longer exists.");
    }

    /// <summary>1 s, 2 s, 4 s, … up to a minute.</summary>
    internal static TimeSpan Backoff(int attempts) =>
        TimeSpan.FromSeconds(Math.Min(Math.Pow(2, Math.Min(attempts - 1, 16)), MaxRetryBackoff.TotalSeconds));

    private static bool Visible(Caller caller, Lease lease) => caller.IsLeaseAdmin || lease.IdentityId == caller.IdentityId;

    // Expired, revoked, unknown and someone else's all look the same, as the contract asks.
    private static ApiException LeaseNotFound(string leaseId) =>
        ApiException.NotFound(ErrorCodes.LeaseNotFound, $"No active lease '{leaseId}'.");

    private static ApiException TargetError(string message, TargetDatabaseException e) =>
        e.Failure == TargetFailure.Connection ? ApiException.Unavailable(message) : ApiException.Internal(message);

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    [LoggerMessage(EventId = 500, Level = LogLevel.Information,
        Message = "Lease {LeaseId} generated on {Engine}/{Role}: user {Username} for {Identity}, {TtlSeconds} s, client_ref {ClientRef}")]
    private static partial void LogGenerated(
        ILogger logger, string leaseId, string engine, string role, string username, string identity, int ttlSeconds, string? clientRef);

    [LoggerMessage(EventId = 501, Level = LogLevel.Warning, Message = "Generate on {Engine}/{Role} failed: {Reason}")]
    private static partial void LogGenerateFailed(ILogger logger, string engine, string role, string reason);

    [LoggerMessage(EventId = 502, Level = LogLevel.Information, Message = "Lease {LeaseId} renewed for {Seconds} s (capped: {Capped})")]
    private static partial void LogRenewed(ILogger logger, string leaseId, int seconds, bool capped);

    [LoggerMessage(EventId = 503, Level = LogLevel.Warning, Message = "Renewal of lease {LeaseId} failed: {Reason}")]
    private static partial void LogRenewFailed(ILogger logger, string leaseId, string reason);

    [LoggerMessage(EventId = 506, Level = LogLevel.Warning, Message = "Lease {LeaseId} lost: user {Username} was dropped outside the emulator")]
    private static partial void LogLostAtRenewal(ILogger logger, string leaseId, string username);

    [LoggerMessage(EventId = 504, Level = LogLevel.Information, Message = "Lease {LeaseId} ({Username}) is {State}; user existed: {Existed}")]
    private static partial void LogRevoked(ILogger logger, string leaseId, string username, string state, bool existed);

    [LoggerMessage(EventId = 505, Level = LogLevel.Warning,
        Message = "Revocation of lease {LeaseId} failed (attempt {Attempts}); next try at {NextAttempt:O}: {Reason}")]
    private static partial void LogRevokeFailed(ILogger logger, string leaseId, int attempts, DateTimeOffset nextAttempt, string reason);
}
