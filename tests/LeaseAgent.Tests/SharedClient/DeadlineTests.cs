using Microsoft.Extensions.Time.Testing;
using ScaiVault.Client;

namespace LeaseAgent.Tests.SharedClient;

public sealed class DeadlineTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void From_CountsTheBudgetFromNow_OnTheMonotonicClock()
    {
        var deadline = Deadline.From(_time, TimeSpan.FromSeconds(10));

        Assert.Equal(TimeSpan.FromSeconds(10), deadline.Remaining(_time));
        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(TimeSpan.FromSeconds(6), deadline.Remaining(_time));
        Assert.False(deadline.IsPast(_time));
    }

    [Fact]
    public void IsPast_FromTheMomentItIsReached_AndRemainingGoesNegative()
    {
        var deadline = Deadline.From(_time, TimeSpan.FromSeconds(1));

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(deadline.IsPast(_time));
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(TimeSpan.FromSeconds(-2), deadline.Remaining(_time));
    }

    [Fact]
    public void From_ANegativeBudget_IsPastAtOnce()
    {
        Assert.True(Deadline.From(_time, TimeSpan.FromSeconds(-5)).IsPast(_time));
    }

    [Fact]
    public void From_ABudgetBeyondTheClock_IsNone_NeverPast()
    {
        var deadline = Deadline.From(_time, TimeSpan.MaxValue);

        Assert.Equal(Deadline.None, deadline);
        Assert.True(deadline.IsNone);
        _time.Advance(TimeSpan.FromDays(3650));
        Assert.False(deadline.IsPast(_time));
        Assert.Equal(TimeSpan.MaxValue, deadline.Remaining(_time));
    }

    [Fact]
    public void After_CountsFromAnEarlierTimestamp()
    {
        var sentAt = _time.GetTimestamp();
        _time.Advance(TimeSpan.FromSeconds(3));

        Assert.Equal(TimeSpan.FromSeconds(7), Deadline.After(sentAt, TimeSpan.FromSeconds(10), _time).Remaining(_time));
    }

    [Fact]
    public void After_ASpanBeyondTheClock_Throws_RatherThanWrapIntoThePast()
    {
        Assert.Throws<OverflowException>(() => Deadline.After(_time.GetTimestamp(), TimeSpan.MaxValue, _time));
    }

    [Fact]
    public void Cap_ShortensAWaitToTheTimeLeft_NeverBelowZero()
    {
        var deadline = Deadline.From(_time, TimeSpan.FromSeconds(5));

        Assert.Equal(TimeSpan.FromSeconds(2), deadline.Cap(TimeSpan.FromSeconds(2), _time));
        Assert.Equal(TimeSpan.FromSeconds(5), deadline.Cap(TimeSpan.FromSeconds(9), _time));
        _time.Advance(TimeSpan.FromSeconds(8));
        Assert.Equal(TimeSpan.Zero, deadline.Cap(TimeSpan.FromSeconds(2), _time));
        Assert.Equal(TimeSpan.FromSeconds(2), Deadline.None.Cap(TimeSpan.FromSeconds(2), _time));
    }
}
