using ScaiVault.Client;

namespace LeaseAgent.Leasing;

/// <summary>
/// The lease policy as one pure function: given the <see cref="LeaseBook"/> and an event, the next book and the
/// effects to carry out (<see cref="LeaseEffect"/>). No clock, no randomness, no I/O: the supervisor executes the
/// effects and posts their outcomes back as events. See ADR 0013.
/// </summary>
/// <remarks>
/// Decided here so far: the look-ups of doubtful generates (<see cref="IntentResolved"/> and the
/// <see cref="IntentLookupTimer"/>) and the drain of retiring leases (<see cref="DrainChecked"/> and the
/// <see cref="LeaseTimer.DrainCheck"/> and <see cref="LeaseTimer.Drain"/> timers). The other events are still
/// handled by the supervisor's partial files, which fire the leases' machines in place; <see cref="Decides"/> says
/// which is which.
/// </remarks>
public static class LeasePolicy
{
    /// <summary>Failed look-ups of one reference (or revocations of one lease) before the agent leaves it to the TTL.</summary>
    public const int MaxAttempts = 8;

    /// <summary>A doubtful generate's reference is looked up again this long after the first look-up: a server may store a lease it was slow to mint only after the agent gave up.</summary>
    public static readonly TimeSpan IntentSettleTime = TimeSpan.FromMinutes(1);

    /// <summary>How often a retiring lease's sessions are counted once the first count found some (or failed).</summary>
    public static readonly TimeSpan DrainPollInterval = TimeSpan.FromSeconds(1);

    /// <summary>Whether <see cref="Decide"/> handles <paramref name="agentEvent"/>.</summary>
    public static bool Decides(AgentEvent agentEvent) => agentEvent is IntentResolved or DrainChecked
        or TimerFired { Key: IntentLookupTimer or LeaseTimerKey { Timer: LeaseTimer.DrainCheck or LeaseTimer.Drain } };

    public static (LeaseBook Book, IReadOnlyList<LeaseEffect> Effects) Decide(LeaseBook book, AgentEvent agentEvent) => agentEvent switch
    {
        IntentResolved { LeaseIds: null } e => IntentLookupFailed(book, e.Intent, e.Error),
        IntentResolved { LeaseIds: { } ids } e => IntentFound(book, e.Intent, ids),
        TimerFired { Key: IntentLookupTimer { Intent: var intent } } => IntentLookupDue(book, intent),
        DrainChecked e => SessionsCounted(book, e.Lease, e.Sessions, e.Error),
        TimerFired { Key: LeaseTimerKey { Timer: LeaseTimer.DrainCheck, Lease: var lease } } => DrainCheckDue(book, lease),
        TimerFired { Key: LeaseTimerKey { Timer: LeaseTimer.Drain, Lease: var lease } } => DrainDeadlineReached(book, lease),
        _ => throw new ArgumentException($"the policy does not decide {agentEvent.GetType().Name} yet", nameof(agentEvent)),
    };

    // ---- doubtful generates ----
    // A generate that may have minted a lease nobody was told about (its answer never came or could not be used, an
    // earlier attempt of it got none, or a previous agent's) is found by the reference sent with it, and what it finds
    // is revoked. It is looked up at once and, because a server still creating the user when the agent gave up stores
    // the lease only later, once more after IntentSettleTime; a failed look-up is retried with backoff. The intent stays
    // journalled until then, so the shutdown, or a restart, looks again.

    /// <param name="reason">Why the generate is in doubt, for the log; null for a journalled intent (logged on recovery).</param>
    public static (LeaseBook Book, IReadOnlyList<LeaseEffect> Effects) TrackIntent(LeaseBook book, JournalIntent intent, string? reason)
    {
        if (book.FindIntent(intent) is not null)
        {
            return (book, []);
        }

        var effects = new List<LeaseEffect>();
        if (reason is not null)
        {
            effects.Add(new LogIntentLookingUp(intent.ClientRef, reason));
        }

        if (!book.Stopping)
        {
            effects.Add(new LookUpIntent(intent)); // the shutdown looks up every unresolved intent itself
        }

        return (book.WithIntent(new IntentLookup(intent)), effects);
    }

    private static (LeaseBook, IReadOnlyList<LeaseEffect>) IntentLookupDue(LeaseBook book, JournalIntent intent) =>
        !book.Stopping && book.FindIntent(intent) is not null ? (book, [new LookUpIntent(intent)]) : (book, []);

