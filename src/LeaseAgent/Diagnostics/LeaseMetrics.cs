using System.Diagnostics.Metrics;

namespace LeaseAgent.Diagnostics;

/// <summary>
/// The agent's metrics as <see cref="System.Diagnostics.Metrics"/> instruments on the <c>LeaseAgent</c>
/// meter; exported in Prometheus format when <c>HEALTH_ADDRESS</c> is set. Labels carry outcomes and
/// states only, never an identifier or a secret.
/// </summary>
public sealed class LeaseMetrics : IDisposable
{
    public const string MeterName = "LeaseAgent";

    private readonly Meter _meter;
    private readonly Counter<long> _renewals;
    private readonly Counter<long> _rotations;
    private readonly Counter<long> _probeFailures;
    private readonly Counter<long> _revocations;

    public LeaseMetrics(AgentHealth health, TimeProvider time)
    {
        _meter = new Meter(MeterName);
        _renewals = _meter.CreateCounter<long>("leaseagent_renewals", description: "Lease renewals by result (ok, capped, failed, lost).");
        _rotations = _meter.CreateCounter<long>("leaseagent_rotations", description: "Credential rotations by result (ok, failed).");
        _probeFailures = _meter.CreateCounter<long>("leaseagent_probe_failures", description: "Failed probes of new credentials by reason.");
        _revocations = _meter.CreateCounter<long>("leaseagent_revocations", description: "Lease revocations by result (ok, failed).");

        _meter.CreateObservableGauge(
            "leaseagent_lease_time_left_seconds",
            () => health.Lease is { } lease ? [new Measurement<double>(Seconds(time, lease.ExpiresAt))] : Array.Empty<Measurement<double>>(),
            unit: "s",
            description: "Seconds until the published lease expires unless renewed.");
        _meter.CreateObservableGauge(
            "leaseagent_lease_time_to_hard_end_seconds",
            () => health.Lease is { HardEndAt: not long.MaxValue } lease ? [new Measurement<double>(Seconds(time, lease.HardEndAt))] : Array.Empty<Measurement<double>>(),
            unit: "s",
            description: "Seconds until the published lease reaches its max TTL.");
        _meter.CreateObservableGauge(
            "leaseagent_generation",
            () => health.Status?.Generation ?? 0,
            description: "Generation of the published credential (1 for the first, +1 per replacement).");
        _meter.CreateObservableGauge(
            "leaseagent_ready",
            () => health.Status is { Ready: true } ? 1 : 0,
            description: "1 when a probed credential is published.");
        _meter.CreateObservableGauge(
            "leaseagent_state",
            () => health.Status is { } status ? [new Measurement<int>(1, new KeyValuePair<string, object?>("state", status.State))] : Array.Empty<Measurement<int>>(),
            description: "1 for the current state of the agent's lease.");
    }

    public void RenewalCompleted(string result) => _renewals.Add(1, new KeyValuePair<string, object?>("result", result));

    public void RotationCompleted(string result) => _rotations.Add(1, new KeyValuePair<string, object?>("result", result));

    public void ProbeFailed(string reason) => _probeFailures.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void RevocationCompleted(string result) => _revocations.Add(1, new KeyValuePair<string, object?>("result", result));

    public void Dispose() => _meter.Dispose();

    private static double Seconds(TimeProvider time, long timestamp) => time.GetElapsedTime(time.GetTimestamp(), timestamp).TotalSeconds;
}
