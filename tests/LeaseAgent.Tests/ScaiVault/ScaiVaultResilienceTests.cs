using System.Net;
using LeaseAgent.ScaiVault;
using Microsoft.Extensions.Time.Testing;
using Polly;

namespace LeaseAgent.Tests.ScaiVault;

public sealed class ScaiVaultResilienceTests
{
    private readonly FakeTimeProvider _time = new();

    private ResilienceContext ContextWithDeadline(TimeSpan left)
    {
        var context = ResilienceContextPool.Shared.Get();
        context.Properties.Set(ScaiVaultResilience.Deadline, _time.GetTimestamp() + (long)(left.TotalSeconds * _time.TimestampFrequency));
        return context;
    }

    private static ScaiVaultException Error(string code, HttpStatusCode status, TimeSpan? retryAfter = null) => new(status, code, code, retryAfter: retryAfter);

    [Theory]
    [InlineData(ErrorCodes.RateLimited, HttpStatusCode.TooManyRequests, true)]
    [InlineData(ErrorCodes.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, true)]
    [InlineData(ErrorCodes.ConnectionFailed, (HttpStatusCode)0, true)]
    [InlineData(ErrorCodes.Timeout, (HttpStatusCode)0, true)]
    [InlineData(ErrorCodes.LeaseNotFound, HttpStatusCode.NotFound, false)]
    [InlineData("access_denied", HttpStatusCode.Forbidden, false)]
    [InlineData("invalid_request", HttpStatusCode.BadRequest, false)]
    [InlineData(ErrorCodes.TokenExpired, HttpStatusCode.Unauthorized, false)]
    public void ShouldRetry_FollowsTheContract(string code, HttpStatusCode status, bool expected) =>
        Assert.Equal(expected, ScaiVaultResilience.ShouldRetry(Error(code, status), 0, ContextWithDeadline(TimeSpan.FromMinutes(1)), _time));

    [Fact]
    public void ShouldRetry_InternalError_OnlyOnce()
    {
        var context = ContextWithDeadline(TimeSpan.FromMinutes(1));
        var error = Error(ErrorCodes.InternalError, HttpStatusCode.InternalServerError);

        Assert.True(ScaiVaultResilience.ShouldRetry(error, 0, context, _time));
        Assert.False(ScaiVaultResilience.ShouldRetry(error, 1, context, _time));
    }

    [Fact]
    public void ShouldRetry_PastTheDeadline_GivesUp()
    {
        var context = ContextWithDeadline(TimeSpan.FromSeconds(1));
        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.False(ScaiVaultResilience.ShouldRetry(Error(ErrorCodes.ServiceUnavailable, HttpStatusCode.ServiceUnavailable), 0, context, _time));
    }

    [Fact]
    public void NextDelay_HonoursRetryAfter_ButNotPastTheDeadline()
    {
        var farDeadline = ContextWithDeadline(TimeSpan.FromMinutes(5));
        var delay = ScaiVaultResilience.NextDelay(Error(ErrorCodes.RateLimited, HttpStatusCode.TooManyRequests, TimeSpan.FromSeconds(7)), 0, farDeadline, _time);
        Assert.InRange(delay, TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(7.25));

        var nearDeadline = ContextWithDeadline(TimeSpan.FromSeconds(2));
        var capped = ScaiVaultResilience.NextDelay(Error(ErrorCodes.RateLimited, HttpStatusCode.TooManyRequests, TimeSpan.FromSeconds(7)), 0, nearDeadline, _time);
        Assert.Equal(TimeSpan.FromSeconds(2), capped);
    }

    [Fact]
    public void FullJitter_StaysWithinTheExponentialCeiling()
    {
        var random = new Random(42);
        for (var attempt = 0; attempt < 12; attempt++)
        {
            var ceiling = Math.Min(10_000, 200 * Math.Pow(2, attempt));
            for (var i = 0; i < 100; i++)
            {
                var delay = ScaiVaultResilience.FullJitter(attempt, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), random);
                Assert.InRange(delay.TotalMilliseconds, 0, ceiling);
            }
        }
    }

    [Theory]
    [InlineData(3600, 3000)]
    [InlineData(600, 540)]
    [InlineData(7200, 3000)]
    [InlineData(100, 50)] // too short for the 60 s margin: half of it
    [InlineData(60, 30)]
    public void TokenCacheTime_IsExpiresInMinus60s_AtMost50Minutes(double expiresIn, double expected) =>
        Assert.Equal(TimeSpan.FromSeconds(expected), WorkloadTokenExchange.CacheTime(TimeSpan.FromSeconds(expiresIn)));
}
