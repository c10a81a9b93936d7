using System.Collections.Concurrent;

namespace LeaseAgent.Tests;

/// <summary>
/// A clock for retry schedules: every timer fires at once (on the thread pool) and moves the clock forward by its
/// due time, so a loop's waits are exact and take no real time, while real I/O (a login, an HTTP call) takes none
/// of this clock's time. Not for timeout timers: they would fire at once too.
/// </summary>
public sealed class JumpingClock : TimeProvider
{
    private readonly ConcurrentQueue<TimeSpan> _waits = new();
    private long _ticks;

    /// <summary>Every wait, in the order the timers were started.</summary>
    public IReadOnlyList<TimeSpan> Waits => [.. _waits];

    public TimeSpan Elapsed => TimeSpan.FromTicks(Interlocked.Read(ref _ticks));

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public override DateTimeOffset GetUtcNow() => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) + Elapsed;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (period != Timeout.InfiniteTimeSpan && period != TimeSpan.Zero)
        {
            throw new NotSupportedException("a jumping clock has no periodic timers");
        }

        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            _waits.Enqueue(dueTime);
            Interlocked.Add(ref _ticks, dueTime.Ticks);
            ThreadPool.QueueUserWorkItem(_ => callback(state));
        }

        return new FiredTimer();
    }

    private sealed class FiredTimer : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => false;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => default;
    }
}
