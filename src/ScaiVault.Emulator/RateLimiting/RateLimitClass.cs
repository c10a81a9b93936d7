namespace ScaiVault.Emulator.RateLimiting;

/// <summary>The rate-limit classes (RATE's categories): each (identity, class) pair has its own window.</summary>
internal enum RateLimitClass
{
    /// <summary>Credential generation, 100/min.</summary>
    Generate,

    /// <summary>Renew and revoke together, 100/min.</summary>
    LeaseOperations,

    /// <summary>Static secret reads, 1000/min.</summary>
    SecretReads,

    /// <summary>Subscription polls, 240/min.</summary>
    SubscriptionPolls,

    /// <summary>Subscription create, get, delete and ack, 20/min (RATE's "Subscription operations"; which calls count is ours).</summary>
    SubscriptionOperations,

    /// <summary>Every route without a class of its own (ours), 10000/min: the rate-limit headers are on every response.</summary>
    Other,
}

/// <summary>Endpoint metadata: requests to it count against the caller's budget of that class.</summary>
internal sealed record RateLimitMetadata(RateLimitClass Class);

internal static class RateLimitExtensions
{
    public static TBuilder WithRateLimit<TBuilder>(this TBuilder builder, RateLimitClass limitClass)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RateLimitMetadata(limitClass));
}
