using LeaseAgent.Leasing;
using Microsoft.Extensions.Time.Testing;

namespace LeaseAgent.Tests.Leasing;

public sealed class LeaseTimersTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly List<TimerFired> _fired = [];
    private readonly LeaseTimers _timers;
    private const int Lease = 1;

    public LeaseTimersTests()
    {
        _timers = new LeaseTimers(_time, _fired.Add);
    }

    public void Dispose() => _timers.Dispose();

    [Fact]
    public void Accept_TheEventOfTheTimerNowSet_OnceOnly()
    {
        var key = new LeaseTimerKey(Lease, LeaseTimer.Renew);
        _timers.Set(key, TimeSpan.FromSeconds(10));

        _time.Advance(TimeSpan.FromSeconds(10));

        var fired = Assert.Single(_fired);
        Assert.Equal(key, fired.Key);
        Assert.True(_timers.Accept(fired));
        Assert.False(_timers.IsSet(key));
        Assert.False(_timers.Accept(fired));
    }

    [Fact]
    public void Accept_AnEventFromATimerSetAgainSinceItFired_IsRefused()
    {
        var key = new LeaseTimerKey(Lease, LeaseTimer.Renew);
        _timers.Set(key, TimeSpan.FromSeconds(1));
        _time.Advance(TimeSpan.FromSeconds(1));
        var stale = Assert.Single(_fired);

        // The loop had not handled the event yet when it set the timer again (a renewal answer came first, say).
        _timers.Set(key, TimeSpan.FromSeconds(30));

        Assert.False(_timers.Accept(stale));
        Assert.True(_timers.IsSet(key));
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.True(_timers.Accept(_fired[^1]));
    }

    [Fact]
    public void Accept_AnEventFromACancelledTimer_IsRefused()
    {
        var renew = new LeaseTimerKey(Lease, LeaseTimer.Renew);
        var expiry = new LeaseTimerKey(Lease, LeaseTimer.Expiry);
        _timers.Set(renew, TimeSpan.FromSeconds(1));
        _timers.Set(expiry, TimeSpan.FromSeconds(1));
        _timers.Set(AcquireBackoff.Key, TimeSpan.FromSeconds(1));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(3, _fired.Count);

        _timers.CancelLease(Lease);

        Assert.All(_fired.Where(f => f.Key is LeaseTimerKey), f => Assert.False(_timers.Accept(f)));
        Assert.True(_timers.Accept(_fired.Single(f => f.Key is AcquireBackoff)));
    }

    [Fact]
    public void Set_Never_OnlyCancels()
    {
        var key = new IntentLookupTimer(new JournalIntent("la-1", 1));
        _timers.Set(key, TimeSpan.FromSeconds(1));

        _timers.Set(key, TimeSpan.MaxValue);

        Assert.False(_timers.IsSet(key));
        _time.Advance(TimeSpan.FromDays(1));
        Assert.Empty(_fired);
    }
}
