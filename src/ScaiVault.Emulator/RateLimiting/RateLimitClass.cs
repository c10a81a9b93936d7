namespace ScaiVault.Emulator.RateLimiting;

/// <summary>The contract's per-identity rate-limit classes.</summary>
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
}

/// <summary>Endpoint metadata: requests to it count against the caller's budget of that class.</summary>
internal sealed record RateLimitMetadata(RateLimitClass Class);

internal static class RateLimitExtensions
{
    public static TBuilder WithRateLimit<TBuilder>(this TBuilder builder, RateLimitClass limitClass)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RateLimitMetadata(limitClass));
}
