namespace ScaiVault.Emulator.Leases;

/// <summary>
/// A lease's life in the emulator:
/// <c>creating → active → revoked | expired</c>, with <c>revoke_pending</c> between them when
/// the revocation statements failed and the sweeper retries with backoff, and
/// <c>creating → failed</c> when the creation statements failed (or the emulator died mid-generate).
/// </summary>
internal enum LeaseState
{
    Creating,
    Active,
    RevokePending,
    Revoked,
    Expired,
    Failed,
}

internal static class LeaseStateNames
{
    public static string ToText(this LeaseState state) => state switch
    {
        LeaseState.Creating => "creating",
        LeaseState.Active => "active",
        LeaseState.RevokePending => "revoke_pending",
        LeaseState.Revoked => "revoked",
        LeaseState.Expired => "expired",
        _ => "failed",
    };

    public static LeaseState Parse(string text) => text switch
    {
        "creating" => LeaseState.Creating,
        "active" => LeaseState.Active,
        "revoke_pending" => LeaseState.RevokePending,
        "revoked" => LeaseState.Revoked,
        "expired" => LeaseState.Expired,
        _ => LeaseState.Failed,
    };
}
