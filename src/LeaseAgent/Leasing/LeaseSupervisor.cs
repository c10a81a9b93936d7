using System.Diagnostics;
using System.Threading.Channels;
using LeaseAgent.Configuration;
using LeaseAgent.Diagnostics;
using LeaseAgent.Postgres;
using LeaseAgent.Publishing;
using LeaseAgent.ScaiVault;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LeaseAgent.Leasing;

/// <summary>
/// Owns the current lease, the one being acquired and any retiring ones, and drives them all from one loop
/// over a <see cref="Channel{T}"/>: timers and finished I/O post events, the loop fires the machines and
/// starts the next piece of I/O. Nothing else touches a lease, so no machine is ever fired concurrently.
/// </summary>
public sealed class LeaseSupervisor : BackgroundService
{
    /// <summary>The status file is rewritten at least this often, so <c>lease-agent probe live</c> can tell a hung agent.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan RevokeRequestBudget = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan GenerateRequestBudget = TimeSpan.FromSeconds(60);
    private const int MaxRevokeAttempts = 8;

    private readonly AgentOptions _options;
    private readonly IScaiVaultClient _vault;
    private readonly ICredentialProbe _probe;
    private readonly CredentialPublisher _publisher;
    private readonly TimeProvider _time;
    private readonly ILogger<LeaseSupervisor> _logger;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly AgentHealth _health;
    private readonly LeaseMetrics _metrics;

    private readonly Channel<AgentEvent> _events = Channel.CreateUnbounded<AgentEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<(Lease Lease, LeaseTimer Timer), ITimer> _timers = [];
    private readonly List<Lease> _leases = [];

    // Probes and renewals stop at once on shutdown; a generate request may finish inside the shutdown budget,
    // because the server may already have minted its user and the agent must learn the lease id to revoke it.
    private readonly CancellationTokenSource _operations = new();
    private readonly CancellationTokenSource _shutdownBudget = new();

    // Per-pod jitter, drawn once, so that pods started together spread their renewals.
    private readonly double _jitter = (Random.Shared.NextDouble() * 2) - 1;

    private Lease? _current;
    private Lease? _next;
    private ITimer? _acquireTimer;
    private ITimer? _heartbeat;
    private int _generation;
    private int _acquireFailures;
    private int _inFlight;
    private bool _stopping;
    private string? _lastError;
    private bool _degraded;
    private AgentStatus? _lastStatus;

    public LeaseSupervisor(
        AgentOptions options,
        IScaiVaultClient vault,
        ICredentialProbe probe,
        CredentialPublisher publisher,
        TimeProvider time,
        ILogger<LeaseSupervisor> logger,
        IHostApplicationLifetime lifetime,
        AgentHealth health,
        LeaseMetrics metrics)
    {
        _options = options;
        _vault = vault;
        _probe = probe;
        _publisher = publisher;
        _time = time;
        _logger = logger;
        _lifetime = lifetime;
        _health = health;
        _metrics = metrics;
    }

    /// <summary>0 when every lease was revoked on shutdown, 1 otherwise.</summary>
    public int ExitCode { get; private set; }

    /// <summary>The lease whose credential is published, if any (for tests and diagnostics).</summary>
    public Lease? Current => _current;

    public override void Dispose()
    {
        foreach (var timer in _timers.Values)
        {
            timer.Dispose();
        }

        _acquireTimer?.Dispose();
        _heartbeat?.Dispose();
        _operations.Dispose();
        _shutdownBudget.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            WriteStatus();
            _heartbeat = _time.CreateTimer(_ => _events.Writer.TryWrite(new Heartbeat()), null, HeartbeatInterval, HeartbeatInterval);
            Acquire();
            await foreach (var agentEvent in _events.Reader.ReadAllAsync(stoppingToken))
            {
                Handle(agentEvent);
                WriteStatus();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // SIGTERM/SIGINT: fall through to the revoking shutdown.
        }
        catch (Exception e)
        {
            // A bug, not a fault the design handles: still revoke what is held, then stop with a non-zero code
            // so that the kubelet restarts the container.
            Log.SupervisorCrashed(_logger, e);
            _lastError = "supervisor_crashed";
            await ShutdownAsync();
            ExitCode = 1;
            _lifetime.StopApplication();
            return;
        }

        await ShutdownAsync();
    }

