using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using LeaseAgent.Configuration;
using LeaseAgent.Diagnostics;
using LeaseAgent.Postgres;
using LeaseAgent.Publishing;
using LeaseAgent.Reload;
using LeaseAgent.ScaiVault;
using LeaseAgent.Status;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ScaiVault.Client;

namespace LeaseAgent.Leasing;

/// <summary>
/// The shell around <see cref="LeasePolicy"/> for one credential: one loop over a <see cref="Channel{T}"/> hands each
/// event to <see cref="LeasePolicy.Decide"/>, keeps the <see cref="LeaseBook"/> it returns, writes the journal, and
/// carries the effects out (requests, timers, the file, the reload signal, metrics, log lines); finished I/O and
/// timers post their outcomes back as events. Every decision is the policy's; nothing here decides.
/// </summary>
/// <remarks>
/// Not a <see cref="BackgroundService"/>: .NET 10's starts <c>ExecuteAsync</c> with <c>Task.Run(…, stoppingToken)</c>,
/// which never runs it when the stop comes first (a SIGTERM during the host's start, or before the thread pool got to
/// it), so the journal was never read and what it named never revoked (docs/chaos.md finding 8). Here the loop runs
/// whatever the moment of the stop, and always decides <see cref="Started"/> (the journal) before the stop.
/// </remarks>
public sealed class LeaseSupervisor : IHostedService, IDisposable
{
    private static readonly TimeSpan RevokeRequestBudget = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan GenerateRequestBudget = TimeSpan.FromSeconds(60);

    private readonly AgentOptions _options;
    private readonly CredentialOptions _credential;
    private readonly LeasePolicySettings _settings;
    private readonly IScaiVaultClient _vault;
    private readonly ICredentialProbe _probe;
    private readonly IDatabaseSessions _sessions;
    private readonly CredentialJournal _journal;
    private readonly AppReloader _reloader;
    private readonly CredentialPublisher _publisher;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly StatusReporter _status;
    private readonly CredentialMetrics _metrics;

    private readonly Channel<AgentEvent> _events = Channel.CreateUnbounded<AgentEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly LeaseTimers _timers;

    // Probes and renewals stop at once on shutdown; a generate request may finish inside the shutdown budget,
    // because the server may already have minted its user and the agent must learn the lease id to revoke it.
    private readonly CancellationTokenSource _operations = new();
    private readonly CancellationTokenSource _shutdownBudget = new();

    // On the machine's clock, not the supervisor's: the budget is the pod's grace period, which the kubelet counts.
    private readonly Stopwatch _sinceStop = new();

    // Cancelled by StopAsync (or a start the host aborted): the loop hears it as StopRequested, after Started.
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _loopGate = new();
    private Task? _loop;
    private CancellationTokenRegistration _startAborted;
    private volatile bool _loopAbandoned;
    private int _exitCode;

    /// <summary>Every lease and the part it plays; only the loop replaces it, with the book a decision returns.</summary>
    private LeaseBook _book = new();
    private IDisposable? _heartbeat;
    private LeaseStatus? _lastStatus;

    /// <param name="options">The agent's options: its shutdown settings are every credential's.</param>
    /// <param name="credential">The one credential this supervisor keeps; <paramref name="vault"/>, <paramref name="probe"/>,
    /// <paramref name="sessions"/>, <paramref name="journal"/>, <paramref name="publisher"/> and <paramref name="metrics"/> are its own.</param>
    public LeaseSupervisor(
        AgentOptions options,
        CredentialOptions credential,
        IScaiVaultClient vault,
        ICredentialProbe probe,
        IDatabaseSessions sessions,
        CredentialJournal journal,
        AppReloader reloader,
        CredentialPublisher publisher,
        TimeProvider time,
        ILogger logger,
        IHostApplicationLifetime lifetime,
        StatusReporter status,
        CredentialMetrics metrics)
    {
        _options = options;
        _credential = credential;
        _settings = new LeasePolicySettings(credential.Lease, options.Shutdown, Jitter: (Random.Shared.NextDouble() * 2) - 1);
        _vault = vault;
        _probe = probe;
        _sessions = sessions;
        _journal = journal;
        _reloader = reloader;
        _publisher = publisher;
        _time = time;
        _logger = logger;
        _lifetime = lifetime;
        _status = status;
        _metrics = metrics;
        _timers = new LeaseTimers(time, fired => _events.Writer.TryWrite(fired));
        _shutdownBudget.Token.Register(() => _events.Writer.TryWrite(new ShutdownBudgetSpent()));
    }

