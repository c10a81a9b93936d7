using System.Net;
using LeaseAgent.Configuration;
using LeaseAgent.Leasing;
using LeaseAgent.Postgres;
using LeaseAgent.ScaiVault;
using Microsoft.Extensions.Time.Testing;
using ScaiVault.Client;

namespace LeaseAgent.Tests.Leasing;

/// <summary>
/// The policy as a function: a book, an event and a moment in, a book and effects out. No fakes, no loop: the clock
/// is a <see cref="FakeTimeProvider"/> read into each <see cref="Moment"/>, and every random draw is 0.5.
/// </summary>
public sealed class LeasePolicyTests
{
    private const double Draw = 0.5;
    private static readonly JournalIntent Intent = new("la-0123", 2);
    private static readonly IntentLookupTimer LookupTimer = new(Intent);
    private static readonly DatabaseCredential FirstUser = new("v_1", "secret-1");
    private static readonly DatabaseCredential SecondUser = new("v_2", "secret-2");

    private static readonly LeasePolicySettings Settings = new(
        new LeaseOptions { Engine = "reporting-db", Role = "readonly", RotateBefore = TimeSpan.FromSeconds(30), DrainTimeout = TimeSpan.FromSeconds(20) },
        new ShutdownOptions { RevokeDelay = TimeSpan.Zero, Timeout = TimeSpan.FromSeconds(10) },
        Jitter: 0);

    private readonly FakeTimeProvider _time = new();
    private int _references;

    private Moment Now => new(_time.GetTimestamp(), _time.TimestampFrequency, Draw, $"la-ref-{++_references}");

    private (LeaseBook Book, IReadOnlyList<LeaseEffect> Effects) Decide(LeaseBook book, AgentEvent agentEvent, LeasePolicySettings? settings = null) =>
        LeasePolicy.Decide(book, agentEvent, settings ?? Settings, Now);

    private static LeaseGrant Grant(string leaseId, DatabaseCredential credential, int seconds = 60, int hardEndSeconds = 300) => new()
    {
        LeaseId = leaseId,
        Duration = TimeSpan.FromSeconds(seconds),
        TimeToHardEnd = TimeSpan.FromSeconds(hardEndSeconds),
        Credential = credential,
    };

    private static readonly ProbeResult Passed = new(ProbeFailure.None, 1, null);

    private static T Single<T>(IEnumerable<LeaseEffect> effects) => Assert.Single(effects.OfType<T>());

    private static LeaseBook Tracking(IntentLookup lookup) => new LeaseBook().WithIntent(lookup);

    /// <summary>A fresh volume: started, generated, probed and published lease-1 (serial 1, generation 1).</summary>
    private LeaseBook Published()
    {
        var (book, _) = Decide(new LeaseBook(), new Started(new JournalDocument()));
        (book, _) = Decide(book, new GenerateCompleted(1, Grant("lease-1", FirstUser), null));
        (book, _) = Decide(book, new ProbeCompleted(1, Passed, null));
        (book, _) = Decide(book, new PublishCompleted(1, null));
        return book;
    }

    // ---- acquisition ----

    [Fact]
    public void Start_OnAnEmptyVolume_GeneratesUnderAFreshReference_AndJournalsTheIntentFirst()
    {
        var (book, effects) = Decide(new LeaseBook(), new Started(new JournalDocument()));

        var generate = Single<Generate>(effects);
        var lease = Assert.Single(book.Leases);
        Assert.Equal(new Generate(lease.Serial, "la-ref-1", null), generate);
        Assert.Equal(LeaseState.Generating, lease.State);
        Assert.Equal(lease, book.Next);
        Assert.Equal(1, book.InFlight);
        Assert.Equal([new JournalIntent("la-ref-1", 1)], book.ToJournal().Intents); // the shell writes it before the request leaves
        Assert.Equal(new LogTransition(1, null, new(LeaseState.Pending, LeaseState.Generating, LeaseTrigger.Generate)), Single<LogTransition>(effects));
    }

