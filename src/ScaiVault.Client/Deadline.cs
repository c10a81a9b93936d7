namespace ScaiVault.Client;

/// <summary>
/// A moment on a <see cref="TimeProvider"/>'s monotonic clock (<see cref="TimeProvider.GetTimestamp"/>) by which
/// something must be done: a call's budget, a token's freshness, a lease's expiry. Monotonic, so wall-clock jumps
/// never move it; <see cref="None"/> is "never". It lives in ScaiVault.Client because that is the one assembly both
/// <c>lease-agent</c> and the CSI provider reference, and the client's resilience pipeline is its first consumer
/// (<see cref="ScaiVaultResilience.Deadline"/>).
/// </summary>
/// <param name="Timestamp">The moment, as a <see cref="TimeProvider.GetTimestamp"/> value of the provider it was made with.</param>
public readonly record struct Deadline(long Timestamp)
{
    /// <summary>No deadline: never past, with <see cref="TimeSpan.MaxValue"/> remaining.</summary>
    public static Deadline None { get; } = new(long.MaxValue);

    public bool IsNone => Timestamp == long.MaxValue;

    /// <summary>
    /// <paramref name="budget"/> from now. A negative budget is a deadline already reached; one too long for the
    /// clock (e.g. <see cref="TimeSpan.MaxValue"/>) is <see cref="None"/>.
    /// </summary>
    public static Deadline From(TimeProvider time, TimeSpan budget)
    {
        ArgumentNullException.ThrowIfNull(time);
        var now = time.GetTimestamp();
        var ticks = Math.Max(0, budget.TotalSeconds) * time.TimestampFrequency;

        // A double-to-long cast saturates silently; past the clock's end is simply "never".
        return ticks < long.MaxValue - now ? new(now + (long)ticks) : None;
    }

    /// <summary>
    /// <paramref name="span"/> after <paramref name="start"/> (an earlier <see cref="TimeProvider.GetTimestamp"/>), for
    /// durations a server measured from when a request was sent.
    /// </summary>
    /// <exception cref="OverflowException">The moment does not fit the clock: a deadline that wrapped would be past at once.</exception>
    public static Deadline After(long start, TimeSpan span, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var ticks = span.TotalSeconds * time.TimestampFrequency;
        return ticks is >= long.MinValue and < long.MaxValue
            ? new(checked(start + (long)ticks))
            : throw new OverflowException($"a span of {span.TotalDays:0} days does not fit the clock");
    }

    /// <summary>The time left: negative once past, <see cref="TimeSpan.MaxValue"/> for <see cref="None"/>.</summary>
    public TimeSpan Remaining(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return IsNone ? TimeSpan.MaxValue : time.GetElapsedTime(time.GetTimestamp(), Timestamp);
    }

    public bool IsPast(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return time.GetTimestamp() >= Timestamp;
    }

    /// <summary><paramref name="wait"/>, shortened to the time left (never negative): a wait that must not outlast the deadline.</summary>
    public TimeSpan Cap(TimeSpan wait, TimeProvider time)
    {
        var left = Remaining(time);
        left = left > TimeSpan.Zero ? left : TimeSpan.Zero;
        return wait < left ? wait : left;
    }

    /// <summary>
    /// Until the agent's lease supervisor adopts the type (it still passes raw timestamps): a raw
    /// <see cref="TimeProvider.GetTimestamp"/> value is a deadline. Remove once no caller needs it.
    /// </summary>
    public static implicit operator Deadline(long timestamp) => new(timestamp);

    public static Deadline FromInt64(long timestamp) => new(timestamp);
}