    /// <summary>The name of the credential this supervisor keeps (<see cref="CredentialOptions.Name"/>).</summary>
    public string Credential => _credential.Name;

    /// <summary>0 when every lease was revoked on shutdown, 1 otherwise (also when the host stopped waiting for the loop).</summary>
    public int ExitCode
    {
        get => _loopAbandoned ? 1 : Volatile.Read(ref _exitCode);
        private set => Volatile.Write(ref _exitCode, value);
    }

    /// <summary>The lease whose credential is published, if any (for tests and diagnostics).</summary>
    public Lease? Current => _book.Shutdown == ShutdownPhase.Done ? null : _book.Current;

    /// <summary>Starts the loop and returns at once. A cancelled <paramref name="cancellationToken"/> (the host's start
    /// aborted, or stopping already) is a stop request: the loop still reads the journal first.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _startAborted = cancellationToken.UnsafeRegister(static state => ((LeaseSupervisor)state!).RequestStop(), this);
        EnsureLoop();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Asks the loop to shut down and waits for it (or for <paramref name="cancellationToken"/>, the host's patience).
    /// Also when the loop has not taken its first step, or the host never started this service: it is started now,
    /// reads the journal, and revokes what it names, so that no moment of a SIGTERM leaves a journalled lease behind.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var loop = EnsureLoop();
        RequestStop();
        await loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (!loop.IsCompleted)
        {
            _loopAbandoned = true; // the host gave up on the shutdown: what is left is not known to be revoked
        }
    }

    public void Dispose()
    {
        _startAborted.Dispose();
        _stopping.Cancel();
        _timers.Dispose();
        _heartbeat?.Dispose();
        _operations.Dispose();
        _shutdownBudget.Dispose();
    }

    /// <summary>The loop's task; the first call starts it. No cancellation token: it must run even if the stop came first.</summary>
    private Task EnsureLoop()
    {
        lock (_loopGate)
        {
            return _loop ??= Task.Run(() => ExecuteAsync(_stopping.Token), CancellationToken.None);
        }
    }

    private void RequestStop() => _stopping.Cancel(); // never disposed: no timer of its own to free

    /// <summary>Completes when the loop has caught up with every event posted so far (see <see cref="Barrier"/>).</summary>
    internal Task CatchUpAsync()
    {
        var barrier = new Barrier(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        _events.Writer.TryWrite(barrier);
        return barrier.Passed.Task;
    }

    private async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // SIGTERM/SIGINT become an event of the loop, so the shutdown sees the state the loop left, in order; a stop
        // that came before this line is posted at once, and still decided after Started (the journal) below.
        using var stopRequested = stoppingToken.Register(() => _events.Writer.TryWrite(new StopRequested()));
        try
        {
            WriteStatus();

            // The loop answers the heartbeat itself: the status stays fresh only while the loop runs.
            _heartbeat = _status.Subscribe(e =>
            {
                if (e is HeartbeatDue)
                {
                    _events.Writer.TryWrite(new Heartbeat());
                }
            });

            var (journal, problem) = _journal.Load();
            if (problem is not null)
            {
                Log.JournalUnreadable(_logger, _journal.Path, problem);
            }

            await RunLoopAsync(new Started(journal));
        }
        catch (Exception e) when (!_book.Stopping)
        {
            // A bug, not a fault the design handles: still revoke what is held (the loop goes on, shutting down,
            // without the revoke delay), then stop with a non-zero code so that the kubelet restarts the container.
            Log.SupervisorCrashed(_logger, e);
            await RunLoopAsync(new Crashed());
            ExitCode = 1;
            _lifetime.StopApplication();
        }
    }

    /// <summary>The one loop: decides <paramref name="first"/>, then every event posted, until the shutdown is done.</summary>
    private async Task RunLoopAsync(AgentEvent first)
    {
        var next = first;
        while (true)
        {
            Handle(next);
            if (_book.Shutdown == ShutdownPhase.Done)
            {
                return;
            }

            WriteStatus();
            next = await _events.Reader.ReadAsync();
        }
    }

