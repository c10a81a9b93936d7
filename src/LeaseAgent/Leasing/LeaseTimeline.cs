namespace LeaseAgent.Leasing;

/// <summary>
/// A lease's deadlines on the monotonic clock (<see cref="TimeProvider.GetTimestamp"/>), computed from the
/// server's relative durations counted from when the request was sent (the earliest moment the server can have
/// measured them from), so wall-clock skew, jumps and slow round trips never make a lease look longer than it is.
/// </summary>
public sealed record LeaseTimeline(long ExpiresAt, long HardEndAt, TimeSpan GrantedDuration)
{
    /// <exception cref="OverflowException">A duration so long that its deadline does not fit the clock (the parser refuses those).</exception>
    public static LeaseTimeline From(long countedFrom, TimeSpan duration, TimeSpan? timeToHardEnd, TimeProvider time) => new(
        checked(countedFrom + ToTicks(duration, time)),
        timeToHardEnd is { } end ? checked(countedFrom + ToTicks(end, time)) : long.MaxValue,
        duration);

    public TimeSpan ExpiresIn(TimeProvider time) => Until(ExpiresAt, time);

    /// <summary>Time to the lease's hard end (max TTL); <see cref="TimeSpan.MaxValue"/> when the server did not say.</summary>
    public TimeSpan HardEndIn(TimeProvider time) => HardEndAt == long.MaxValue ? TimeSpan.MaxValue : Until(HardEndAt, time);

    private static TimeSpan Until(long timestamp, TimeProvider time) => time.GetElapsedTime(time.GetTimestamp(), timestamp);

    // A double-to-long cast saturates silently above 2^63; a deadline that wrapped would expire the lease at once.
    private static long ToTicks(TimeSpan span, TimeProvider time)
    {
        var ticks = span.TotalSeconds * time.TimestampFrequency;
        return ticks is >= long.MinValue and < long.MaxValue ? (long)ticks : throw new OverflowException($"a lease duration of {span.TotalDays:0} days does not fit the clock");
    }
}
