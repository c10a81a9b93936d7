using LeaseAgent.ScaiVault;

namespace LeaseAgent.Leasing;

/// <summary>
/// What <see cref="LeasePolicy.Decide"/> asks the supervisor (the shell) to do: the I/O, timers, metrics and log lines
/// that follow from a decision. Effects are plain values, so a test of the policy compares them and needs no fakes.
/// Leases are named by their <see cref="Lease.Serial"/>; an operation's outcome comes back as the event named.
/// </summary>
public abstract record LeaseEffect
{
    // Sealed, so that no effect generates its own printer: the names are enough for a test's failure message, and the
    // binary stays within its size budget.
    public sealed override string ToString() => GetType().Name;
}

// ---- requests to ScaiVault and Postgres (each reports back once: the book counts them in InFlight) ----

/// <summary>Generate a lease under <paramref name="ClientRef"/>; reports <see cref="GenerateCompleted"/>.</summary>
public sealed record Generate(int Lease, string ClientRef, TimeSpan? Ttl) : LeaseEffect;

/// <summary>Look a journalled lease up and renew it, to take it over; reports <see cref="AdoptCompleted"/>.</summary>
/// <param name="Increment">Null: ask for the duration the lookup reports.</param>
public sealed record AdoptLease(int Lease, string LeaseId, TimeSpan? Increment) : LeaseEffect;

/// <summary>Log in with a new credential before it is published; reports <see cref="ProbeCompleted"/>.</summary>
public sealed record Probe(int Lease, DatabaseCredential Credential) : LeaseEffect;

/// <summary>Log in once with the published credential (no propagation window); reports <see cref="CurrentProbeCompleted"/>.</summary>
public sealed record ProbeCurrent(int Lease, DatabaseCredential Credential) : LeaseEffect;

/// <summary>Renew a lease, with no retry past <paramref name="Deadline"/> (its expiry); reports <see cref="RenewCompleted"/>.</summary>
public sealed record Renew(int Lease, string LeaseId, TimeSpan Increment, long Deadline) : LeaseEffect;

/// <summary>Send a lease's revocation; reports <see cref="RevokeCompleted"/>.</summary>
public sealed record SendRevoke(int Lease, string LeaseId) : LeaseEffect;

/// <summary>Count the app's sessions on a retiring lease's user, logged in as <paramref name="Observer"/>; reports <see cref="DrainChecked"/>.</summary>
public sealed record CountSessions(int Lease, DatabaseCredential Observer, string Username) : LeaseEffect;

/// <summary>Look a doubtful generate's reference up at ScaiVault; reports <see cref="IntentResolved"/>.</summary>
public sealed record LookUpIntent(JournalIntent Intent) : LeaseEffect;

// ---- the volume, the app, the timers ----

/// <summary>Write the lease's credential file (the journal already names it current); reports <see cref="PublishCompleted"/> at once.</summary>
public sealed record PublishCredential(Lease Lease) : LeaseEffect;

/// <summary>Remove the credential file: its credential is dead, and the app should fail fast rather than use it.</summary>
public sealed record Unpublish : LeaseEffect;

/// <summary>Tell the app a new credential is published.</summary>
public sealed record SignalApp(string Reason) : LeaseEffect;

/// <summary>(Re)set a timer; <see cref="TimeSpan.MaxValue"/> only cancels it.</summary>
public sealed record SetTimer(TimerKey Key, TimeSpan Due) : LeaseEffect;

public sealed record CancelTimer(TimerKey Key) : LeaseEffect;

/// <summary>Cancel every timer of one lease.</summary>
public sealed record CancelLeaseTimers(int Lease) : LeaseEffect;

// ---- the shutdown ----

/// <summary>Start counting <c>SHUTDOWN_TIMEOUT</c> (<see cref="ShutdownBudgetSpent"/> comes when it is spent).</summary>
public sealed record StartShutdownClock : LeaseEffect;

/// <summary>Nothing new starts: every timer and the heartbeat stop, and probes, renewals and drain checks are cancelled.</summary>
public sealed record StopStartingWork : LeaseEffect;

/// <summary>The shutdown is over: delete the journal (or keep what was not revoked), remove the file, log the outcome.</summary>
public sealed record FinishShutdown(bool DeleteJournal, int Revoked, int Failed) : LeaseEffect;

