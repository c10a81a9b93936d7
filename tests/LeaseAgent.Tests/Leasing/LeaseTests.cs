using LeaseAgent.Leasing;
using LeaseAgent.ScaiVault;
using Microsoft.Extensions.Time.Testing;

namespace LeaseAgent.Tests.Leasing;

public sealed class LeaseTests
{
    private readonly FakeTimeProvider _time = new();

    private static LeaseGrant Grant(int seconds = 60, int? hardEndSeconds = 180) => new()
    {
        LeaseId = "dyn_1",
        Duration = TimeSpan.FromSeconds(seconds),
        TimeToHardEnd = hardEndSeconds is { } h ? TimeSpan.FromSeconds(h) : null,
        Credential = new DatabaseCredential("v_readonly_abc", "secret-password"),
    };

    private Lease ActiveLease()
    {
        var lease = new Lease(1, _time);
        lease.StartGenerating();
        lease.Issue(Grant());
        lease.PassProbe();
        lease.MarkPublished();
        return lease;
    }

    [Fact]
    public void HappyPath_PendingToActive_RecordsGrant()
    {
        var lease = new Lease(3, _time);
        var seen = new List<LeaseState>();
        lease = new Lease(3, _time, (_, t) => seen.Add(t.To));

        lease.StartGenerating();
        lease.Issue(Grant());
        lease.PassProbe();
        lease.MarkPublished();

        Assert.Equal(LeaseState.Active, lease.State);
        Assert.Equal([LeaseState.Generating, LeaseState.Probing, LeaseState.Publishing, LeaseState.Active], seen);
        Assert.Equal("dyn_1", lease.LeaseId);
        Assert.Equal("v_readonly_abc", lease.Credential!.Username);
        Assert.Equal(TimeSpan.FromSeconds(180), lease.Lifetime);
        Assert.True(lease.IsInService);
    }

    [Fact]
    public void Renewing_IsStillInService_AndRenewedReturnsToActive()
    {
        var lease = ActiveLease();

        lease.StartRenewing();
        Assert.Equal(LeaseState.Renewing, lease.State);
        Assert.True(lease.IsInService);

        _time.Advance(TimeSpan.FromSeconds(40));
        lease.Renew(Grant(seconds: 60, hardEndSeconds: 140));

        Assert.Equal(LeaseState.Active, lease.State);
        Assert.Equal(TimeSpan.FromSeconds(60), lease.Timeline!.ExpiresIn(_time));
        Assert.Equal(TimeSpan.FromSeconds(180), lease.Lifetime); // the whole life is fixed at issue
    }

    [Fact]
    public void Grant_IsCountedFromWhenItsRequestWasSent_NotFromWhenTheAnswerArrived()
    {
        var lease = new Lease(1, _time);
        lease.StartGenerating();
        var sentAt = _time.GetTimestamp();
        _time.Advance(TimeSpan.FromSeconds(2)); // a slow round trip: the server started counting up to 2 s ago

        lease.Issue(Grant(seconds: 60, hardEndSeconds: 180) with { SentAt = sentAt });

        Assert.Equal(TimeSpan.FromSeconds(58), lease.Timeline!.ExpiresIn(_time));
        Assert.Equal(TimeSpan.FromSeconds(178), lease.Timeline.HardEndIn(_time));
    }

    [Fact]
    public void RenewalFailed_KeepsLeaseActive_AndCountsAttempts()
    {
        var lease = ActiveLease();

        lease.StartRenewing();
        lease.FailRenewal();
        lease.StartRenewing();
        lease.FailRenewal();

        Assert.Equal(LeaseState.Active, lease.State);
        Assert.Equal(2, lease.FailedAttempts);

        lease.StartRenewing();
        lease.Renew(Grant());
        Assert.Equal(0, lease.FailedAttempts);
    }

    [Fact]
    public void ProbeFailed_Abandons_AndRequiresRevocation()
    {
        var lease = new Lease(1, _time);
        lease.StartGenerating();
        lease.Issue(Grant());

        lease.FailProbe();

        Assert.Equal(LeaseState.Abandoned, lease.State);
        Assert.False(lease.IsInService);
        Assert.True(lease.NeedsRevocation);
    }

    [Fact]
    public void GenerationFailed_Abandons_WithNothingToRevoke()
    {
        var lease = new Lease(1, _time);
        lease.StartGenerating();

        lease.FailGeneration();

        Assert.Equal(LeaseState.Abandoned, lease.State);
        Assert.False(lease.NeedsRevocation);
    }

