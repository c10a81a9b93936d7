using LeaseAgent.Postgres;
using LeaseAgent.ScaiVault;

namespace LeaseAgent.Leasing;

/// <summary>
/// Everything the lease policy reacts to. Timers and finished operations post these; the supervisor hands each to
/// <see cref="LeasePolicy.Decide"/>. Events name a lease by its <see cref="Lease.Serial"/>: an event about a lease the
/// book no longer holds is ignored.
/// </summary>
public abstract record AgentEvent;

/// <summary>The supervisor has started and read the journal a previous agent on this volume may have left.</summary>
public sealed record Started(JournalDocument Journal) : AgentEvent;

/// <summary>An operation started by an effect has finished; the book keeps count of those in flight.</summary>
public abstract record OperationCompleted(Exception? Error) : AgentEvent;

public sealed record GenerateCompleted(int Lease, LeaseGrant? Grant, Exception? Error) : OperationCompleted(Error);

public sealed record ProbeCompleted(int Lease, ProbeResult? Result, Exception? Error) : OperationCompleted(Error);

public sealed record RenewCompleted(int Lease, LeaseGrant? Grant, TimeSpan Requested, Exception? Error) : OperationCompleted(Error);

public sealed record RevokeCompleted(int Lease, Exception? Error) : OperationCompleted(Error);

public sealed record AdoptCompleted(int Lease, LeaseGrant? Grant, Exception? Error) : OperationCompleted(Error);

public sealed record CurrentProbeCompleted(int Lease, ProbeResult? Result, Exception? Error) : OperationCompleted(Error);

public sealed record DrainChecked(int Lease, int? Sessions, Exception? Error) : OperationCompleted(Error);

/// <summary>A journalled intent looked up by its client reference; <paramref name="LeaseIds"/> is null when the lookup failed.</summary>
public sealed record IntentResolved(JournalIntent Intent, IReadOnlyList<string>? LeaseIds, Exception? Error) : OperationCompleted(Error);

/// <summary>The credential file was written (<paramref name="Error"/> null) or could not be; reported at once, within the same turn of the loop.</summary>
public sealed record PublishCompleted(int Lease, string? Error) : AgentEvent;

/// <summary>A <see cref="LeaseTimers"/> timer went off (the supervisor passes on only those still set).</summary>
public sealed record TimerFired(TimerKey Key, long Sequence) : AgentEvent;

/// <summary>SIGTERM/SIGINT: the policy switches to shutting down (<see cref="ShutdownPhase"/>).</summary>
public sealed record StopRequested : AgentEvent;

/// <summary>The supervisor hit a bug: shut down at once, without the revoke delay, revoking what is held.</summary>
public sealed record Crashed : AgentEvent;

/// <summary><c>SHUTDOWN_TIMEOUT</c> has passed since the stop was requested: the shutdown ends with whatever is left.</summary>
public sealed record ShutdownBudgetSpent : AgentEvent;

/// <summary>Periodic: refreshes the status file's <c>updated_at</c>, the liveness signal. The supervisor answers it.</summary>
public sealed record Heartbeat : AgentEvent;

/// <summary>
/// Completes once the loop has handled every event posted before it. For tests that advance a fake clock and
/// must know that nothing happened, rather than sleep and hope. The supervisor answers it.
/// </summary>
internal sealed record Barrier(TaskCompletionSource Passed) : AgentEvent;

public enum LeaseTimer
{
    Renew,
    Rotate,
    Expiry,
    DrainCheck,
    Drain,
    RevokeRetry,
}
