using LeaseAgent.Leasing;
using Microsoft.Extensions.Time.Testing;

namespace LeaseAgent.Tests.Leasing;

public sealed class LeaseTimelineTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void From_DurationBeyondTheClock_ThrowsInsteadOfWrapping()
    {
        // 300 years of nanosecond ticks (the monotonic clock's unit on Linux) exceed a long: a deadline that wrapped
        // would lie in the past and expire the lease at once. So does a deadline counted from a late moment.
        var clock = TimeProvider.System;
        Assert.Equal(1_000_000_000, clock.TimestampFrequency);
        Assert.Throws<OverflowException>(() => LeaseTimeline.From(clock.GetTimestamp(), TimeSpan.FromDays(300 * 365), null, clock));
        Assert.Throws<OverflowException>(() => LeaseTimeline.From(clock.GetTimestamp(), TimeSpan.FromHours(1), TimeSpan.FromDays(300 * 365), clock));
        Assert.Throws<OverflowException>(() => LeaseTimeline.From(long.MaxValue - 10, TimeSpan.FromSeconds(1), null, clock));
    }

    [Fact]
    public void From_AYear_CountsFromWhenTheRequestWasSent()
    {
        var timeline = LeaseTimeline.From(_time.GetTimestamp(), TimeSpan.FromDays(366), TimeSpan.FromDays(366), _time);

        Assert.Equal(TimeSpan.FromDays(366), timeline.ExpiresIn(_time));
        Assert.Equal(TimeSpan.FromDays(366), timeline.HardEndIn(_time));
    }
}