    private void Handle(AgentEvent agentEvent)
    {
        if (agentEvent is OperationCompleted)
        {
            _inFlight--;
        }

        switch (agentEvent)
        {
            case GenerateCompleted e:
                OnGenerated(e.Lease, e.Grant, e.Error);
                break;
            case ProbeCompleted e:
                OnProbed(e.Lease, e.Result, e.Error);
                break;
            case RenewCompleted e:
                OnRenewed(e.Lease, e.Grant, e.Requested, e.Error);
                break;
            case RevokeCompleted e:
                OnRevoked(e.Lease, e.Error);
                break;
            case TimerFired e:
                OnTimer(e.Lease, e.Timer);
                break;
            case AcquireDue:
                Acquire();
                break;
            case Heartbeat:
                _lastStatus = null; // forces a write: updated_at is the liveness signal
                break;
        }
    }

    // ---- acquiring: generate -> probe -> publish ----

    private void Acquire()
    {
        if (_stopping || _next is not null)
        {
            return;
        }

        var lease = new Lease(++_generation, _time, OnTransition);
        _leases.Add(lease);
        _next = lease;
        lease.StartGenerating();
        var deadline = _time.GetTimestamp() + Ticks(GenerateRequestBudget);
        Start(
            ct => _vault.GenerateAsync(_options.Lease.Ttl, deadline, ct),
            (grant, error) => new GenerateCompleted(lease, grant, error),
            _shutdownBudget.Token);
    }

    private void OnGenerated(Lease lease, LeaseGrant? grant, Exception? error)
    {
        if (grant is null)
        {
            lease.FailGeneration();
            Forget(lease);
            _next = null;
            var (code, requestId, message) = Describe(error);
            _lastError = code;
            var retryIn = ScaiVaultResilience.FullJitter(_acquireFailures++, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), Random.Shared);
            if (error is ScaiVaultException { RetryAfter: { } retryAfter } && retryAfter > retryIn)
            {
                retryIn = retryAfter;
            }

            if (_current is not null)
            {
                _metrics.RotationCompleted("failed");
                _degraded = true;
            }

            Log.AcquireFailed(_logger, code, requestId, message, retryIn.TotalSeconds);
            ScheduleAcquire(retryIn);
            return;
        }

        lease.Issue(grant);
        if (_stopping)
        {
            return; // Probing: the shutdown revokes it.
        }

