namespace LeaseAgent.Configuration;

/// <summary>
/// One dynamic credential the agent keeps: what it leases, where that logs in, and where it is published. The
/// single-credential keys (<c>LEASE_*</c>, <c>DB_*</c>, <c>OUTPUT_*</c>) are a list of one
/// (<see cref="AgentOptions.Credentials"/>); a <c>CREDENTIALS</c> list (<see cref="CredentialListParser"/>) is one per line.
/// </summary>
/// <param name="Name">
/// How status, logs and metrics name it: <c>ENGINE/ROLE</c>, or the line's <c>name=</c> so that two credentials of
/// one role can coexist. Unique within the agent.
/// </param>
/// <param name="Lease">The engine and role, and the lease timing.</param>
/// <param name="Database">Where the probe logs in, and what the app is told.</param>
/// <param name="Output">The file, its format and mode; the state directory is the agent's, shared by every credential.</param>
public sealed record CredentialOptions(string Name, LeaseOptions Lease, DatabaseOptions Database, OutputOptions Output)
{
    /// <summary>The name of a credential that was given none: <c>ENGINE/ROLE</c>.</summary>
    public static string DefaultName(LeaseOptions lease) => $"{lease.Engine}/{lease.Role}";
}
