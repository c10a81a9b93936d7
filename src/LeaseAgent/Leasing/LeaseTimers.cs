namespace LeaseAgent.Leasing;

/// <summary>
/// Every timer of the supervisor (per-lease timers, the acquisition backoff, intent look-ups, the revoke delay),
/// keyed by what it is for. A timer only posts <see cref="TimerFired"/> with its key and a sequence number; setting
/// or cancelling a key makes the event of the timer it replaces stale, and <see cref="Accept"/> refuses it, so a timer
/// that fired just before it was cancelled never acts. Like YARP's <c>EntityActionScheduler</c>, without the loop.
/// </summary>
public sealed class LeaseTimers(TimeProvider time, Action<TimerFired> post) : IDisposable
{
    private readonly Dictionary<TimerKey, (long Sequence, ITimer Timer)> _timers = [];
    private long _sequence;

    /// <summary>(Re)sets the timer for <paramref name="key"/>; <see cref="TimeSpan.MaxValue"/> only cancels it.</summary>
    public void Set(TimerKey key, TimeSpan due)
    {
        Cancel(key);
        if (due == TimeSpan.MaxValue)
        {
            return;
        }

        var sequence = ++_sequence;
        _timers[key] = (sequence, time.CreateTimer(_ => post(new TimerFired(key, sequence)), null, Clamp(due), Timeout.InfiniteTimeSpan));
    }

    public bool IsSet(TimerKey key) => _timers.ContainsKey(key);

    public void Cancel(TimerKey key)
    {
        if (_timers.Remove(key, out var entry))
        {
            entry.Timer.Dispose();
        }
    }

    /// <summary>Cancels every timer of one lease (by its <see cref="Lease.Serial"/>).</summary>
    public void CancelLease(int serial)
    {
        foreach (var key in _timers.Keys.Where(k => k is LeaseTimerKey l && l.Lease == serial).ToList())
        {
            Cancel(key);
        }
    }

    public void CancelAll()
    {
        foreach (var (_, timer) in _timers.Values)
        {
            timer.Dispose();
        }

        _timers.Clear();
    }

    /// <summary>Whether <paramref name="fired"/> comes from the timer now set for its key; if so, that timer is done.</summary>
    public bool Accept(TimerFired fired)
    {
        if (!_timers.TryGetValue(fired.Key, out var entry) || entry.Sequence != fired.Sequence)
        {
            return false;
        }

        _timers.Remove(fired.Key);
        entry.Timer.Dispose();
        return true;
    }

    public void Dispose() => CancelAll();

    private static TimeSpan Clamp(TimeSpan due)
    {
        var max = TimeSpan.FromMilliseconds(uint.MaxValue - 2);
        return due < TimeSpan.Zero ? TimeSpan.Zero : due > max ? max : due;
    }
}

/// <summary>What a timer is for.</summary>
public abstract record TimerKey;

/// <summary>One of a lease's own timers; <paramref name="Lease"/> is its <see cref="Lease.Serial"/>.</summary>
public sealed record LeaseTimerKey(int Lease, LeaseTimer Timer) : TimerKey;

/// <summary>The backoff after a failed acquisition (or a lease lost soon after publication).</summary>
public sealed record AcquireBackoff : TimerKey
{
    public static AcquireBackoff Key { get; } = new();
}

/// <summary><c>REVOKE_DELAY</c> after the stop was requested: time to drain and revoke.</summary>
public sealed record RevokeDelayOver : TimerKey
{
    public static RevokeDelayOver Key { get; } = new();
}

/// <summary>The next look-up of a doubtful generate's reference.</summary>
public sealed record IntentLookupTimer(JournalIntent Intent) : TimerKey;
