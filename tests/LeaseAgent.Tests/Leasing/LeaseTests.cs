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

    private Lease ActiveLease() => new Lease(1, 1, "la-test").StartGenerating().Issue(Grant(), _time).PassProbe().MarkPublished(_time);

    [Fact]
    public void HappyPath_PendingToActive_RecordsGrant()
    {
        var lease = new Lease(1, 3, "la-test");
        var seen = new List<LeaseTransition>();
        foreach (var step in new Func<Lease, Lease>[] { l => l.StartGenerating(), l => l.Issue(Grant(), _time), l => l.PassProbe(), l => l.MarkPublished(_time) })
        {
            lease = step(lease);
            seen.Add(lease.LastTransition!.Value);
        }

        Assert.Equal(LeaseState.Active, lease.State);
        Assert.Equal(4, lease.Transitions);
        Assert.Equal(
            [new(LeaseState.Pending, LeaseState.Generating, LeaseTrigger.Generate), new(LeaseState.Generating, LeaseState.Probing, LeaseTrigger.Issued), new(LeaseState.Probing, LeaseState.Publishing, LeaseTrigger.ProbePassed), new(LeaseState.Publishing, LeaseState.Active, LeaseTrigger.Published)],
            seen);
        Assert.Equal("dyn_1", lease.LeaseId);
        Assert.Equal("v_readonly_abc", lease.Credential!.Username);
        Assert.Equal(TimeSpan.FromSeconds(180), lease.Lifetime);
        Assert.True(lease.IsInService);
    }

    [Fact]
    public void Renewing_IsStillInService_AndRenewedReturnsToActive()
    {
        var lease = ActiveLease();

        lease = lease.StartRenewing();
        Assert.Equal(LeaseState.Renewing, lease.State);
        Assert.True(lease.IsInService);

        _time.Advance(TimeSpan.FromSeconds(40));
        lease = lease.Renew(Grant(seconds: 60, hardEndSeconds: 140), _time);

        Assert.Equal(LeaseState.Active, lease.State);
        Assert.Equal(TimeSpan.FromSeconds(60), lease.Timeline!.ExpiresIn(_time));
        Assert.Equal(TimeSpan.FromSeconds(180), lease.Lifetime); // the whole life is fixed at issue
    }

    [Fact]
    public void Grant_IsCountedFromWhenItsRequestWasSent_NotFromWhenTheAnswerArrived()
    {
        var lease = new Lease(1, 1, "la-test");
        lease = lease.StartGenerating();
        var sentAt = _time.GetTimestamp();
        _time.Advance(TimeSpan.FromSeconds(2)); // a slow round trip: the server started counting up to 2 s ago

        lease = lease.Issue(Grant(seconds: 60, hardEndSeconds: 180) with { SentAt = sentAt }, _time);

        Assert.Equal(TimeSpan.FromSeconds(58), lease.Timeline!.ExpiresIn(_time));
        Assert.Equal(TimeSpan.FromSeconds(178), lease.Timeline.HardEndIn(_time));
    }

    [Fact]
    public void RenewalFailed_KeepsLeaseActive_AndCountsAttempts()
    {
        var lease = ActiveLease();

        lease = lease.StartRenewing();
        lease = lease.FailRenewal();
        lease = lease.StartRenewing();
        lease = lease.FailRenewal();

        Assert.Equal(LeaseState.Active, lease.State);
        Assert.Equal(2, lease.FailedAttempts);

        lease = lease.StartRenewing();
        lease = lease.Renew(Grant(), _time);
        Assert.Equal(0, lease.FailedAttempts);
    }

    [Fact]
    public void ProbeFailed_Abandons_AndRequiresRevocation()
    {
        var lease = new Lease(1, 1, "la-test");
        lease = lease.StartGenerating();
        lease = lease.Issue(Grant(), _time);

        lease = lease.FailProbe();

        Assert.Equal(LeaseState.Abandoned, lease.State);
        Assert.False(lease.IsInService);
        Assert.True(lease.NeedsRevocation);
    }

    [Fact]
    public void GenerationFailed_Abandons_WithNothingToRevoke()
    {
        var lease = new Lease(1, 1, "la-test");
        lease = lease.StartGenerating();

        lease = lease.FailGeneration();

        Assert.Equal(LeaseState.Abandoned, lease.State);
        Assert.False(lease.NeedsRevocation);
    }

    [Fact]
    public void GenerationFailed_WithTheLeaseAnUnusableAnswerNamed_LeavesItToRevoke()
    {
        var lease = new Lease(1, 1, "la-test");
        lease = lease.StartGenerating();

        lease = lease.FailGeneration("dyn_unusable");

        Assert.Equal(LeaseState.Abandoned, lease.State);
        Assert.Equal("dyn_unusable", lease.LeaseId);
        Assert.True(lease.NeedsRevocation);
    }

    [Fact]
    public void Supersede_FromActiveOrRenewing_Retires()
    {
        var active = ActiveLease();
        active = active.Supersede();
        Assert.Equal(LeaseState.Retiring, active.State);

        var renewing = ActiveLease();
        renewing = renewing.StartRenewing();
        renewing = renewing.Supersede();
        Assert.Equal(LeaseState.Retiring, renewing.State);

        // A retiring lease is still renewed while it drains; the answer extends it without reviving it.
        _time.Advance(TimeSpan.FromSeconds(30));
        renewing = renewing.Renew(Grant(seconds: 60), _time);
        Assert.Equal(LeaseState.Retiring, renewing.State);
        Assert.Equal(TimeSpan.FromSeconds(60), renewing.Timeline!.ExpiresIn(_time));
        Assert.False(renewing.CanFire(LeaseTrigger.RenewDue));
    }

    [Fact]
    public void Revoke_FromEveryHeldState_EndsRevoked()
    {
        foreach (var prepare in new Func<Lease, Lease>[]
        {
            l => l.StartGenerating().Issue(Grant(), _time),
            l => l.StartGenerating().Issue(Grant(), _time).PassProbe(),
            l => l.StartGenerating().Issue(Grant(), _time).PassProbe().MarkPublished(_time),
            l => l.StartGenerating().Issue(Grant(), _time).PassProbe().MarkPublished(_time).StartRenewing(),
            l => l.StartGenerating().Issue(Grant(), _time).PassProbe().MarkPublished(_time).Supersede(),
            l => l.StartGenerating().Issue(Grant(), _time).PassProbe().MarkPublished(_time).MarkLost(),
            l => l.StartGenerating().Issue(Grant(), _time).FailProbe(),
        })
        {
            var lease = prepare(new Lease(1, 1, "la-test"));
            var from = lease.State;

            Assert.True(lease.NeedsRevocation, $"{from} should need revocation");
            lease = lease.StartRevoking();
            lease = lease.FailRevocation();
            Assert.Equal(LeaseState.Revoking, lease.State);
            lease = lease.ConfirmRevoked();
            Assert.Equal(LeaseState.Revoked, lease.State);
            Assert.False(lease.NeedsRevocation);
        }
    }

    [Fact]
    public void Lost_IsNeverRenewedAgain()
    {
        var lease = ActiveLease();
        lease = lease.MarkLost();

        Assert.Equal(LeaseState.Lost, lease.State);
        Assert.False(lease.CanFire(LeaseTrigger.RenewDue));
        Assert.Throws<InvalidOperationException>(() => lease.StartRenewing());
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
        var lease = new Lease(1, 1, "la-test");
        if (state != LeaseState.Pending)
        {
            lease = lease.StartGenerating();
        }

        if (state is LeaseState.Probing or LeaseState.Active)
        {
            lease = lease.Issue(Grant(), _time);
        }

        if (state == LeaseState.Active)
        {
            lease = lease.PassProbe();
            lease = lease.MarkPublished(_time);
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