    [Fact]
    public void Generated_IsProbed_ThenPublished_WriteAheadInTheJournal()
    {
        var (book, _) = Decide(new LeaseBook(), new Started(new JournalDocument()));

        (book, var effects) = Decide(book, new GenerateCompleted(1, Grant("lease-1", FirstUser), null));
        Assert.Equal(new Probe(1, FirstUser), Single<Probe>(effects));

        (book, effects) = Decide(book, new ProbeCompleted(1, Passed, null));
        var publish = Single<PublishCredential>(effects);
        Assert.Equal(LeaseState.Publishing, publish.Lease.State);
        Assert.True(Assert.Single(book.ToJournal().Leases).Current, "the journal names the lease current before its file appears");
        Assert.Null(book.Current);

        (book, effects) = Decide(book, new PublishCompleted(1, null));
        Assert.Equal(LeaseState.Active, book.Current!.State);
        Assert.Equal(0, book.InFlight);
        Assert.Empty(effects.OfType<SignalApp>()); // the app starts with the first credential: no reload
        Assert.Equal(new LogPublished(1, "v_1", "lease-1", TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(300)), Single<LogPublished>(effects));
        Assert.Contains(new SetTimer(new LeaseTimerKey(1, LeaseTimer.Renew), TimeSpan.FromSeconds(40)), effects);
        Assert.Contains(new SetTimer(new LeaseTimerKey(1, LeaseTimer.Rotate), TimeSpan.FromSeconds(270)), effects);
        Assert.Contains(new SetTimer(new LeaseTimerKey(1, LeaseTimer.Expiry), TimeSpan.FromSeconds(60)), effects);
    }

    [Fact]
    public void GenerateFails_RetriesAfterABackoff_AndLooksUpWhatTheRequestMayHaveMinted()
    {
        var (book, _) = Decide(new LeaseBook(), new Started(new JournalDocument()));
        var error = new TimeoutException(); // the server may have minted the lease before the answer was lost

        (book, var effects) = Decide(book, new GenerateCompleted(1, null, error));

        var backoff = ScaiVaultResilience.BackoffAfterFailure(0, error, new Moment(0, 1, Draw, "").Random);
        Assert.Equal(new SetTimer(AcquireBackoff.Key, backoff), Single<SetTimer>(effects));
        Assert.Equal(new LookUpIntent(new JournalIntent("la-ref-1", 1)), Single<LookUpIntent>(effects));
        Assert.Empty(book.Leases); // nothing was issued: nothing to revoke
        Assert.Null(book.Next);
        Assert.Equal((1, "unexpected"), (book.AcquireFailures, book.LastError));
        Assert.Empty(effects.OfType<CountRotation>()); // nothing was published: not a failed rotation
    }

    [Fact]
    public void ProbeFails_RevokesTheLease_AndTriesAnotherAfterABackoff()
    {
        var (book, _) = Decide(new LeaseBook(), new Started(new JournalDocument()));
        (book, _) = Decide(book, new GenerateCompleted(1, Grant("lease-1", FirstUser), null));

        (book, var effects) = Decide(book, new ProbeCompleted(1, new ProbeResult(ProbeFailure.AuthenticationFailed, 5, "28P01"), null));

        Assert.Equal(new SendRevoke(1, "lease-1"), Single<SendRevoke>(effects));
        Assert.Equal(new CountProbeFailure(nameof(ProbeFailure.AuthenticationFailed)), Single<CountProbeFailure>(effects));
        Assert.Equal(AcquireBackoff.Key, Single<SetTimer>(effects).Key);
        Assert.Empty(effects.OfType<PublishCredential>());
        Assert.Equal(("probe_failed", LeaseState.Revoking), (book.LastError, book.Find(1)!.State));
    }

