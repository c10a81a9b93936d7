using System.Net;
using ScaiVault.Client;

namespace LeaseAgent.Tests.SharedClient;

/// <summary>Pins every profile's delays, so that a changed formula fails here rather than in a fleet.</summary>
public sealed class BackoffTests
{
    [Theory]
    // profile, attempt, ceiling in ms (what a draw just below 1 gives; a draw of 0.5 gives half)
    [InlineData(nameof(Backoff.ScaiVaultOperation), 0, 1_000)]
    [InlineData(nameof(Backoff.ScaiVaultOperation), 1, 2_000)]
    [InlineData(nameof(Backoff.ScaiVaultOperation), 4, 16_000)]
    [InlineData(nameof(Backoff.ScaiVaultOperation), 5, 30_000)]
    [InlineData(nameof(Backoff.ScaiVaultOperation), 1_000, 30_000)]
    [InlineData(nameof(Backoff.RateLimitSpread), 0, 10_000)]
    [InlineData(nameof(Backoff.RateLimitSpread), 2, 40_000)]
    [InlineData(nameof(Backoff.RateLimitSpread), 3, 60_000)]
    [InlineData(nameof(Backoff.WithinCall), 0, 200)]
    [InlineData(nameof(Backoff.WithinCall), 3, 1_600)]
    [InlineData(nameof(Backoff.WithinCall), 6, 10_000)]
    [InlineData(nameof(Backoff.AfterShortRetryAfter), 0, 250)]
    [InlineData(nameof(Backoff.AfterShortRetryAfter), 5, 250)]
    [InlineData(nameof(Backoff.Renewal), 0, 250)]
    [InlineData(nameof(Backoff.Renewal), 4, 4_000)]
    [InlineData(nameof(Backoff.Renewal), 7, 30_000)]
    public void FullJitterProfiles_DrawUniformlyBelowTheirCeiling(string name, int attempt, double ceilingMs)
    {
        var profile = Profile(name);

        Assert.True(profile.FullJitter);
        Assert.Equal(TimeSpan.FromMilliseconds(ceilingMs), profile.Ceiling(attempt));
        Assert.Equal(TimeSpan.FromMilliseconds(ceilingMs / 2), profile.Delay(attempt, new FixedRandom(0.5)));
        Assert.Equal(TimeSpan.Zero, profile.Delay(attempt, new FixedRandom(0)));
    }

    [Fact]
    public void ProbeLogin_DoublesFrom100msTo2s_WithoutJitter()
    {
        var delays = Enumerable.Range(0, 7).Select(a => Backoff.ProbeLogin.Delay(a, new FixedRandom(0.5)).TotalMilliseconds);

        Assert.Equal([100, 200, 400, 800, 1_600, 2_000, 2_000], delays);
    }

    [Fact]
    public void BackoffAfterFailure_WithoutRetryAfter_IsTheScaiVaultOperationProfile()
    {
        Assert.Equal(TimeSpan.FromSeconds(4), ScaiVaultResilience.BackoffAfterFailure(3, error: null, new FixedRandom(0.5)));
    }

    [Fact]
    public void BackoffAfterFailure_WithRetryAfter_WaitsItOut_PlusTheRateLimitSpread()
    {
        var refused = new ScaiVaultException(HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited, "rate limited", retryAfter: TimeSpan.FromSeconds(30));

        Assert.Equal(TimeSpan.FromSeconds(30 + 10), ScaiVaultResilience.BackoffAfterFailure(1, refused, new FixedRandom(0.5)));
    }

    private static Backoff Profile(string name) => name switch
    {
        nameof(Backoff.ScaiVaultOperation) => Backoff.ScaiVaultOperation,
        nameof(Backoff.RateLimitSpread) => Backoff.RateLimitSpread,
        nameof(Backoff.WithinCall) => Backoff.WithinCall,
        nameof(Backoff.AfterShortRetryAfter) => Backoff.AfterShortRetryAfter,
        nameof(Backoff.Renewal) => Backoff.Renewal,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    /// <summary>A random source that always draws the same value.</summary>
    private sealed class FixedRandom(double value) : Random
    {
        public override double NextDouble() => value;

        protected override double Sample() => value;
    }
}
