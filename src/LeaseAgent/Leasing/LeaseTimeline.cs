namespace LeaseAgent.Leasing;

/// <summary>
/// A lease's deadlines on the monotonic clock (<see cref="TimeProvider.GetTimestamp"/>), computed from the
/// server's relative durations counted from when the request was sent (the earliest moment the server can have
/// measured them from), so wall-clock skew, jumps and slow round trips never make a lease look longer than it is.
/// </summary>
public sealed record LeaseTimeline(long ExpiresAt, long HardEndAt, TimeSpan GrantedDuration)
{
    public static LeaseTimeline From(long countedFrom, TimeSpan duration, TimeSpan? timeToHardEnd, TimeProvider time) => new(
        countedFrom + ToTicks(duration, time),
        timeToHardEnd is { } end ? countedFrom + ToTicks(end, time) : long.MaxValue,
        duration);

    public TimeSpan ExpiresIn(TimeProvider time) => Until(ExpiresAt, time);

    /// <summary>Time to the lease's hard end (max TTL); <see cref="TimeSpan.MaxValue"/> when the server did not say.</summary>
    public TimeSpan HardEndIn(TimeProvider time) => HardEndAt == long.MaxValue ? TimeSpan.MaxValue : Until(HardEndAt, time);

    private static TimeSpan Until(long timestamp, TimeProvider time) => time.GetElapsedTime(time.GetTimestamp(), timestamp);

    private static long ToTicks(TimeSpan span, TimeProvider time) => (long)(span.TotalSeconds * time.TimestampFrequency);
}
