using ScaiVault.Client;

namespace LeaseAgent.ScaiVault;

/// <summary>The lease endpoints' path templates (<see cref="Configuration.ScaiVaultPaths"/>), filled safely.</summary>
internal static class LeasePaths
{
    /// <summary>
    /// Fills a path template. Escaping leaves <c>.</c> and <c>..</c> as they are, and the URI parser then removes such
    /// segments (<c>/v1/dynamic/leases/../revoke</c> is <c>/v1/dynamic/revoke</c>), so those and lease ids that
    /// ScaiVault cannot have issued are refused (<c>malformed_response</c>) before any request is built.
    /// </summary>
    public static string Expand(string template, string? engine = null, string? role = null, string? leaseId = null)
    {
        if (leaseId is not null && !LeaseIds.IsValid(leaseId))
        {
            throw new ScaiVaultException(null, ErrorCodes.MalformedResponse, "a lease id is not made of letters, digits and _.:- (or is . or ..); not sending it");
        }

        return template
            .Replace("{engine}", Segment(engine), StringComparison.Ordinal)
            .Replace("{role}", Segment(role), StringComparison.Ordinal)
            .Replace("{lease_id}", Segment(leaseId), StringComparison.Ordinal);
    }

    private static string Segment(string? value) => value is "." or ".."
        ? throw new ScaiVaultException(null, ErrorCodes.MalformedResponse, "a path segment is . or ..; not sending it")
        : Uri.EscapeDataString(value ?? string.Empty);
}
