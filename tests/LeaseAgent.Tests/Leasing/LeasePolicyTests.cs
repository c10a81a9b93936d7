using System.Net;
using LeaseAgent.Leasing;
using LeaseAgent.ScaiVault;
using ScaiVault.Client;

namespace LeaseAgent.Tests.Leasing;

/// <summary>The policy as a function: a book and an event in, a book and effects out. No fakes, no clock.</summary>
public sealed class LeasePolicyTests
{
    private static readonly JournalIntent Intent = new("la-0123", 2);
    private static readonly IntentLookupTimer LookupTimer = new(Intent);

    private static LeaseBook Tracking(IntentLookup lookup) => new LeaseBook().WithIntent(lookup);

    [Fact]
    public void TrackIntent_New_JournalsIt_LogsWhy_AndLooksItUp()
    {
        var (book, effects) = LeasePolicy.TrackIntent(new LeaseBook(), Intent, "the answer timed out");

        Assert.Equal([new IntentLookup(Intent)], book.UnresolvedIntents);
        Assert.Equal<LeaseEffect>([new LogIntentLookingUp("la-0123", "the answer timed out"), new LookUpIntent(Intent)], effects);
        Assert.Contains(Intent, book.ToJournal().Intents);
    }

    [Fact]
    public void TrackIntent_AlreadyTracked_ChangesNothing()
    {
        var tracked = Tracking(new IntentLookup(Intent, Settled: true));

        var (book, effects) = LeasePolicy.TrackIntent(tracked, Intent, "again");

        Assert.Same(tracked, book);
        Assert.Empty(effects);
    }

    [Fact]
    public void TrackIntent_WhileStopping_OnlyJournalsIt_TheShutdownLooksItUp()
    {
        var (book, effects) = LeasePolicy.TrackIntent(new LeaseBook { Shutdown = ShutdownPhase.Draining }, Intent, reason: null);

        Assert.Single(book.UnresolvedIntents);
        Assert.Empty(effects);
    }

    [Fact]
    public void LookupFails_RetriesWithBackoff_CountingTheFailure()
    {
        var error = new ScaiVaultException(HttpStatusCode.ServiceUnavailable, ErrorCodes.ServiceUnavailable, "down");

        var (book, effects) = LeasePolicy.Decide(Tracking(new IntentLookup(Intent, Failures: 2)), new IntentResolved(Intent, null, error));

        Assert.Equal([new IntentLookup(Intent, Failures: 3)], book.UnresolvedIntents);
        Assert.Equal<LeaseEffect>(
            [new LogIntentUnresolved("la-0123", $"{ErrorCodes.ServiceUnavailable}: down"), new SetTimer(LookupTimer, new BackoffAfterFailure(3, error))],
            effects);
    }

    [Fact]
    public void LookupFails_ForTheLastTime_LeavesTheIntentJournalled_WithoutAnotherLookup()
    {
        var (book, effects) = LeasePolicy.Decide(Tracking(new IntentLookup(Intent, Failures: LeasePolicy.MaxAttempts - 1)), new IntentResolved(Intent, null, null));

        Assert.Equal(LeasePolicy.MaxAttempts, Assert.Single(book.UnresolvedIntents).Failures);
        Assert.Equal<LeaseEffect>([new LogIntentUnresolved("la-0123", "unknown: no answer")], effects);
    }

    [Fact]
    public void LookupFails_DuringShutdown_IsFinal()
    {
        var stopping = Tracking(new IntentLookup(Intent)) with { Shutdown = ShutdownPhase.Revoking };

        var (book, effects) = LeasePolicy.Decide(stopping, new IntentResolved(Intent, null, new OperationCanceledException()));

        Assert.Same(stopping, book);
        Assert.Equal<LeaseEffect>([new LogIntentUnresolved("la-0123", "cancelled: the operation was cancelled")], effects);
    }

    [Fact]
    public void FirstLookupFinds_RevokesWhatNobodyTracks_AndLooksAgainAfterTheSettleTime()
    {
        var known = new Lease(2, TimeProvider.System);
        known.Orphan("lease-known", Intent.ClientRef);
        var tracking = Tracking(new IntentLookup(Intent, Failures: 1)).Add(known);

        var (book, effects) = LeasePolicy.Decide(tracking, new IntentResolved(Intent, ["lease-new", "lease-known", "lease-new"], null));

        Assert.Equal([new IntentLookup(Intent, Settled: true)], book.UnresolvedIntents);
        Assert.Equal<LeaseEffect>([new RevokeOrphan("lease-new", Intent), new SetTimer(LookupTimer, new After(LeasePolicy.IntentSettleTime))], effects);
    }

