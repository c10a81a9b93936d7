using System.Net;
using LeaseAgent.Leasing;
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
}