    [Fact]
    public void GenerationFailed_WithTheLeaseAnUnusableAnswerNamed_LeavesItToRevoke()
    {
        var lease = new Lease(1, _time);
        lease.StartGenerating();

        lease.FailGeneration("dyn_unusable");

        Assert.Equal(LeaseState.Abandoned, lease.State);
        Assert.Equal("dyn_unusable", lease.LeaseId);
        Assert.True(lease.NeedsRevocation);
    }

    [Fact]
    public void Supersede_FromActiveOrRenewing_Retires()
    {
        var active = ActiveLease();
        active.Supersede();
        Assert.Equal(LeaseState.Retiring, active.State);

        var renewing = ActiveLease();
        renewing.StartRenewing();
        renewing.Supersede();
        Assert.Equal(LeaseState.Retiring, renewing.State);

        // A retiring lease is still renewed while it drains; the answer extends it without reviving it.
        _time.Advance(TimeSpan.FromSeconds(30));
        renewing.Renew(Grant(seconds: 60));
        Assert.Equal(LeaseState.Retiring, renewing.State);
        Assert.Equal(TimeSpan.FromSeconds(60), renewing.Timeline!.ExpiresIn(_time));
        Assert.False(renewing.CanFire(LeaseTrigger.RenewDue));
    }

    [Fact]
    public void Revoke_FromEveryHeldState_EndsRevoked()
    {
        foreach (var prepare in new Action<Lease>[]
        {
            l => { l.StartGenerating(); l.Issue(Grant()); },
            l => { l.StartGenerating(); l.Issue(Grant()); l.PassProbe(); },
            l => { l.StartGenerating(); l.Issue(Grant()); l.PassProbe(); l.MarkPublished(); },
            l => { l.StartGenerating(); l.Issue(Grant()); l.PassProbe(); l.MarkPublished(); l.StartRenewing(); },
            l => { l.StartGenerating(); l.Issue(Grant()); l.PassProbe(); l.MarkPublished(); l.Supersede(); },
            l => { l.StartGenerating(); l.Issue(Grant()); l.PassProbe(); l.MarkPublished(); l.MarkLost(); },
            l => { l.StartGenerating(); l.Issue(Grant()); l.FailProbe(); },
        })
        {
            var lease = new Lease(1, _time);
            prepare(lease);
            var from = lease.State;

            Assert.True(lease.NeedsRevocation, $"{from} should need revocation");
            lease.StartRevoking();
            lease.FailRevocation();
            Assert.Equal(LeaseState.Revoking, lease.State);
            lease.ConfirmRevoked();
            Assert.Equal(LeaseState.Revoked, lease.State);
            Assert.False(lease.NeedsRevocation);
        }
    }

    [Fact]
    public void Lost_IsNeverRenewedAgain()
    {
        var lease = ActiveLease();
        lease.MarkLost();

        Assert.Equal(LeaseState.Lost, lease.State);
        Assert.False(lease.CanFire(LeaseTrigger.RenewDue));
        Assert.Throws<InvalidOperationException>(lease.StartRenewing);
    }

    [Theory]
    [InlineData(LeaseState.Pending, LeaseTrigger.ProbePassed)]
    [InlineData(LeaseState.Pending, LeaseTrigger.Published)]
    [InlineData(LeaseState.Pending, LeaseTrigger.Revoke)]
    [InlineData(LeaseState.Generating, LeaseTrigger.Revoke)]
    [InlineData(LeaseState.Generating, LeaseTrigger.Published)]
    [InlineData(LeaseState.Probing, LeaseTrigger.Published)]
    [InlineData(LeaseState.Probing, LeaseTrigger.RenewDue)]
    [InlineData(LeaseState.Active, LeaseTrigger.Published)]
    [InlineData(LeaseState.Active, LeaseTrigger.ProbePassed)]
    public void UnpermittedTrigger_IsRefused(LeaseState state, LeaseTrigger trigger)
    {
        var lease = new Lease(1, _time);
        if (state != LeaseState.Pending)
        {
            lease.StartGenerating();
        }

        if (state is LeaseState.Probing or LeaseState.Active)
        {
            lease.Issue(Grant());
        }

        if (state == LeaseState.Active)
        {
            lease.PassProbe();
            lease.MarkPublished();
        }

        Assert.Equal(state, lease.State);
        Assert.False(lease.CanFire(trigger));
    }

    [Fact]
    public void ToString_NeverShowsThePassword()
    {
        var lease = ActiveLease();

        Assert.DoesNotContain("secret-password", lease.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("secret-password", lease.Credential!.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("secret-password", lease.Grant!.ToString(), StringComparison.Ordinal);
    }
}