    private static (LeaseBook, IReadOnlyList<LeaseEffect>) IntentLookupFailed(LeaseBook book, JournalIntent intent, Exception? error)
    {
        var (code, _, message) = Describe(error);
        List<LeaseEffect> effects = [new LogIntentUnresolved(intent.ClientRef, $"{code}: {message}")];

        // During the shutdown a failed look-up is final: the intent stays journalled for the next agent.
        if (book.FindIntent(intent) is not { } lookup || book.Stopping)
        {
            return (book, effects);
        }

        lookup = lookup with { Failures = lookup.Failures + 1 };
        if (lookup.Failures < MaxAttempts)
        {
            effects.Add(new SetTimer(new IntentLookupTimer(intent), new BackoffAfterFailure(lookup.Failures, error)));
        }

        return (book.WithIntent(lookup), effects);
    }

    private static (LeaseBook, IReadOnlyList<LeaseEffect>) IntentFound(LeaseBook book, JournalIntent intent, IReadOnlyList<string> leaseIds)
    {
        // Leases the agent already tracks (the generate's own answer, say) are not orphans.
        var effects = leaseIds
            .Distinct()
            .Where(id => book.Leases.All(l => l.LeaseId != id))
            .Select(LeaseEffect (id) => new RevokeOrphan(id, intent))
            .ToList();

        if (book.FindIntent(intent) is { Settled: false } lookup && !book.Stopping)
        {
            effects.Add(new SetTimer(new IntentLookupTimer(intent), new After(IntentSettleTime)));
            return (book.WithIntent(lookup with { Settled = true, Failures = 0 }), effects);
        }

        effects.Add(new CancelTimer(new IntentLookupTimer(intent)));
        return (book.WithoutIntent(intent), effects);
    }

    // ---- retiring leases ----
    // A superseded lease is revoked once pg_stat_activity shows no session of its user, or when LEASE_DRAIN_TIMEOUT
    // passes, whichever comes first. Its events are ignored once it has left Retiring (revoked, lost, cut short).

    private static (LeaseBook, IReadOnlyList<LeaseEffect>) DrainCheckDue(LeaseBook book, Lease lease) =>
        lease.State == LeaseState.Retiring ? (book, [new CountSessions(lease)]) : (book, []);

    private static (LeaseBook, IReadOnlyList<LeaseEffect>) SessionsCounted(LeaseBook book, Lease retiring, int? sessions, Exception? error)
    {
        if (retiring.State != LeaseState.Retiring)
        {
            return (book, []);
        }

        var effects = new List<LeaseEffect>();
        if (sessions is null)
        {
            effects.Add(new LogDrainCheckFailed(retiring.LeaseId, error?.GetType().Name ?? "the query failed"));
        }

        effects.Add(new RecordDrainSessions(retiring, sessions));
        if (sessions == 0)
        {
            effects.Add(new LogDrained(retiring.LeaseId, retiring.Credential!.Username));
            effects.Add(new RevokeLease(retiring));
        }
        else if (!book.Stopping)
        {
            effects.Add(new SetTimer(new LeaseTimerKey(retiring, LeaseTimer.DrainCheck), new After(DrainPollInterval)));
        }

        return (book, effects);
    }

    private static (LeaseBook, IReadOnlyList<LeaseEffect>) DrainDeadlineReached(LeaseBook book, Lease retiring)
    {
        if (retiring.State != LeaseState.Retiring)
        {
            return (book, []);
        }

        // Revoking ends the sessions still open: say so, for whoever wonders why the app saw errors.
        return retiring.DrainSessions is > 0 and var sessions
            ? (book, [new LogStillInUseAtDrainDeadline(retiring.LeaseId, retiring.Credential?.Username ?? "?", sessions), new RevokeLease(retiring)])
            : (book, [new RevokeLease(retiring)]);
    }

    /// <summary>A failure as the status file's code, the server's request id and a message for the log.</summary>
    public static (string Code, string? RequestId, string Message) Describe(Exception? error) => error switch
    {
        ScaiVaultException e => (e.Code, e.RequestId, e.Message),
        OperationCanceledException => ("cancelled", null, "the operation was cancelled"),
        null => ("unknown", null, "no answer"),
        _ => ("unexpected", null, error.GetType().Name),
    };
}