    private void Handle(AgentEvent agentEvent)
    {
        switch (agentEvent)
        {
            case Heartbeat:
                _lastStatus = null; // forces a write: updated_at is the liveness signal
                return;
            case Barrier barrier:
                barrier.Passed.SetResult();
                return;
            case TimerFired fired when !_timers.Accept(fired):
                return; // set again or cancelled since it went off
        }

        // An outcome the shell learns at once (a publish) is decided in the same turn, before the next event.
        var pending = new Queue<AgentEvent>([agentEvent]);
        while (pending.TryDequeue(out var next))
        {
            var (book, effects) = LeasePolicy.Decide(_book, next, _settings, Moment.Of(_time));
            _book = book;
            if (book.Shutdown != ShutdownPhase.Done)
            {
                WriteJournal(); // before any effect: a request leaves, or a file appears, only once the journal names it
            }

            foreach (var effect in effects)
            {
                Carry(effect, pending);
            }
        }
    }

    private void Carry(LeaseEffect effect, Queue<AgentEvent> pending)
    {
        switch (effect)
        {
            case Generate e:
                var generateDeadline = Deadline.From(_time, GenerateRequestBudget);
                Start(ct => _vault.GenerateAsync(e.Ttl, e.ClientRef, generateDeadline, ct), (grant, error) => new GenerateCompleted(e.Lease, grant, error), _shutdownBudget.Token);
                break;
            case AdoptLease e:
                var adoptDeadline = Deadline.From(_time, GenerateRequestBudget);
                Start(
                    async ct =>
                    {
                        // Lookup first: renewing a lease the server has forgotten is a 404 either way, but lookup
                        // also tells the duration to ask for when none is configured or journalled.
                        var found = await _vault.LookupAsync(e.LeaseId, adoptDeadline, ct);
                        return await _vault.RenewAsync(e.LeaseId, e.Increment ?? found.Duration, adoptDeadline, ct);
                    },
                    (grant, error) => new AdoptCompleted(e.Lease, grant, error),
                    _operations.Token);
                break;
            case Probe e:
                Start(ct => _probe.ProbeAsync(e.Credential, ct), (result, error) => new ProbeCompleted(e.Lease, result, error), _operations.Token);
                break;
            case ProbeCurrent e:
                Start(ct => _probe.ProbeAsync(e.Credential, ct, retryWindow: TimeSpan.Zero), (result, error) => new CurrentProbeCompleted(e.Lease, result, error), _operations.Token);
                break;
            case Renew e:
                Start(ct => _vault.RenewAsync(e.LeaseId, e.Increment, new Deadline(e.Deadline), ct), (grant, error) => new RenewCompleted(e.Lease, grant, e.Increment, error), _operations.Token);
                break;
            case SendRevoke e:
                var revokeDeadline = Deadline.From(_time, RevokeRequestBudget);
                Start(
                    async ct =>
                    {
                        await _vault.RevokeAsync(e.LeaseId, revokeDeadline, ct);
                        return true;
                    },
                    (_, error) => new RevokeCompleted(e.Lease, error),
                    ServerRequestToken);
                break;
            case CountSessions e:
                Start(ct => _sessions.CountAsync(e.Observer, e.Username, ct), (count, error) => new DrainChecked(e.Lease, error is null ? count : null, error), _operations.Token);
                break;
            case LookUpIntent e:
                var lookupDeadline = Deadline.From(_time, RevokeRequestBudget);
                Start(ct => _vault.FindByClientRefAsync(e.Intent.ClientRef, lookupDeadline, ct), (ids, error) => new IntentResolved(e.Intent, ids, error), ServerRequestToken);
                break;
            case PublishCredential e:
                pending.Enqueue(new PublishCompleted(e.Lease.Serial, Publish(e.Lease)));
                break;
            case Unpublish:
                _publisher.Unpublish();
                break;
            case SignalApp e:
                _reloader.Signal(e.Reason);
                break;
            case SetTimer e:
                _timers.Set(e.Key, e.Due);
                break;
            case CancelTimer e:
                _timers.Cancel(e.Key);
                break;
            case CancelLeaseTimers e:
                _timers.CancelLease(e.Lease);
                break;
            case StartShutdownClock:
                _sinceStop.Start();
                _shutdownBudget.CancelAfter(_options.Shutdown.Timeout);
                break;
            case StopStartingWork:
                _heartbeat?.Dispose();
                _timers.CancelAll();
                _operations.Cancel();
                break;
            case FinishShutdown e:
                FinishShutdown(e);
                break;
            case CountRotation e:
                _metrics.RotationCompleted(e.Result);
                break;
            case CountRenewal e:
                _metrics.RenewalCompleted(e.Result);
                break;
            case CountRevocation e:
                _metrics.RevocationCompleted(e.Result);
                break;
            case CountProbeFailure e:
                _metrics.ProbeFailed(e.Failure);
                break;
            case LogEffect e:
                Say(e);
                break;
            default:
                throw new UnreachableException($"the supervisor cannot carry out {effect}");
        }
    }

