namespace LeaseAgent.ScaiVault;

/// <summary>
/// What a lease id from ScaiVault may look like. Ids are put into request paths
/// (<c>/v1/dynamic/leases/{lease_id}/revoke</c>): <c>..</c> would survive escaping and be normalised away, so a
/// hostile server could steer the agent's bearer token at another endpoint. Anything else is a malformed answer.
/// </summary>
public static class LeaseIds
{
    private const int MaxLength = 256;

    public static bool IsValid(string? leaseId) =>
        leaseId is { Length: > 0 and <= MaxLength } and not "." and not ".."
        && leaseId.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or ':' or '-');
}
