using System.Text.Json.Serialization;
using ScaiVault.Emulator.Api;

namespace ScaiVault.Emulator.Leases;

/// <summary><c>POST …/creds/{role}</c> body (optional); <c>client_ref</c> is the client's own reference for the lease.</summary>
internal sealed record GenerateRequest(string? Ttl, string? ClientRef);

/// <summary><c>POST /v1/dynamic/leases/{id}/renew</c> body (optional).</summary>
internal sealed record RenewRequest(string? Increment);

/// <summary>
/// A lease as generate (with <c>data</c>), lookup and renew (without) answer it.
/// <c>lease_duration</c> is the whole seconds from now until <c>expires_at</c>; <c>client_ref</c>
/// is always present (null when the generate sent none).
/// </summary>
internal sealed record LeaseResponse(
    string LeaseId,
    string Engine,
    string Role,
    int LeaseDuration,
    bool Renewable,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset MaxExpiresAt,
    string? ClientRef,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] LeaseCredentials? Data)
{
    public static LeaseResponse From(Lease lease, DateTimeOffset now, LeaseCredentials? data = null) => new(
        lease.Id,
        lease.Engine,
        lease.Role,
        now.SecondsUntil(lease.ExpiresAt),
        lease.Renewable,
        lease.IssuedAt,
        lease.ExpiresAt,
        lease.MaxExpiresAt,
        lease.ClientRef,
        data);
}

internal sealed record LeaseCredentials(string Username, string Password);

/// <summary><c>GET /v1/dynamic/leases</c> answer.</summary>
internal sealed record LeaseListResponse(IReadOnlyList<LeaseListItem> Leases);

/// <summary>A lease in the list: the lookup fields (<c>client_ref</c> included) plus owner, user, state and revocation bookkeeping.</summary>
internal sealed record LeaseListItem(
    string LeaseId,
    string Engine,
    string Role,
    string IdentityId,
    string Username,
    string State,
    int LeaseDuration,
    bool Renewable,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset MaxExpiresAt,
    string? ClientRef,
    DateTimeOffset? RevokedAt,
    int RevokeAttempts,
    DateTimeOffset? NextRevokeAt,
    string? LastError)
{
    public static LeaseListItem From(Lease lease, DateTimeOffset now) => new(
        lease.Id,
        lease.Engine,
        lease.Role,
        lease.IdentityId,
        lease.Username,
        lease.State.ToText(),
        lease.IsLive(now) ? now.SecondsUntil(lease.ExpiresAt) : 0,
        lease.IsLive(now) && lease.Renewable,
        lease.IssuedAt,
        lease.ExpiresAt,
        lease.MaxExpiresAt,
        lease.ClientRef,
        lease.RevokedAt,
        lease.RevokeAttempts,
        lease.NextRevokeAt,
        lease.LastError);
}