    /// <summary>Writes the credential file; returns why it could not, or null.</summary>
    private string? Publish(Lease lease)
    {
        try
        {
            _publisher.Publish(CredentialFormatter.CreateDocument(_credential.Database, lease.Credential!, lease.Grant!, lease.Generation, _time.GetUtcNow()));
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            // InvalidOperationException: the formatter refused a credential it cannot write safely (finding 13's
            // defence in depth behind the parser); that lease is revoked like any other that cannot be published.
            return e.Message;
        }
    }

    private void FinishShutdown(FinishShutdown finish)
    {
        if (finish.DeleteJournal)
        {
            _journal.Delete();
        }
        else
        {
            WriteJournal(); // what was not revoked stays, for the next agent on this volume to adopt or revoke
        }

        var removed = _publisher.Unpublish();
        WriteStatus();
        ExitCode = finish.Failed > 0 ? 1 : 0;
        Log.ShutdownComplete(_logger, _sinceStop.Elapsed.TotalMilliseconds, finish.Revoked, finish.Failed, removed);
    }

    private void Say(LogEffect line)
    {
        var lease = _credential.Lease;
        switch (line)
        {
            case LogTransition e:
                Log.Transition(_logger, e.Generation, e.LeaseId ?? "no lease yet", e.Transition.From.ToString(), e.Transition.To.ToString(), e.Transition.Trigger.ToString());
                break;
            case LogJournalRecovered e:
                Log.JournalRecovered(_logger, e.AdoptedLeaseId ?? "none", e.Revoking, e.Intents);
                break;
            case LogAdoptionFailed e:
                Log.AdoptionFailed(_logger, e.LeaseId, e.Reason);
                break;
            case LogAcquireFailed e:
                Log.AcquireFailed(_logger, e.Code, e.RequestId, e.Message, e.RetryIn.TotalSeconds);
                break;
            case LogUnusableGrantRevoked e:
                Log.UnusableGrantRevoked(_logger, e.LeaseId, e.Code, e.Message);
                break;
            case LogProbePassed e:
                Log.ProbePassed(_logger, e.Username, e.Attempts);
                break;
            case LogProbeFailed e:
                Log.ProbeFailed(_logger, e.Username, e.Attempts, e.Failure, e.Error);
                break;
            case LogTooShortToPublish e:
                Log.TooShortToPublish(_logger, e.LeaseId, e.Left.TotalSeconds, e.Duration.TotalSeconds);
                break;
            case LogPublishFailed e:
                Log.PublishFailed(_logger, _credential.Output.File, e.Error);
                break;
            case LogPublished e:
                Log.Published(_logger, e.Generation, e.Username, e.LeaseId, e.ExpiresIn.TotalSeconds, Phrase(e.HardEndIn, "its hard end (max TTL) is in {0:0} s", "the server gave it no hard end"));
                break;
            case LogRenewed e:
                Log.Renewed(
                    _logger,
                    e.LeaseId,
                    e.Duration.TotalSeconds,
                    Phrase(e.NextRenewalIn, "the next renewal is in {0:0.0} s", "no renewal can extend it further"),
                    Phrase(e.RotationIn, "its replacement is acquired in {0:0.0} s", "no replacement is scheduled"));
                break;
            case LogRenewFailed e:
                Log.RenewFailed(_logger, e.LeaseId, e.Code, e.RequestId, e.Message, e.RetryIn.TotalSeconds, e.ExpiresIn.TotalSeconds);
                break;
            case LogRetiringRenewed e:
                Log.RetiringRenewed(_logger, e.LeaseId, e.Outcome);
                break;
            case LogLeaseLost e:
                Log.LeaseLost(_logger, e.LeaseId, e.Reason);
                break;
            case LogExpired e:
                Log.Expired(_logger, e.LeaseId);
                break;
            case LogLostSoonAfterPublishing e:
                Log.LostSoonAfterPublishing(_logger, e.LeaseId, e.Lived.TotalSeconds, e.Count, e.RetryIn.TotalSeconds);
                break;
            case LogRotationStarted e:
                Log.RotationStarted(_logger, e.LeaseId, e.Reason, e.Generation);
                break;
            case LogRetiring e:
                Log.Retiring(_logger, e.LeaseId, lease.DrainTimeout.TotalSeconds);
                break;
            case LogDrainCutShort e:
                Log.DrainCutShort(_logger, e.LeaseId, e.Generation);
                break;
            case LogDrainCheckFailed e:
                Log.DrainCheckFailed(_logger, e.LeaseId, e.Error);
                break;
            case LogDrained e:
                Log.Drained(_logger, e.LeaseId, e.Username);
                break;
            case LogStillInUseAtDrainDeadline e:
                Log.StillInUseAtDrainDeadline(_logger, e.LeaseId, e.Username, e.Sessions, lease.DrainTimeout.TotalSeconds);
                break;
            case LogRevoked e:
                Log.Revoked(_logger, e.LeaseId, e.Generation);
                break;
            case LogRevokeFailed e:
                Log.RevokeFailed(_logger, e.LeaseId, e.Code, e.RequestId, e.Message);
                break;
            case LogIntentLookingUp e:
                Log.IntentLookingUp(_logger, e.ClientRef, e.Reason);
                break;
            case LogIntentUnresolved e:
                Log.IntentUnresolved(_logger, e.ClientRef, e.Reason);
                break;
            case LogRevokeDelayed:
                Log.RevokeDelayed(_logger, _options.Shutdown.RevokeDelay.TotalSeconds);
                break;
            case LogNotRevoking e:
                Log.NotRevoking(_logger, e.Count);
                break;
            case LogShuttingDown e:
                Log.ShuttingDown(_logger, e.Count, _options.Shutdown.Timeout.TotalSeconds);
                break;
            case LogShutdownBudgetSpent e:
                Log.ShutdownBudgetSpent(_logger, _options.Shutdown.Timeout.TotalSeconds, e.InFlight);
                break;
            default:
                throw new UnreachableException($"no log message for {line.GetType().Name}");
        }
    }

