namespace ScaiVault.Emulator.Leases;

/// <summary>
/// One generated credential. <see cref="FinalState"/> is where a <c>revoke_pending</c> lease
/// goes once its revocation statements succeed (revoked on request, expired by the sweeper).
/// <see cref="ClientRef"/> is the client's own reference sent with the generate (null when none).
/// </summary>
internal sealed record Lease(
    string Id,
    string Engine,
    string Role,
    string IdentityId,
    string Username,
    LeaseState State,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset MaxExpiresAt,
    DateTimeOffset? RevokedAt = null,
    LeaseState? FinalState = null,
    int RevokeAttempts = 0,
    DateTimeOffset? NextRevokeAt = null,
    string? LastError = null,
    string? ClientRef = null)
{
    /// <summary>Usable: active and not past its expiry (the sweeper may not have run yet).</summary>
    public bool IsLive(DateTimeOffset now) => State == LeaseState.Active && ExpiresAt > now;

    /// <summary>Renewal can still extend it.</summary>
    public bool Renewable => ExpiresAt < MaxExpiresAt;

    public bool IsFinished => State is LeaseState.Revoked or LeaseState.Expired or LeaseState.Failed;
}