        var credential = lease.Credential!;
        Start(
            ct => _probe.ProbeAsync(credential, ct),
            (result, probeError) => new ProbeCompleted(lease, result, probeError),
            _operations.Token);
    }

    private void OnProbed(Lease lease, ProbeResult? result, Exception? error)
    {
        if (_stopping || lease.State != LeaseState.Probing)
        {
            return;
        }

        if (result is { Passed: true })
        {
            Log.ProbePassed(_logger, lease.Credential!.Username, result.Attempts);
            lease.PassProbe();
            Publish(lease);
            return;
        }

        var failure = result?.Failure.ToString() ?? "ProbeCrashed";
        _metrics.ProbeFailed(failure);
        Log.ProbeFailed(_logger, lease.Credential!.Username, result?.Attempts ?? 0, failure, result?.Error ?? error?.GetType().Name);
        _lastError = "probe_failed";
        lease.FailProbe();
        AbandonAndRetry(lease);
    }

    private void Publish(Lease lease)
    {
        var document = CredentialFormatter.CreateDocument(_options.Database, lease.Credential!, lease.Grant!, lease.Generation, _time.GetUtcNow());
        try
        {
            _publisher.Publish(document);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.PublishFailed(_logger, _options.Output.File, e.Message);
            _lastError = "publish_failed";
            lease.FailPublish();
            AbandonAndRetry(lease);
            return;
        }

        lease.MarkPublished();
        var previous = _current;
        if (previous is not null)
        {
            _metrics.RotationCompleted("ok");
        }

        _current = lease;
        _next = null;
        _acquireFailures = 0;
        _lastError = null;
        _degraded = false;
        var timeline = lease.Timeline!;
        Log.Published(_logger, lease.Generation, lease.Credential!.Username, lease.LeaseId!, timeline.ExpiresIn(_time).TotalSeconds, Seconds(timeline.HardEndIn(_time)));
        ScheduleLeaseTimers(lease);
        if (previous is not null)
        {
            Retire(previous);
        }
    }

    private void AbandonAndRetry(Lease lease)
    {
        if (_current is not null)
        {
            _metrics.RotationCompleted("failed");
            _degraded = true;
        }

        _next = null;
        Revoke(lease);
        ScheduleAcquire(ScaiVaultResilience.FullJitter(_acquireFailures++, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), Random.Shared));
    }

    private void ScheduleAcquire(TimeSpan delay)
    {
        if (_stopping)
        {
            return;
        }

        _acquireTimer?.Dispose();
        _acquireTimer = _time.CreateTimer(_ => _events.Writer.TryWrite(new AcquireDue()), null, Clamp(delay), Timeout.InfiniteTimeSpan);
    }

    // ---- keeping the current lease: renew, rotate, expire ----

    private void ScheduleLeaseTimers(Lease lease)
    {
        var timeline = lease.Timeline!;
        var grant = lease.Grant!;
        var expiresIn = timeline.ExpiresIn(_time);
        var hardEndIn = grant.Renewable ? timeline.HardEndIn(_time) : Min(timeline.HardEndIn(_time), expiresIn);
        var rotateBefore = RenewalSchedule.RotateBefore(_options.Lease.RotateBefore, lease.Lifetime ?? grant.Duration);
        var rotateIn = RenewalSchedule.RotateAfter(hardEndIn, rotateBefore);

        SetTimer(lease, LeaseTimer.Expiry, expiresIn);
        SetTimer(lease, LeaseTimer.Rotate, rotateIn);

        // Keep renewing while a renewal can still extend the lease, even once rotation is due: if the new
        // lease cannot be had, the current one should live as long as the server allows.
        var renewIn = grant.Renewable && expiresIn < hardEndIn
            ? RenewalSchedule.RenewAfter(grant.Duration, _jitter)
            : TimeSpan.MaxValue;
        SetTimer(lease, LeaseTimer.Renew, renewIn);
    }

    private void OnTimer(Lease lease, LeaseTimer timer)
    {
        _timers.Remove((lease, timer));
        switch (timer)
        {
            case LeaseTimer.Renew when lease == _current && lease.CanFire(LeaseTrigger.RenewDue):
                StartRenewal(lease);
                break;
            case LeaseTimer.Rotate when lease == _current:
                BeginRotation(lease, "is within its rotation lead of the hard end");
                break;
            case LeaseTimer.Expiry when lease.CanFire(LeaseTrigger.LeaseLost):
                OnExpired(lease);
                break;
            case LeaseTimer.Drain when lease.State == LeaseState.Retiring:
                Revoke(lease);
                break;
            case LeaseTimer.RevokeRetry when lease.State == LeaseState.Revoking:
                SendRevoke(lease);
                break;
        }
    }

    private void StartRenewal(Lease lease)
    {
        lease.StartRenewing();
        var increment = _options.Lease.Ttl ?? lease.Timeline!.GrantedDuration;
        var deadline = lease.Timeline!.ExpiresAt;
        var leaseId = lease.LeaseId!;
        Start(
            ct => _vault.RenewAsync(leaseId, increment, deadline, ct),
            (grant, error) => new RenewCompleted(lease, grant, increment, error),
            _operations.Token);
    }

    private void OnRenewed(Lease lease, LeaseGrant? grant, TimeSpan requested, Exception? error)
    {
        if (_stopping || lease.State != LeaseState.Renewing)
        {
            return; // superseded, lost or shutting down while the renewal was in flight
        }

        if (grant is not null)
        {
            lease.Renew(grant);
            ScheduleLeaseTimers(lease);
            var timeline = lease.Timeline!;
            var rotateIn = RenewalSchedule.RotateAfter(timeline.HardEndIn(_time), RenewalSchedule.RotateBefore(_options.Lease.RotateBefore, lease.Lifetime!.Value));
            Log.Renewed(_logger, lease.LeaseId!, grant.Duration.TotalSeconds, Seconds(_timers.ContainsKey((lease, LeaseTimer.Renew)) ? RenewalSchedule.RenewAfter(grant.Duration, _jitter) : TimeSpan.MaxValue), Seconds(rotateIn));
            _lastError = null;
            _degraded = false;
            var capped = RenewalSchedule.IsCapped(requested, grant.Duration, grant.TimeToHardEnd);
            _metrics.RenewalCompleted(capped ? "capped" : "ok");
            if (capped)
            {
                BeginRotation(lease, "was renewed only up to its max TTL");
            }

            return;
        }

        if (error is ScaiVaultException { IsLeaseGone: true })
        {
            _metrics.RenewalCompleted("lost");
            Log.LeaseLost(_logger, lease.LeaseId, "ScaiVault no longer knows it");
            LoseCurrent(lease, "lease_not_found");
            return;
        }

        lease.FailRenewal();
        _metrics.RenewalCompleted("failed");
        _degraded = true; // still valid and published, but the agent cannot currently extend it
        var (code, requestId, message) = Describe(error);
        _lastError = code;
        var expiresIn = lease.Timeline!.ExpiresIn(_time);
        var retryIn = RenewalSchedule.RetryAfter(lease.FailedAttempts, expiresIn, Random.Shared.NextDouble());
        if (error is ScaiVaultException { RetryAfter: { } retryAfter } && retryAfter > retryIn && retryAfter < expiresIn)
        {
            retryIn = retryAfter;
        }

        Log.RenewFailed(_logger, lease.LeaseId, code, requestId, message, retryIn.TotalSeconds, expiresIn.TotalSeconds);
        SetTimer(lease, LeaseTimer.Renew, retryIn);
    }

    private void OnExpired(Lease lease)
    {
        if (lease == _current)
        {
            Log.Expired(_logger, lease.LeaseId);
            LoseCurrent(lease, "lease_expired");
        }
        else
        {
            lease.MarkLost();
            Revoke(lease);
        }
    }

    /// <summary>
    /// The published credential is dead: remove the file so the app fails fast, make sure the server forgets
    /// the lease (revoking is idempotent, and drops a user that outlived its lease), and get a new one.
    /// </summary>
    private void LoseCurrent(Lease lease, string reason)
    {
        lease.MarkLost();
        _lastError = reason;
        if (lease == _current)
        {
            _current = null;
            _publisher.Unpublish();
        }

        Revoke(lease);
        Acquire();
    }

    private void BeginRotation(Lease lease, string reason)
    {
        if (_next is not null || _stopping)
        {
            return;
        }

        Log.RotationStarted(_logger, lease.LeaseId, reason, _generation + 1);
        Acquire();
    }

    /// <summary>Moves a superseded lease to Retiring; it is revoked once the drain timeout passes.</summary>
    private void Retire(Lease previous)
    {
        CancelTimers(previous);
        if (!previous.CanFire(LeaseTrigger.Superseded))
        {
            Revoke(previous);
            return;
        }

        // At most two live leases per pod: a lease still draining from the rotation before goes now.
        foreach (var draining in _leases.Where(l => l.State == LeaseState.Retiring).ToList())
        {
            Log.DrainCutShort(_logger, draining.LeaseId, _current!.Generation);
            Revoke(draining);
        }

        previous.Supersede();
        Log.Retiring(_logger, previous.LeaseId, _options.Lease.DrainTimeout.TotalSeconds);
        SetTimer(previous, LeaseTimer.Drain, _options.Lease.DrainTimeout);
    }

    // ---- revoking ----

    private void Revoke(Lease lease)
    {
        CancelTimers(lease);
        if (!lease.NeedsRevocation)
        {
            Forget(lease);
            return;
        }

        lease.StartRevoking();
        SendRevoke(lease);
    }

    private void SendRevoke(Lease lease)
    {
        var leaseId = lease.LeaseId!;
        var deadline = _time.GetTimestamp() + Ticks(RevokeRequestBudget);
        Start(
            async ct =>
            {
                await _vault.RevokeAsync(leaseId, deadline, ct);
                return true;
            },
            (_, error) => new RevokeCompleted(lease, error),
            _operations.Token);
    }

    private void OnRevoked(Lease lease, Exception? error)
    {
        if (lease.State != LeaseState.Revoking)
        {
            return;
        }

        if (error is null or ScaiVaultException { IsLeaseGone: true })
        {
            lease.ConfirmRevoked();
            _metrics.RevocationCompleted("ok");
            Log.Revoked(_logger, lease.LeaseId, lease.Generation);
            Forget(lease);
            return;
        }

        lease.FailRevocation();
        _metrics.RevocationCompleted("failed");
        var (code, requestId, message) = Describe(error);
        Log.RevokeFailed(_logger, lease.LeaseId, code, requestId, message);
        if (!_stopping && lease.FailedAttempts < MaxRevokeAttempts)
        {
            SetTimer(lease, LeaseTimer.RevokeRetry, ScaiVaultResilience.FullJitter(lease.FailedAttempts, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), Random.Shared));
        }
    }

    // ---- shutdown ----

    private async Task ShutdownAsync()
    {
        var stopwatch = Stopwatch.StartNew();
        _stopping = true;
        _shutdownBudget.CancelAfter(_options.Shutdown.Timeout);
        _acquireTimer?.Dispose();
        _heartbeat?.Dispose();
        foreach (var timer in _timers.Values)
        {
            timer.Dispose();
        }

        _timers.Clear();
        await _operations.CancelAsync();

        // Let operations in flight report back, above all a generate whose lease must be revoked too.
        while (_inFlight > 0)
        {
            try
            {
                Handle(await _events.Reader.ReadAsync(_shutdownBudget.Token));
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        var held = _leases.Where(l => l.NeedsRevocation || l.State == LeaseState.Revoking).ToList();
        Log.ShuttingDown(_logger, held.Count, (_options.Shutdown.Timeout - stopwatch.Elapsed).TotalSeconds);
        var deadline = _time.GetTimestamp() + Ticks(_options.Shutdown.Timeout - stopwatch.Elapsed);
        foreach (var lease in held.Where(l => l.NeedsRevocation))
        {
            lease.StartRevoking();
        }

        var outcomes = await Task.WhenAll(held.Select(async lease =>
        {
            try
            {
                await _vault.RevokeAsync(lease.LeaseId!, deadline, _shutdownBudget.Token);
                return (lease, (Exception?)null);
            }
            catch (Exception e)
            {
                return (lease, e);
            }
        }));

        var failed = 0;
        foreach (var (lease, error) in outcomes)
        {
            OnRevoked(lease, error);
            if (lease.State != LeaseState.Revoked)
            {
                failed++;
            }
        }

        var removed = _publisher.Unpublish();
        _current = null;
        _lastError = failed > 0 ? "revoke_failed" : null;
        WriteStatus();
        ExitCode = failed > 0 ? 1 : 0;
        Log.ShutdownComplete(_logger, stopwatch.Elapsed.TotalMilliseconds, outcomes.Length - failed, failed, removed);
    }

    // ---- plumbing ----

    /// <summary>Runs I/O off the loop and posts its outcome back as an event.</summary>
    private void Start<T>(Func<CancellationToken, Task<T>> operation, Func<T?, Exception?, AgentEvent> complete, CancellationToken cancellationToken)
    {
        _inFlight++;
        _ = RunAsync();

        async Task RunAsync()
        {
            AgentEvent outcome;
            try
            {
                outcome = complete(await operation(cancellationToken), null);
            }
            catch (Exception e)
            {
                outcome = complete(default, e);
            }

            _events.Writer.TryWrite(outcome);
        }
    }

    private void SetTimer(Lease lease, LeaseTimer kind, TimeSpan due)
    {
        if (_timers.Remove((lease, kind), out var existing))
        {
            existing.Dispose();
        }

        if (_stopping || due == TimeSpan.MaxValue)
        {
            return;
        }

        _timers[(lease, kind)] = _time.CreateTimer(_ => _events.Writer.TryWrite(new TimerFired(lease, kind)), null, Clamp(due), Timeout.InfiniteTimeSpan);
    }

    private void CancelTimers(Lease lease)
    {
        foreach (var key in _timers.Keys.Where(k => k.Lease == lease).ToList())
        {
            _timers.Remove(key, out var timer);
            timer!.Dispose();
        }
    }

    /// <summary>Stops tracking a lease the server no longer holds for us.</summary>
    private void Forget(Lease lease)
    {
        if (!lease.NeedsRevocation && lease.State != LeaseState.Revoking)
        {
            CancelTimers(lease);
            _leases.Remove(lease);
        }
    }

    private void OnTransition(Lease lease, LeaseTransition transition) =>
        Log.Transition(_logger, lease.Generation, lease.LeaseId ?? "no lease yet", transition.From.ToString(), transition.To.ToString(), transition.Trigger.ToString());

    private void WriteStatus()
    {
        var shown = _current ?? _next;
        var status = new AgentStatus
        {
            State = _stopping ? "Stopping" : shown?.State.ToString() ?? nameof(LeaseState.Pending),
            Ready = !_stopping && _current is { IsInService: true },
            Degraded = _degraded,
            Generation = _current?.Generation ?? 0,
            LeaseId = _current?.LeaseId,
            Username = _current?.Credential?.Username,
            ExpiresAt = _current?.Grant?.ExpiresAt,
            LastError = _lastError,
            Pid = Environment.ProcessId,
            UpdatedAt = DateTimeOffset.MinValue,
        };

        if (status == _lastStatus)
        {
            return;
        }

        _lastStatus = status;
        _health.Report(status, _current is { IsInService: true, Timeline: { } t } current
            ? new LeaseSnapshot(t.ExpiresAt, t.HardEndAt, current.Generation, current.State.ToString())
            : null);
        try
        {
            _publisher.WriteStatus(status with { UpdatedAt = _time.GetUtcNow() });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.StatusWriteFailed(_logger, e.Message);
        }
    }

    private static (string Code, string? RequestId, string Message) Describe(Exception? error) => error switch
    {
        ScaiVaultException e => (e.Code, e.RequestId, e.Message),
        OperationCanceledException => ("cancelled", null, "the operation was cancelled"),
        null => ("unknown", null, "no answer"),
        _ => ("unexpected", null, error.GetType().Name),
    };

    private long Ticks(TimeSpan span) => (long)(Math.Max(0, span.TotalSeconds) * _time.TimestampFrequency);

    private static TimeSpan Clamp(TimeSpan due)
    {
        var max = TimeSpan.FromMilliseconds(uint.MaxValue - 2);
        return due < TimeSpan.Zero ? TimeSpan.Zero : due > max ? max : due;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static double Seconds(TimeSpan span) => span == TimeSpan.MaxValue ? double.PositiveInfinity : span.TotalSeconds;
}