// ---- metrics ----

/// <summary>A rotation ended (<c>ok</c>, <c>failed</c>).</summary>
public sealed record CountRotation(string Result) : LeaseEffect;

/// <summary>A renewal of the current lease ended (<c>ok</c>, <c>capped</c>, <c>failed</c>, <c>lost</c>).</summary>
public sealed record CountRenewal(string Result) : LeaseEffect;

/// <summary>A revocation ended (<c>ok</c>, <c>failed</c>).</summary>
public sealed record CountRevocation(string Result) : LeaseEffect;

public sealed record CountProbeFailure(string Failure) : LeaseEffect;

/// <summary>A line for the person on call; the shell turns it into the source-generated log message of the same name.</summary>
public abstract record LogEffect : LeaseEffect;

public sealed record LogTransition(int Generation, string? LeaseId, LeaseTransition Transition) : LogEffect;

public sealed record LogJournalRecovered(string? AdoptedLeaseId, int Revoking, int Intents) : LogEffect;

public sealed record LogAdoptionFailed(string? LeaseId, string Reason) : LogEffect;

public sealed record LogAcquireFailed(string Code, string? RequestId, string Message, TimeSpan RetryIn) : LogEffect;

public sealed record LogUnusableGrantRevoked(string LeaseId, string Code, string Message) : LogEffect;

public sealed record LogProbePassed(string Username, int Attempts) : LogEffect;

public sealed record LogProbeFailed(string Username, int Attempts, string Failure, string? Error) : LogEffect;

public sealed record LogTooShortToPublish(string? LeaseId, TimeSpan Left, TimeSpan Duration) : LogEffect;

/// <summary>The shell adds the file's path, which is configuration, not state.</summary>
public sealed record LogPublishFailed(string Error) : LogEffect;

public sealed record LogPublished(int Generation, string Username, string LeaseId, TimeSpan ExpiresIn, TimeSpan HardEndIn) : LogEffect;

public sealed record LogRenewed(string LeaseId, TimeSpan Duration, TimeSpan NextRenewalIn, TimeSpan RotationIn) : LogEffect;

public sealed record LogRenewFailed(string? LeaseId, string Code, string? RequestId, string Message, TimeSpan RetryIn, TimeSpan ExpiresIn) : LogEffect;

public sealed record LogRetiringRenewed(string? LeaseId, string Outcome) : LogEffect;

public sealed record LogLeaseLost(string? LeaseId, string Reason) : LogEffect;

public sealed record LogExpired(string? LeaseId) : LogEffect;

public sealed record LogLostSoonAfterPublishing(string? LeaseId, TimeSpan Lived, int Count, TimeSpan RetryIn) : LogEffect;

public sealed record LogRotationStarted(string? LeaseId, string Reason, int Generation) : LogEffect;

/// <summary>The shell adds the drain timeout, which is configuration, not state.</summary>
public sealed record LogRetiring(string? LeaseId) : LogEffect;

public sealed record LogDrainCutShort(string? LeaseId, int Generation) : LogEffect;

public sealed record LogDrainCheckFailed(string? LeaseId, string Error) : LogEffect;

public sealed record LogDrained(string? LeaseId, string Username) : LogEffect;

/// <summary>The shell adds the drain timeout.</summary>
public sealed record LogStillInUseAtDrainDeadline(string? LeaseId, string Username, int Sessions) : LogEffect;

public sealed record LogRevoked(string? LeaseId, int Generation) : LogEffect;

public sealed record LogRevokeFailed(string? LeaseId, string Code, string? RequestId, string Message) : LogEffect;

public sealed record LogIntentLookingUp(string ClientRef, string Reason) : LogEffect;

public sealed record LogIntentUnresolved(string ClientRef, string Reason) : LogEffect;

/// <summary>The shell adds the delay.</summary>
public sealed record LogRevokeDelayed : LogEffect;

public sealed record LogNotRevoking(int Count) : LogEffect;

/// <summary>The shell adds the budget.</summary>
public sealed record LogShuttingDown(int Count) : LogEffect;

/// <summary>The shell adds the budget.</summary>
public sealed record LogShutdownBudgetSpent(int InFlight) : LogEffect;