    /// <summary>
    /// The token for a request to ScaiVault that must not be left unfinished: a revocation or a look-up. Until the
    /// shutdown it stops with the other operations; during the shutdown it is bounded by the shutdown budget alone.
    /// </summary>
    private CancellationToken ServerRequestToken => _book.Stopping ? _shutdownBudget.Token : _operations.Token;

    /// <summary>Runs I/O off the loop and posts its outcome back as an event.</summary>
    private void Start<T>(Func<CancellationToken, Task<T>> operation, Func<T?, Exception?, AgentEvent> complete, CancellationToken cancellationToken)
    {
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

    /// <summary>Writes what the agent holds: intents in flight, and every lease the server may still hold for it.</summary>
    private void WriteJournal()
    {
        try
        {
            _journal.Write(_book.ToJournal());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.JournalWriteFailed(_logger, e.Message);
        }
    }

    /// <summary>Reports this credential's part of the status (the reporter decides readiness and writes the file).</summary>
    private void WriteStatus()
    {
        var book = _book;
        var current = Current;
        var status = new LeaseStatus(_credential.Name, book.Stopping ? AgentState.Stopping : (AgentState)(book.Shown?.State ?? LeaseState.Pending))
        {
            Generation = current?.Generation ?? 0,
            LeaseId = current?.LeaseId,
            Username = current?.Credential?.Username,
            ExpiresAt = current?.Grant?.ExpiresAt,
            Published = current is { IsInService: true, Timeline: { } t } && _publisher.Published is { } document
                ? new PublishedCredential(document, t.ExpiresAt, t.HardEndAt)
                : null,
            Degraded = book.Degraded,
            LastError = book.LastError,
            Unavailable = current is null && book.AcquireFailures > 0,
        };

        if (status == _lastStatus)
        {
            return;
        }

        _lastStatus = status;
        _status.Report(status);
    }

    /// <summary>A part of a log sentence about something due in <paramref name="span"/>, or about its never coming (<see cref="TimeSpan.MaxValue"/>).</summary>
    private static string Phrase(TimeSpan span, string dueIn, string never) =>
        span == TimeSpan.MaxValue ? never : string.Format(CultureInfo.InvariantCulture, dueIn, span.TotalSeconds);
}