    [Fact]
    public void SecondLookupFinds_ResolvesTheIntent()
    {
        var (book, effects) = LeasePolicy.Decide(Tracking(new IntentLookup(Intent, Settled: true)), new IntentResolved(Intent, ["lease-late"], null));

        Assert.Empty(book.UnresolvedIntents);
        Assert.Empty(book.ToJournal().Intents);
        Assert.Equal<LeaseEffect>([new RevokeOrphan("lease-late", Intent), new CancelTimer(LookupTimer)], effects);
    }

    [Fact]
    public void LookupFinds_DuringShutdown_ResolvesAtOnce()
    {
        var stopping = Tracking(new IntentLookup(Intent)) with { Shutdown = ShutdownPhase.Revoking };

        var (book, effects) = LeasePolicy.Decide(stopping, new IntentResolved(Intent, [], null));

        Assert.Empty(book.UnresolvedIntents);
        Assert.Equal<LeaseEffect>([new CancelTimer(LookupTimer)], effects);
    }

    [Fact]
    public void LookupTimer_LooksUpATrackedIntent_Only()
    {
        var due = new TimerFired(LookupTimer, Sequence: 7);

        Assert.Equal<LeaseEffect>([new LookUpIntent(Intent)], LeasePolicy.Decide(Tracking(new IntentLookup(Intent)), due).Effects);
        Assert.Empty(LeasePolicy.Decide(new LeaseBook(), due).Effects);
        Assert.Empty(LeasePolicy.Decide(Tracking(new IntentLookup(Intent)) with { Shutdown = ShutdownPhase.Draining }, due).Effects);
    }

    private static Lease Retiring()
    {
        var lease = new Lease(1, TimeProvider.System);
        lease.StartGenerating();
        lease.Issue(new LeaseGrant { LeaseId = "lease-1", Duration = TimeSpan.FromSeconds(60), Credential = new DatabaseCredential("v_1", "secret") });
        lease.PassProbe();
        lease.MarkPublished();
        lease.Supersede();
        return lease;
    }

    [Fact]
    public void DrainCheckDue_CountsTheSessionsOfARetiringLease_Only()
    {
        var retiring = Retiring();
        var due = new TimerFired(new LeaseTimerKey(retiring, LeaseTimer.DrainCheck), Sequence: 1);

        Assert.Equal<LeaseEffect>([new CountSessions(retiring)], LeasePolicy.Decide(new LeaseBook(), due).Effects);
        retiring.StartRevoking();
        Assert.Empty(LeasePolicy.Decide(new LeaseBook(), due).Effects);
    }

    [Fact]
    public void NoSessionLeft_RevokesTheRetiringLease()
    {
        var retiring = Retiring();

        var (_, effects) = LeasePolicy.Decide(new LeaseBook(), new DrainChecked(retiring, 0, null));

        Assert.Equal<LeaseEffect>([new RecordDrainSessions(retiring, 0), new LogDrained("lease-1", "v_1"), new RevokeLease(retiring)], effects);
    }

    [Fact]
    public void SessionsLeft_CountsAgainInASecond_ButNotWhileStopping()
    {
        var retiring = Retiring();

        var (_, effects) = LeasePolicy.Decide(new LeaseBook(), new DrainChecked(retiring, 3, null));
        var (_, stopping) = LeasePolicy.Decide(new LeaseBook { Shutdown = ShutdownPhase.Draining }, new DrainChecked(retiring, 3, null));

        Assert.Equal<LeaseEffect>([new RecordDrainSessions(retiring, 3), new SetTimer(new LeaseTimerKey(retiring, LeaseTimer.DrainCheck), new After(LeasePolicy.DrainPollInterval))], effects);
        Assert.Equal<LeaseEffect>([new RecordDrainSessions(retiring, 3)], stopping);
    }

    [Fact]
    public void CountFailed_LogsIt_AndCountsAgain()
    {
        var retiring = Retiring();

        var (_, effects) = LeasePolicy.Decide(new LeaseBook(), new DrainChecked(retiring, null, new TimeoutException()));

        Assert.Equal<LeaseEffect>(
            [new LogDrainCheckFailed("lease-1", nameof(TimeoutException)), new RecordDrainSessions(retiring, null), new SetTimer(new LeaseTimerKey(retiring, LeaseTimer.DrainCheck), new After(LeasePolicy.DrainPollInterval))],
            effects);
    }

    [Fact]
    public void DrainDeadline_RevokesTheLease_SayingWhichSessionsItEnds()
    {
        var idle = Retiring();
        var busy = Retiring();
        busy.CountDrainSessions(2);

        Assert.Equal<LeaseEffect>([new RevokeLease(idle)], LeasePolicy.Decide(new LeaseBook(), new TimerFired(new LeaseTimerKey(idle, LeaseTimer.Drain), 1)).Effects);
        Assert.Equal<LeaseEffect>(
            [new LogStillInUseAtDrainDeadline("lease-1", "v_1", 2), new RevokeLease(busy)],
            LeasePolicy.Decide(new LeaseBook(), new TimerFired(new LeaseTimerKey(busy, LeaseTimer.Drain), 2)).Effects);
    }
}