    [Fact]
    public void ALeaseAboutToExpire_IsNotPublished()
    {
        var (book, _) = Decide(new LeaseBook(), new Started(new JournalDocument()));
        (book, _) = Decide(book, new GenerateCompleted(1, Grant("lease-1", FirstUser, seconds: 30) with { SentAt = _time.GetTimestamp() }, null));
        _time.Advance(TimeSpan.FromSeconds(28)); // a slow probe: 2 s left of 30, less than a tenth

        (book, var effects) = Decide(book, new ProbeCompleted(1, Passed, null));

        Assert.Empty(effects.OfType<PublishCredential>());
        Assert.Equal(new LogTooShortToPublish("lease-1", TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30)), Single<LogTooShortToPublish>(effects));
        Assert.Equal(new SendRevoke(1, "lease-1"), Single<SendRevoke>(effects));
        Assert.Equal("lease_too_short", book.LastError);
    }

    [Fact]
    public void PublishFails_RevokesTheLease_AndKeepsNothingCurrent()
    {
        var (book, _) = Decide(new LeaseBook(), new Started(new JournalDocument()));
        (book, _) = Decide(book, new GenerateCompleted(1, Grant("lease-1", FirstUser), null));
        (book, _) = Decide(book, new ProbeCompleted(1, Passed, null));

        (book, var effects) = Decide(book, new PublishCompleted(1, "disk full"));

        Assert.Equal(new LogPublishFailed("disk full"), Single<LogPublishFailed>(effects));
        Assert.Equal(new SendRevoke(1, "lease-1"), Single<SendRevoke>(effects));
        Assert.Null(book.Current);
        Assert.Null(book.PublishingSerial);
        Assert.DoesNotContain(book.ToJournal().Leases, l => l.Current);
    }

    // ---- recovery ----

    [Fact]
    public void Start_WithAJournal_AdoptsItsCurrentLease_AndRevokesTheRest()
    {
        var journal = new JournalDocument
        {
            Leases =
            [
                new JournalLease { LeaseId = "lease-old", Generation = 3, Current = false, State = "Retiring", ClientRef = "la-old" },
                new JournalLease { LeaseId = "lease-cur", Generation = 4, Current = true, State = "Active", Username = "v_4", Password = "secret-4", DurationSeconds = 60 },
            ],
            Intents = [Intent],
        };

        var (book, effects) = Decide(new LeaseBook(), new Started(journal));

        Assert.Equal(new SendRevoke(1, "lease-old"), Single<SendRevoke>(effects));
        Assert.Equal(new LookUpIntent(Intent), Single<LookUpIntent>(effects));
        var adopting = book.Adopting!;
        Assert.Equal(new AdoptLease(adopting.Serial, "lease-cur", TimeSpan.FromSeconds(60)), Single<AdoptLease>(effects));
        Assert.Equal((4, LeaseState.Adopting), (book.Generation, adopting.State));
        Assert.Empty(effects.OfType<Generate>()); // no new user
        Assert.Equal(new LogJournalRecovered("lease-cur", 1, 1), Single<LogJournalRecovered>(effects));
        Assert.Contains(book.ToJournal().Leases, l => l is { LeaseId: "lease-cur", Current: true, Password: "secret-4" });
    }

    [Fact]
    public void AdoptionFails_RevokesTheJournalledLease_AndGeneratesANewOne()
    {
        var journal = new JournalDocument { Leases = [new JournalLease { LeaseId = "lease-cur", Generation = 4, Current = true, State = "Active", Username = "v_4", Password = "secret-4" }] };
        var (book, _) = Decide(new LeaseBook(), new Started(journal));

        (book, var effects) = Decide(book, new AdoptCompleted(1, null, new ScaiVaultException(HttpStatusCode.NotFound, ErrorCodes.LeaseNotFound, "gone")));

        Assert.Equal(new SendRevoke(1, "lease-cur"), Single<SendRevoke>(effects));
        Assert.Equal(5, Single<Generate>(effects) is { } g ? book.Find(g.Lease)!.Generation : 0);
        Assert.Null(book.Adopting);
    }

    // ---- renewal, rotation, loss ----

    [Fact]
    public void RenewTimer_RenewsTheCurrentLease_UpToItsExpiry()
    {
        var book = Published();
        _time.Advance(TimeSpan.FromSeconds(40));

        (book, var effects) = Decide(book, new TimerFired(new LeaseTimerKey(1, LeaseTimer.Renew), 1));

        var expiresAt = book.Current!.Timeline!.ExpiresAt;
        Assert.Equal([new Renew(1, "lease-1", TimeSpan.FromSeconds(60), expiresAt)], effects.Where(e => e is not LogEffect));
        Assert.Equal((LeaseState.Renewing, Renewal.InFlight), (book.Current.State, book.Current.Renewal));
    }

    [Fact]
    public void RenewalFails_KeepsTheCredential_Degraded_AndRetriesBeforeItExpires()
    {
        var book = Published();
        (book, _) = Decide(book, new TimerFired(new LeaseTimerKey(1, LeaseTimer.Renew), 1));
        var error = new ScaiVaultException(HttpStatusCode.ServiceUnavailable, ErrorCodes.ServiceUnavailable, "down");

        (book, var effects) = Decide(book, new RenewCompleted(1, null, TimeSpan.FromSeconds(60), error));

        var retryIn = RenewalSchedule.RetryAfter(1, TimeSpan.FromSeconds(60), Draw);
        Assert.Equal(new SetTimer(new LeaseTimerKey(1, LeaseTimer.Renew), retryIn), Single<SetTimer>(effects));
        Assert.Equal(new CountRenewal("failed"), Single<CountRenewal>(effects));
        Assert.True(book.Degraded);
        Assert.Equal(LeaseState.Active, book.Current!.State);
        Assert.Empty(effects.OfType<Unpublish>());
    }

    [Fact]
    public void RenewalCappedAtTheMaxTtl_StartsTheRotation_AndProbesTheCurrentUser()
    {
        var book = Published();
        (book, _) = Decide(book, new TimerFired(new LeaseTimerKey(1, LeaseTimer.Renew), 1));

        (book, var effects) = Decide(book, new RenewCompleted(1, Grant("lease-1", FirstUser, seconds: 20, hardEndSeconds: 20), TimeSpan.FromSeconds(60), null));

        Assert.Equal(new CountRenewal("capped"), Single<CountRenewal>(effects));
        Assert.Equal(new ProbeCurrent(1, FirstUser), Single<ProbeCurrent>(effects));
        Assert.Equal(2, book.Find(Single<Generate>(effects).Lease)!.Generation);
        Assert.Equal(1, book.Current!.Serial); // the published credential stays until its replacement is published
    }

    [Fact]
    public void Rotation_PublishesTheNewLease_SignalsTheApp_AndRetiresTheOld()
    {
        var book = Published();
        (book, var effects) = Decide(book, new TimerFired(new LeaseTimerKey(1, LeaseTimer.Rotate), 1));
        var next = Single<Generate>(effects).Lease;
        (book, _) = Decide(book, new GenerateCompleted(next, Grant("lease-2", SecondUser), null));
        (book, _) = Decide(book, new ProbeCompleted(next, Passed, null));

        (book, effects) = Decide(book, new PublishCompleted(next, null));

        Assert.Equal(next, book.Current!.Serial);
        Assert.Equal(LeaseState.Retiring, book.Find(1)!.State);
        Assert.Equal(new SignalApp("generation 2 published"), Single<SignalApp>(effects));
        Assert.Equal(new CountRotation("ok"), Single<CountRotation>(effects));
        Assert.Contains(new SetTimer(new LeaseTimerKey(1, LeaseTimer.Drain), Settings.Lease.DrainTimeout), effects);
        Assert.Contains(new SetTimer(new LeaseTimerKey(1, LeaseTimer.DrainCheck), LeasePolicy.MinimumDrain), effects);
        Assert.Contains(new SetTimer(new LeaseTimerKey(1, LeaseTimer.Rotate), TimeSpan.MaxValue), effects); // a retiring lease is never replaced

        (_, effects) = Decide(book, new TimerFired(new LeaseTimerKey(1, LeaseTimer.DrainCheck), 2));
        Assert.Equal(new CountSessions(1, SecondUser, "v_1"), Single<CountSessions>(effects)); // counted as the new user
    }

    [Fact]
    public void CurrentUserRejected_UnpublishesAtOnce_RevokesIt_AndGeneratesAnother()
    {
        var book = Published();

        (book, var effects) = Decide(book, new CurrentProbeCompleted(1, new ProbeResult(ProbeFailure.AuthenticationFailed, 1, "28P01"), null));

        Assert.Equal(
            [typeof(Unpublish), typeof(SendRevoke), typeof(Generate)],
            effects.Where(e => e is Unpublish or SendRevoke or Generate).Select(e => e.GetType()));
        Assert.Equal("credential_rejected", book.LastError);
        Assert.Null(book.Current);
        Assert.Equal(1, book.ShortLivedLosses);
    }

    [Fact]
    public void ASecondLossSoonAfterPublishing_WaitsBeforeTheNextGenerate()
    {
        var book = Published() with { ShortLivedLosses = 1 };

        (book, var effects) = Decide(book, new TimerFired(new LeaseTimerKey(1, LeaseTimer.Expiry), 1));

        Assert.Empty(effects.OfType<Generate>());
        var wait = Backoff.ScaiVaultOperation.Delay(0, new Moment(0, 1, Draw, "").Random);
        Assert.Equal(new SetTimer(AcquireBackoff.Key, wait), Single<SetTimer>(effects));
        Assert.Equal(new LogLostSoonAfterPublishing("lease-1", TimeSpan.Zero, 2, wait), Single<LogLostSoonAfterPublishing>(effects));
        Assert.Equal("lease_expired", book.LastError);
    }

    [Fact]
    public void ExpiryDuringARenewal_WaitsForTheAnswer_WhichDecides()
    {
        var book = Published();
        (book, _) = Decide(book, new TimerFired(new LeaseTimerKey(1, LeaseTimer.Renew), 1));

        (book, var effects) = Decide(book, new TimerFired(new LeaseTimerKey(1, LeaseTimer.Expiry), 2));
        Assert.Empty(effects);
        Assert.Equal(Renewal.InFlightPastExpiry, book.Current!.Renewal);

        (book, effects) = Decide(book, new RenewCompleted(1, null, TimeSpan.FromSeconds(60), new TimeoutException()));
        Assert.Equal(new LogExpired("lease-1"), Single<LogExpired>(effects));
        Assert.Single(effects.OfType<Unpublish>());
        Assert.Null(book.Current);
    }

    // ---- revocation ----

    [Fact]
    public void RevokeFails_RetriesWithBackoff_UpToMaxAttempts()
    {
        var (book, _) = Decide(new LeaseBook(), new Started(new JournalDocument { Leases = [new JournalLease { LeaseId = "lease-old", Generation = 1, Current = false, State = "Lost" }] }));
        var error = new ScaiVaultException(HttpStatusCode.ServiceUnavailable, ErrorCodes.ServiceUnavailable, "down");

        (book, var effects) = Decide(book, new RevokeCompleted(1, error));

        Assert.Equal(new CountRevocation("failed"), Single<CountRevocation>(effects));
        Assert.Equal(new LeaseTimerKey(1, LeaseTimer.RevokeRetry), effects.OfType<SetTimer>().Single(t => t.Key is LeaseTimerKey).Key);
        Assert.Equal(1, book.Find(1)!.FailedAttempts);

        (book, effects) = Decide(book, new TimerFired(new LeaseTimerKey(1, LeaseTimer.RevokeRetry), 3));
        Assert.Equal(new SendRevoke(1, "lease-old"), Single<SendRevoke>(effects));

        (book, _) = Decide(book, new RevokeCompleted(1, null));
        Assert.Null(book.Find(1)); // revoked: forgotten
        Assert.Empty(book.ToJournal().Leases);
    }

    // ---- the shutdown ----

    [Fact]
    public void Stop_DrainsWhatIsInFlight_ThenRevokesEverything_ThenFinishes()
    {
        var book = Published();
        (book, _) = Decide(book, new TimerFired(new LeaseTimerKey(1, LeaseTimer.Renew), 1)); // a renewal in flight

        (book, var effects) = Decide(book, new StopRequested());
        Assert.Equal([typeof(StartShutdownClock), typeof(StopStartingWork)], effects.Select(e => e.GetType()));
        Assert.Equal(ShutdownPhase.Draining, book.Shutdown);

        (book, effects) = Decide(book, new RenewCompleted(1, null, TimeSpan.FromSeconds(60), new OperationCanceledException()));
        Assert.Equal(ShutdownPhase.Revoking, book.Shutdown);
        Assert.Equal(new SendRevoke(1, "lease-1"), Single<SendRevoke>(effects));
        Assert.Equal(new LookUpIntent(new JournalIntent("la-ref-1", 1)), Single<LookUpIntent>(effects)); // twins of the held lease
        Assert.Equal(new LogShuttingDown(1), Single<LogShuttingDown>(effects));

        (book, _) = Decide(book, new IntentResolved(new JournalIntent("la-ref-1", 1), ["lease-1"], null));
        (book, effects) = Decide(book, new RevokeCompleted(1, null));
        Assert.Equal(new FinishShutdown(DeleteJournal: true, Revoked: 1, Failed: 0), Single<FinishShutdown>(effects));
        Assert.Equal(ShutdownPhase.Done, book.Shutdown);
        Assert.Null(book.LastError);
    }

    [Fact]
    public void Stop_WithARevokeDelay_KeepsRenewingUntilTheDelayIsOver()
    {
        var delayed = Settings with { Shutdown = Settings.Shutdown with { RevokeDelay = TimeSpan.FromSeconds(5) } };
        var book = Published();

        (book, var effects) = Decide(book, new StopRequested(), delayed);
        Assert.Equal([typeof(StartShutdownClock), typeof(LogRevokeDelayed), typeof(SetTimer)], effects.Select(e => e.GetType()));
        Assert.False(book.Stopping);

        (book, effects) = Decide(book, new TimerFired(new LeaseTimerKey(1, LeaseTimer.Renew), 1), delayed);
        Assert.Single(effects.OfType<Renew>());

        (book, effects) = Decide(book, new TimerFired(RevokeDelayOver.Key, 2), delayed);
        Assert.Equal(ShutdownPhase.Draining, book.Shutdown);
        Assert.Empty(effects.OfType<SendRevoke>()); // the renewal in flight reports back first
    }

    /// <summary>
    /// docs/chaos.md finding 8, the policy's part: a stop decided right after the start (nothing answered yet) still
    /// revokes every lease the journal named, the one being adopted included, and only then finishes.
    /// </summary>
    [Fact]
    public void Stop_RightAfterStartingOnAJournal_RevokesEveryJournalledLease_ThenFinishes()
    {
        var journal = new JournalDocument
        {
            Leases =
            [
                new JournalLease { LeaseId = "lease-old", Generation = 3, Current = false, State = "Retiring" },
                new JournalLease { LeaseId = "lease-cur", Generation = 4, Current = true, State = "Active", Username = "v_4", Password = "secret-4", DurationSeconds = 60 },
            ],
        };
        var (book, effects) = Decide(new LeaseBook(), new Started(journal));
        var adopt = Single<AdoptLease>(effects);

        (book, effects) = Decide(book, new StopRequested());
        Assert.Equal(ShutdownPhase.Draining, book.Shutdown);
        Assert.Empty(effects.OfType<SendRevoke>()); // the adoption in flight reports back first

        (book, effects) = Decide(book, new AdoptCompleted(adopt.Lease, null, new OperationCanceledException())); // cut short by the stop
        Assert.Equal(new SendRevoke(adopt.Lease, "lease-cur"), Single<SendRevoke>(effects));
        Assert.Empty(effects.OfType<Generate>()); // no new user while stopping

        (book, effects) = Decide(book, new RevokeCompleted(1, null)); // lease-old, revoked since the start
        Assert.Empty(effects.OfType<FinishShutdown>()); // lease-cur's revocation is still in flight

        (book, effects) = Decide(book, new RevokeCompleted(adopt.Lease, null));
        Assert.Equal(ShutdownPhase.Done, book.Shutdown);
        Assert.True(Single<FinishShutdown>(effects) is { DeleteJournal: true, Failed: 0 }, string.Join(", ", effects));
        Assert.Empty(book.ToJournal().Leases);
    }

    [Fact]
    public void BudgetSpent_EndsTheShutdown_KeepingWhatWasNotRevokedInTheJournal()
    {
        var book = Published();
        (book, _) = Decide(book, new StopRequested());
        Assert.Equal(ShutdownPhase.Revoking, book.Shutdown);

        (book, var effects) = Decide(book, new ShutdownBudgetSpent());

        Assert.Equal(new FinishShutdown(DeleteJournal: false, Revoked: 0, Failed: 1), Single<FinishShutdown>(effects));
        Assert.Equal("revoke_failed", book.LastError);
        Assert.Contains(book.ToJournal().Leases, l => l is { LeaseId: "lease-1", Current: true });
        Assert.Empty(Decide(book, new ShutdownBudgetSpent()).Effects); // once only
    }

    [Fact]
    public void Crash_ShutsDownAtOnce_WithoutTheRevokeDelay()
    {
        var delayed = Settings with { Shutdown = Settings.Shutdown with { RevokeDelay = TimeSpan.FromSeconds(5) } };

        var (book, effects) = Decide(Published(), new Crashed(), delayed);

        Assert.Equal("supervisor_crashed", book.LastError);
        Assert.Equal(ShutdownPhase.Revoking, book.Shutdown);
        Assert.Single(effects.OfType<SendRevoke>());
    }

    [Fact]
    public void TheSameBookEventAndMoment_GiveTheSameDecision()
    {
        var book = Published();
        var moment = new Moment(_time.GetTimestamp(), _time.TimestampFrequency, Draw, "la-same");

        var first = LeasePolicy.Decide(book, new TimerFired(new LeaseTimerKey(1, LeaseTimer.Rotate), 1), Settings, moment);
        var second = LeasePolicy.Decide(book, new TimerFired(new LeaseTimerKey(1, LeaseTimer.Rotate), 1), Settings, moment);

        Assert.Equal(first.Book.Leases, second.Book.Leases);
        Assert.Equal(first.Book with { Leases = book.Leases }, second.Book with { Leases = book.Leases });
        Assert.Equal(first.Effects, second.Effects);
        Assert.Equal(LeaseState.Active, book.Current!.State); // the book it was given is unchanged
    }

    [Fact]
    public void AnEventAboutALeaseNoLongerHeld_IsIgnored_ButStillCountedBack()
    {
        var book = Published() with { InFlight = 1 };

        var (after, effects) = Decide(book, new RevokeCompleted(Lease: 99, null));

        Assert.Empty(effects);
        Assert.Equal(0, after.InFlight);
    }

    // ---- doubtful generates ----

    [Fact]
    public void DoubtfulGenerate_IsLookedUp_LoggingWhy()
    {
        var (book, _) = Decide(new LeaseBook(), new Started(new JournalDocument()));

        (book, var effects) = Decide(book, new GenerateCompleted(1, null, new TimeoutException()));

        Assert.Equal([new IntentLookup(new JournalIntent("la-ref-1", 1))], book.UnresolvedIntents);
        Assert.Equal(new LogIntentLookingUp("la-ref-1", "unexpected"), Single<LogIntentLookingUp>(effects));
        Assert.Contains(new JournalIntent("la-ref-1", 1), book.ToJournal().Intents);
    }

    [Fact]
    public void LookupFails_RetriesWithBackoff_CountingTheFailure()
    {
        var error = new ScaiVaultException(HttpStatusCode.ServiceUnavailable, ErrorCodes.ServiceUnavailable, "down");

        var (book, effects) = Decide(Tracking(new IntentLookup(Intent, Failures: 2)) with { InFlight = 1 }, new IntentResolved(Intent, null, error));

        Assert.Equal([new IntentLookup(Intent, Failures: 3)], book.UnresolvedIntents);
        var backoff = ScaiVaultResilience.BackoffAfterFailure(3, error, new Moment(0, 1, Draw, "").Random);
        Assert.Equal<LeaseEffect>([new LogIntentUnresolved("la-0123", $"{ErrorCodes.ServiceUnavailable}: down"), new SetTimer(LookupTimer, backoff)], effects);
    }

    [Fact]
    public void LookupFails_ForTheLastTime_LeavesTheIntentJournalled_WithoutAnotherLookup()
    {
        var (book, effects) = Decide(Tracking(new IntentLookup(Intent, Failures: LeasePolicy.MaxAttempts - 1)) with { InFlight = 1 }, new IntentResolved(Intent, null, null));

        Assert.Equal(LeasePolicy.MaxAttempts, Assert.Single(book.UnresolvedIntents).Failures);
        Assert.Equal<LeaseEffect>([new LogIntentUnresolved("la-0123", "unknown: no answer")], effects);
    }

    [Fact]
    public void LookupFails_DuringShutdown_IsFinal()
    {
        var stopping = Tracking(new IntentLookup(Intent)) with { Shutdown = ShutdownPhase.Revoking, InFlight = 2 };

        var (book, effects) = Decide(stopping, new IntentResolved(Intent, null, new OperationCanceledException()));

        Assert.Equal(stopping with { InFlight = 1 }, book);
        Assert.Equal<LeaseEffect>([new LogIntentUnresolved("la-0123", "cancelled: the operation was cancelled")], effects);
    }

    [Fact]
    public void FirstLookupFinds_RevokesWhatNobodyTracks_AndLooksAgainAfterTheSettleTime()
    {
        var (tracking, _) = Decide(Tracking(new IntentLookup(Intent, Failures: 1)), new Started(new JournalDocument { Leases = [new JournalLease { LeaseId = "lease-known", Generation = 2, Current = false, State = "Lost" }] }));

        var (book, effects) = Decide(tracking, new IntentResolved(Intent, ["lease-new", "lease-known", "lease-new"], null));

        Assert.Equal([new IntentLookup(Intent, Settled: true)], book.UnresolvedIntents);
        var orphan = Assert.Single(book.Leases, l => l.LeaseId == "lease-new");
        Assert.Equal(("la-0123", 2, LeaseState.Revoking), (orphan.ClientRef, orphan.Generation, orphan.State));
        Assert.Equal<LeaseEffect>([new SendRevoke(orphan.Serial, "lease-new"), new SetTimer(LookupTimer, LeasePolicy.IntentSettleTime)], effects.Where(e => e is not LogEffect and not CancelLeaseTimers));
    }

    [Fact]
    public void SecondLookupFinds_ResolvesTheIntent()
    {
        var (book, effects) = Decide(Tracking(new IntentLookup(Intent, Settled: true)), new IntentResolved(Intent, ["lease-late"], null));

        Assert.Empty(book.UnresolvedIntents);
        Assert.Empty(book.ToJournal().Intents);
        Assert.Equal<LeaseEffect>([new SendRevoke(1, "lease-late"), new CancelTimer(LookupTimer)], effects.Where(e => e is not LogEffect and not CancelLeaseTimers));
    }

    [Fact]
    public void LookupTimer_LooksUpATrackedIntent_Only()
    {
        var due = new TimerFired(LookupTimer, Sequence: 7);

        Assert.Equal<LeaseEffect>([new LookUpIntent(Intent)], Decide(Tracking(new IntentLookup(Intent)), due).Effects);
        Assert.Empty(Decide(new LeaseBook(), due).Effects);
        Assert.Empty(Decide(Tracking(new IntentLookup(Intent)) with { Shutdown = ShutdownPhase.Draining, InFlight = 1 }, due).Effects); // the shutdown looks it up itself
    }

    // ---- the drain of a retiring lease ----

    /// <summary>lease-1 retiring behind lease-2 (serial 2), published.</summary>
    private LeaseBook Rotated()
    {
        var book = Published();
        (book, _) = Decide(book, new TimerFired(new LeaseTimerKey(1, LeaseTimer.Rotate), 1));
        (book, _) = Decide(book, new GenerateCompleted(2, Grant("lease-2", SecondUser), null));
        (book, _) = Decide(book, new ProbeCompleted(2, Passed, null));
        (book, _) = Decide(book, new PublishCompleted(2, null));
        return book with { InFlight = 1 };
    }

    [Fact]
    public void DrainCheckDue_CountsTheSessionsOfARetiringLease_Only()
    {
        var book = Rotated();
        var due = new TimerFired(new LeaseTimerKey(1, LeaseTimer.DrainCheck), Sequence: 1);

        Assert.Equal<LeaseEffect>([new CountSessions(1, SecondUser, "v_1")], Decide(book, due).Effects);
        var (revoking, _) = Decide(book, new TimerFired(new LeaseTimerKey(1, LeaseTimer.Drain), 2));
        Assert.Empty(Decide(revoking, due).Effects);
    }

    [Fact]
    public void NoSessionLeft_RevokesTheRetiringLease()
    {
        var (book, effects) = Decide(Rotated(), new DrainChecked(1, 0, null));

        Assert.Equal(new LogDrained("lease-1", "v_1"), Single<LogDrained>(effects));
        Assert.Equal(new SendRevoke(1, "lease-1"), Single<SendRevoke>(effects));
        Assert.Equal(LeaseState.Revoking, book.Find(1)!.State);
    }

    [Fact]
    public void SessionsLeft_CountsAgainInASecond_ButNotWhileStopping()
    {
        var (book, effects) = Decide(Rotated(), new DrainChecked(1, 3, null));
        var (_, stopping) = Decide(Rotated() with { Shutdown = ShutdownPhase.Draining, InFlight = 2 }, new DrainChecked(1, 3, null));

        Assert.Equal<LeaseEffect>([new SetTimer(new LeaseTimerKey(1, LeaseTimer.DrainCheck), LeasePolicy.DrainPollInterval)], effects);
        Assert.Equal(3, book.Find(1)!.DrainSessions);
        Assert.Empty(stopping);
    }

    [Fact]
    public void CountFailed_LogsIt_AndCountsAgain()
    {
        var (book, effects) = Decide(Rotated(), new DrainChecked(1, null, new TimeoutException()));

        Assert.Equal<LeaseEffect>(
            [new LogDrainCheckFailed("lease-1", nameof(TimeoutException)), new SetTimer(new LeaseTimerKey(1, LeaseTimer.DrainCheck), LeasePolicy.DrainPollInterval)],
            effects);
        Assert.Null(book.Find(1)!.DrainSessions);
    }

    [Fact]
    public void DrainDeadline_RevokesTheLease_SayingWhichSessionsItEnds()
    {
        var (busy, _) = Decide(Rotated(), new DrainChecked(1, 2, null));

        var idle = Decide(Rotated() with { InFlight = 0 }, new TimerFired(new LeaseTimerKey(1, LeaseTimer.Drain), 1)).Effects;
        var ended = Decide(busy, new TimerFired(new LeaseTimerKey(1, LeaseTimer.Drain), 2)).Effects;

        Assert.Empty(idle.OfType<LogStillInUseAtDrainDeadline>());
        Assert.Single(idle.OfType<SendRevoke>());
        Assert.Equal(new LogStillInUseAtDrainDeadline("lease-1", "v_1", 2), Single<LogStillInUseAtDrainDeadline>(ended));
        Assert.Single(ended.OfType<SendRevoke>());
    }
}
