using System.Net;
using LeaseAgent.ScaiVault;
using Microsoft.Extensions.Time.Testing;
using Polly;
using ScaiVault.Client;

namespace LeaseAgent.Tests.ScaiVault;

public sealed class ScaiVaultResilienceTests
{
    private readonly FakeTimeProvider _time = new();

    private ResilienceContext ContextWithDeadline(TimeSpan left)
    {
        var context = ResilienceContextPool.Shared.Get();
        context.Properties.Set(ScaiVaultResilience.Deadline, Deadline.From(_time, left));
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
    public void NextDelay_HonoursAShortRetryAfter()
    {
        var delay = ScaiVaultResilience.NextDelay(RateLimited(1.5), 0, ContextWithDeadline(TimeSpan.FromMinutes(5)), _time);
        Assert.InRange(delay, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(1.75));
    }

    [Fact]
    public void ShouldRetry_LeavesALongRetryAfter_OrOneBeyondTheDeadline_ToTheCaller()
    {
        var farDeadline = ContextWithDeadline(TimeSpan.FromMinutes(5));
        Assert.True(ScaiVaultResilience.ShouldRetry(RateLimited(1), 0, farDeadline, _time));
        Assert.False(ScaiVaultResilience.ShouldRetry(RateLimited(7), 0, farDeadline, _time)); // would meet the total timeout

        var nearDeadline = ContextWithDeadline(TimeSpan.FromSeconds(0.5));
        Assert.False(ScaiVaultResilience.ShouldRetry(RateLimited(1), 0, nearDeadline, _time)); // would retry early
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(1, 20)]
    [InlineData(2, 40)]
    [InlineData(8, 60)] // never more than the rate limit's window
    public void BackoffAfterFailure_NeverComesBackBeforeRetryAfter_AndSpreadsMoreWithEveryRefusal(int attempt, double spreadSeconds)
    {
        var random = new Random(7);
        var delays = Enumerable.Range(0, 500).Select(_ => ScaiVaultResilience.BackoffAfterFailure(attempt, RateLimited(60), random).TotalSeconds).ToList();

        Assert.All(delays, d => Assert.InRange(d, 60, 60 + spreadSeconds));
        Assert.True(delays.Max() - delays.Min() > spreadSeconds * 0.8, $"a fleet refused together comes back spread over {delays.Max() - delays.Min():0.0} s only");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(10)]
    public void BackoffAfterFailure_ADayLongRetryAfter_IsCappedAtFiveMinutesPlusTheSpread(int attempt)
    {
        var random = new Random(7);
        var cap = ScaiVaultResilience.LongestRetryAfter;

        Assert.Equal(TimeSpan.FromMinutes(5), cap);
        Assert.All(
            Enumerable.Range(0, 200),
            _ => Assert.InRange(ScaiVaultResilience.BackoffAfterFailure(attempt, RateLimited(TimeSpan.FromDays(1).TotalSeconds), random), cap, cap + ScaiVaultResilience.RateLimitWindow));
    }

    [Fact]
    public void ShouldRetry_ADayLongRetryAfter_IsNotWaitedInsideThePipeline() =>
        Assert.False(ScaiVaultResilience.ShouldRetry(RateLimited(TimeSpan.FromDays(1).TotalSeconds), 0, ContextWithDeadline(TimeSpan.FromDays(2)), _time));

    [Fact]
    public void BackoffAfterFailure_WithoutRetryAfter_IsFullJitterFromOneSecondUpTo30()
    {
        var random = new Random(7);
        Assert.All(Enumerable.Range(0, 200), _ => Assert.InRange(ScaiVaultResilience.BackoffAfterFailure(0, null, random), TimeSpan.Zero, TimeSpan.FromSeconds(1)));
        Assert.All(Enumerable.Range(0, 200), _ => Assert.InRange(ScaiVaultResilience.BackoffAfterFailure(9, Error(ErrorCodes.ServiceUnavailable, HttpStatusCode.ServiceUnavailable), random), TimeSpan.Zero, TimeSpan.FromSeconds(30)));
    }

    private static ScaiVaultException RateLimited(double retryAfterSeconds) =>
        Error(ErrorCodes.RateLimited, HttpStatusCode.TooManyRequests, TimeSpan.FromSeconds(retryAfterSeconds));

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
