namespace LeaseAgent.ScaiVault;

/// <summary>
/// What ScaiVault said about a lease: on generate (with the credential), on renew and on lookup.
/// Durations are relative so that the agent never has to trust its own wall clock against the server's.
/// </summary>
public sealed record LeaseGrant
{
    public required string LeaseId { get; init; }

    /// <summary>How long the lease is valid from the moment of the answer.</summary>
    public required TimeSpan Duration { get; init; }

    /// <summary>
    /// How long from the moment of the answer until the lease's hard end (max TTL); null when the
    /// server did not say, in which case the agent treats <see cref="Duration"/> as the hard end.
    /// </summary>
    public TimeSpan? TimeToHardEnd { get; init; }

    public bool Renewable { get; init; } = true;

    public DateTimeOffset? IssuedAt { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>
    /// When the request that produced this answer was sent (<see cref="TimeProvider.GetTimestamp"/>): the agent counts
    /// the durations from there, never from the arrival. Null for answers not read from the network.
    /// </summary>
    public long? SentAt { get; init; }

    /// <summary>
    /// A generate only: an earlier attempt timed out or broke off after sending, so the server may hold another lease
    /// under the same <c>client_ref</c> that nobody will ever be told about.
    /// </summary>
    public bool MayHaveTwins { get; init; }

    /// <summary>Present on generate only.</summary>
    public DatabaseCredential? Credential { get; init; }
}
