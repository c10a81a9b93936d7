namespace LeaseAgent.Leasing;

/// <summary>
/// What <see cref="LeasePolicy.Decide"/> asks the supervisor (the shell) to do: the I/O, timers and log lines that
/// follow from a decision. Effects are plain values, so a test of the policy compares them and needs no fakes.
/// </summary>
public abstract record LeaseEffect;

/// <summary>Look a doubtful generate's reference up at ScaiVault; the answer comes back as <see cref="IntentResolved"/>.</summary>
public sealed record LookUpIntent(JournalIntent Intent) : LeaseEffect;

/// <summary>Revoke a lease nobody was told about (found by a reference): the shell books it as an orphan and revokes it.</summary>
public sealed record RevokeOrphan(string LeaseId, JournalIntent Intent) : LeaseEffect;

/// <summary>Revoke a lease the agent holds (<c>Revoke</c>: cancel its timers, fire its machine, send the request).</summary>
public sealed record RevokeLease(Lease Lease) : LeaseEffect;

/// <summary>Count the app's sessions on a retiring lease's user; the answer comes back as <see cref="DrainChecked"/>.</summary>
public sealed record CountSessions(Lease Retiring) : LeaseEffect;

/// <summary>Remember a retiring lease's session count (null: unknown), for the drain deadline's log line.</summary>
public sealed record RecordDrainSessions(Lease Retiring, int? Sessions) : LeaseEffect;

/// <summary>(Re)set a timer.</summary>
public sealed record SetTimer(TimerKey Key, TimerDue Due) : LeaseEffect;

public sealed record CancelTimer(TimerKey Key) : LeaseEffect;

/// <summary>A line for the person on call; the shell turns it into the source-generated log message of the same name.</summary>
public abstract record LogEffect : LeaseEffect;

public sealed record LogIntentLookingUp(string ClientRef, string Reason) : LogEffect;

public sealed record LogIntentUnresolved(string ClientRef, string Reason) : LogEffect;

public sealed record LogDrainCheckFailed(string? LeaseId, string Error) : LogEffect;

public sealed record LogDrained(string? LeaseId, string Username) : LogEffect;

/// <summary>The shell adds the drain timeout, which is configuration, not state.</summary>
public sealed record LogStillInUseAtDrainDeadline(string? LeaseId, string Username, int Sessions) : LogEffect;

/// <summary>When a timer is due. A backoff is drawn by the shell, which owns the randomness, so the policy stays pure.</summary>
public abstract record TimerDue;

/// <summary>A fixed delay.</summary>
public sealed record After(TimeSpan Delay) : TimerDue;

/// <summary>The backoff after the <paramref name="Failures"/>th failure in a row, honouring a server's <c>Retry-After</c>.</summary>
public sealed record BackoffAfterFailure(int Failures, Exception? Error) : TimerDue;
