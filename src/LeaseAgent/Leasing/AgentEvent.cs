using LeaseAgent.Postgres;
using LeaseAgent.ScaiVault;

namespace LeaseAgent.Leasing;

/// <summary>Everything the supervisor's loop reacts to. Timers and finished operations post these; nothing else fires a lease.</summary>
public abstract record AgentEvent;

/// <summary>An operation started by the loop has finished; the loop keeps count of those in flight.</summary>
public abstract record OperationCompleted(Exception? Error) : AgentEvent;

public sealed record GenerateCompleted(Lease Lease, LeaseGrant? Grant, Exception? Error) : OperationCompleted(Error);

public sealed record ProbeCompleted(Lease Lease, ProbeResult? Result, Exception? Error) : OperationCompleted(Error);

public sealed record RenewCompleted(Lease Lease, LeaseGrant? Grant, TimeSpan Requested, Exception? Error) : OperationCompleted(Error);

public sealed record RevokeCompleted(Lease Lease, Exception? Error) : OperationCompleted(Error);

public sealed record AdoptCompleted(Lease Lease, LeaseGrant? Grant, Exception? Error) : OperationCompleted(Error);

public sealed record CurrentProbeCompleted(Lease Lease, ProbeResult? Result, Exception? Error) : OperationCompleted(Error);

public sealed record DrainChecked(Lease Lease, int? Sessions, Exception? Error) : OperationCompleted(Error);

/// <summary>A journalled intent looked up by its client reference; <paramref name="LeaseIds"/> is null when the lookup failed.</summary>
public sealed record IntentResolved(JournalIntent Intent, IReadOnlyList<string>? LeaseIds, Exception? Error) : OperationCompleted(Error);

/// <summary>A <see cref="LeaseTimers"/> timer went off; stale when its key was set again or cancelled since (<paramref name="Sequence"/> tells).</summary>
public sealed record TimerFired(TimerKey Key, long Sequence) : AgentEvent;

/// <summary>SIGTERM/SIGINT: the loop switches to shutting down (see <c>LeaseSupervisor.Shutdown.cs</c>).</summary>
public sealed record StopRequested : AgentEvent;

/// <summary><c>SHUTDOWN_TIMEOUT</c> has passed since the stop was requested: the shutdown ends with whatever is left.</summary>
public sealed record ShutdownBudgetSpent : AgentEvent;

/// <summary>Periodic: refreshes the status file's <c>updated_at</c>, the liveness signal.</summary>
public sealed record Heartbeat : AgentEvent;

/// <summary>
/// Completes once the loop has handled every event posted before it. For tests that advance a fake clock and
/// must know that nothing happened, rather than sleep and hope.
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
