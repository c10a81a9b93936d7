using LeaseAgent.Leasing;
using Microsoft.Extensions.Time.Testing;

namespace LeaseAgent.Tests.Leasing;

public sealed class RenewalScheduleTests
{
    [Theory]
    [InlineData(3600, 0, 2400)]
    [InlineData(3600, 1, 2640)]
    [InlineData(3600, -1, 2160)]
    [InlineData(3600, 5, 2640)] // jitter is clamped to ±10 %
    [InlineData(4, 0, 2.6667)]
    public void RenewAfter_IsTwoThirdsWithJitter(double durationSeconds, double jitter, double expectedSeconds) =>
        Assert.Equal(expectedSeconds, RenewalSchedule.RenewAfter(TimeSpan.FromSeconds(durationSeconds), jitter).TotalSeconds, precision: 3);

    [Theory]
    [InlineData(600, 86400, 600)]
    [InlineData(600, 12, 4)]
    [InlineData(0, 3600, 0)]
    public void RotateBefore_IsCappedAtAThirdOfTheLifetime(double configured, double lifetime, double expected) =>
        Assert.Equal(TimeSpan.FromSeconds(expected), RenewalSchedule.RotateBefore(TimeSpan.FromSeconds(configured), TimeSpan.FromSeconds(lifetime)));

    [Fact]
    public void RotateAfter_NeverNegative_AndUnknownHardEndNeverRotates()
    {
        Assert.Equal(TimeSpan.FromSeconds(8), RenewalSchedule.RotateAfter(TimeSpan.FromSeconds(12), TimeSpan.FromSeconds(4)));
        Assert.Equal(TimeSpan.Zero, RenewalSchedule.RotateAfter(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)));
        Assert.Equal(TimeSpan.MaxValue, RenewalSchedule.RotateAfter(TimeSpan.MaxValue, TimeSpan.FromSeconds(4)));
    }

    [Theory]
    [InlineData(3600, 3600, null, false)]
    [InlineData(3600, 3599.5, null, false)] // rounding is not a cap
    [InlineData(3600, 1200, null, true)]
    [InlineData(4, 4, 4.0, true)] // expires exactly at the hard end
    [InlineData(4, 4, 8.0, false)]
    public void IsCapped_DetectsTruncatedRenewals(double requested, double granted, double? hardEnd, bool capped) =>
        Assert.Equal(capped, RenewalSchedule.IsCapped(TimeSpan.FromSeconds(requested), TimeSpan.FromSeconds(granted), hardEnd is { } h ? TimeSpan.FromSeconds(h) : null));

    [Fact]
    public void RetryAfter_GrowsExponentially_ButNeverPastExpiry()
    {
        var expiresIn = TimeSpan.FromSeconds(12);
        var previous = TimeSpan.Zero;
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var ceiling = RenewalSchedule.RetryAfter(attempt, expiresIn, random: 1.0);
            Assert.True(ceiling >= previous, "the ceiling never shrinks");
            Assert.True(ceiling < expiresIn - TimeSpan.FromMilliseconds(999), $"attempt {attempt} lands after expiry margin: {ceiling}");
            previous = ceiling;
        }

        Assert.Equal(TimeSpan.FromMilliseconds(250), RenewalSchedule.RetryAfter(0, TimeSpan.FromHours(1), random: 1.0));
        Assert.Equal(TimeSpan.FromMilliseconds(125), RenewalSchedule.RetryAfter(0, TimeSpan.FromHours(1), random: 0.5));
        Assert.Equal(TimeSpan.FromSeconds(30), RenewalSchedule.RetryAfter(30, TimeSpan.FromHours(1), random: 1.0));
        Assert.Equal(TimeSpan.Zero, RenewalSchedule.RetryAfter(3, TimeSpan.Zero, random: 1.0));
    }

    [Fact]
    public void Timeline_CountsDownOnTheMonotonicClock()
    {
        var time = new FakeTimeProvider();
        var timeline = LeaseTimeline.From(time.GetTimestamp(), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(12), time);

        time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(TimeSpan.FromSeconds(1), timeline.ExpiresIn(time));
        Assert.Equal(TimeSpan.FromSeconds(9), timeline.HardEndIn(time));

        var unknownEnd = LeaseTimeline.From(time.GetTimestamp(), TimeSpan.FromSeconds(4), null, time);
        Assert.Equal(TimeSpan.MaxValue, unknownEnd.HardEndIn(time));
    }
}
