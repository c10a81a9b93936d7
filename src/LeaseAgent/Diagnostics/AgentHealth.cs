using LeaseAgent.Publishing;

namespace LeaseAgent.Diagnostics;

/// <summary>
/// The latest status the supervisor reported, shared with the health endpoint and the metrics. The
/// supervisor replaces the immutable snapshot; readers on other threads only ever see a whole one.
/// </summary>
public sealed class AgentHealth
{
    private volatile AgentStatus? _status;
    private volatile LeaseSnapshot? _lease;

    public AgentStatus? Status => _status;

    /// <summary>The published lease's deadlines, or null when nothing is published.</summary>
    public LeaseSnapshot? Lease => _lease;

    private volatile bool _secretsReady = true;

    /// <summary>
    /// False from start-up until every <c>SECRETS</c> file has been written once: the agent is not ready before.
    /// Setting it asks the status writer (<see cref="StatusInvalidated"/>) to write the status again at once.
    /// </summary>
    public bool SecretsReady
    {
        get => _secretsReady;
        set
        {
            _secretsReady = value;
            StatusInvalidated?.Invoke();
        }
    }

    /// <summary>Set by whoever writes the status file (the lease supervisor) to hear of changes made elsewhere.</summary>
    public Action? StatusInvalidated { get; set; }

    public void Report(AgentStatus status, LeaseSnapshot? lease)
    {
        _status = status;
        _lease = lease;
    }
}

/// <summary>The published lease's deadlines on the monotonic clock, for gauges.</summary>
/// <param name="ExpiresAt">When the lease expires (<see cref="TimeProvider.GetTimestamp"/>).</param>
/// <param name="HardEndAt">When its max TTL ends; <see cref="long.MaxValue"/> when the server did not say.</param>
public sealed record LeaseSnapshot(long ExpiresAt, long HardEndAt, int Generation, string State);
