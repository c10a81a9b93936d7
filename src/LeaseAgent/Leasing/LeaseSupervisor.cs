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
/// Owns the current lease, the one being acquired and any retiring ones, and drives them all from one loop
/// over a <see cref="Channel{T}"/>: timers and finished I/O post events, the loop fires the machines and
/// starts the next piece of I/O. Nothing else touches a lease, so no machine is ever fired concurrently.
/// </summary>
public sealed partial class LeaseSupervisor : BackgroundService
{
    /// <summary>The first drain check waits this long (at most the drain timeout) for the app to swap credentials.</summary>
    private static readonly TimeSpan MinimumDrain = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan RevokeRequestBudget = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan GenerateRequestBudget = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Published leases lost sooner than this after publication, twice or more in a row (a TTL shorter than a generate
    /// and a probe, a server that forgets its leases), are replaced after a growing backoff rather than at once, so that
    /// no CREATE/DROP ROLE loop can start. The first such loss is replaced at once, as any other.
    /// </summary>
    private static readonly TimeSpan ShortLivedLease = TimeSpan.FromMinutes(1);

    /// <summary>Nothing is published with less than this left, or less than a tenth of its duration.</summary>
    private static readonly TimeSpan MinimumTimeLeftToPublish = TimeSpan.FromSeconds(1);

    private readonly AgentOptions _options;
    private readonly CredentialOptions _credential;
    private readonly LeaseOptions _lease;
    private readonly DatabaseOptions _database;
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

    // Per-pod jitter, drawn once, so that pods started together spread their renewals.
    private readonly double _jitter = (Random.Shared.NextDouble() * 2) - 1;

    /// <summary>Every lease and the part it plays; only the loop replaces it.</summary>
    private LeaseBook _book = new();
    private IDisposable? _heartbeat;
    private int _inFlight;
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
        _lease = credential.Lease;
        _database = credential.Database;
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

    /// <summary>0 when every lease was revoked on shutdown, 1 otherwise.</summary>
    public int ExitCode { get; private set; }

    /// <summary>The lease whose credential is published, if any (for tests and diagnostics).</summary>
    public Lease? Current => _book.Current;

    public override void Dispose()
    {
        _timers.Dispose();
        _heartbeat?.Dispose();

        _operations.Dispose();
        _shutdownBudget.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();

        // SIGTERM/SIGINT become an event of the loop, so the shutdown sees the state the loop left, in order.
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
            if (!Recover())
            {
                Acquire();
            }

            AfterEvent();
            await RunLoopAsync();
        }
        catch (Exception e) when (!_book.Stopping)
        {
            // A bug, not a fault the design handles: still revoke what is held (the loop goes on, shutting down,
            // without the revoke delay), then stop with a non-zero code so that the kubelet restarts the container.
            Log.SupervisorCrashed(_logger, e);
            _book = _book with { LastError = "supervisor_crashed" };
            BeginShutdown(delayRevocation: false);
            await RunLoopAsync();
            ExitCode = 1;
            _lifetime.StopApplication();
        }
    }

    /// <summary>The one loop: runs until the shutdown is done.</summary>
    private async Task RunLoopAsync()
    {
        while (_book.Shutdown != ShutdownPhase.Done)
        {
            Handle(await _events.Reader.ReadAsync());
            if (_book.Shutdown != ShutdownPhase.Done)
            {
                AfterEvent();
            }
        }
    }

    private void AfterEvent()
    {
        WriteStatus();
        WriteJournal();
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
            case AdoptCompleted e:
                OnAdopted(e.Lease, e.Grant, e.Error);
                break;
            case CurrentProbeCompleted e:
                OnCurrentProbed(e.Lease, e.Result);
                break;
            case DrainChecked or IntentResolved:
                Execute(LeasePolicy.Decide(_book, agentEvent));
                break;
            case TimerFired e when _timers.Accept(e):
                if (LeasePolicy.Decides(e))
                {
                    Execute(LeasePolicy.Decide(_book, e));
                }
                else
                {
                    OnTimer(e.Key);
                }

                break;
            case StopRequested:
                BeginShutdown(delayRevocation: true);
                break;
            case ShutdownBudgetSpent when _book.Shutdown is not ShutdownPhase.Done:
                OnShutdownBudgetSpent();
                break;
            case Heartbeat:
                _lastStatus = null; // forces a write: updated_at is the liveness signal
                break;
            case Barrier barrier:
                barrier.Passed.SetResult();
                break;
        }

        if (_book.Stopping)
        {
            ContinueShutdown();
        }
    }

    /// <summary>Carries a decision of <see cref="LeasePolicy"/> out: the book it returns, then its effects in order.</summary>
    private void Execute((LeaseBook Book, IReadOnlyList<LeaseEffect> Effects) decision)
    {
        _book = decision.Book;
        foreach (var effect in decision.Effects)
        {
            switch (effect)
            {
                case LookUpIntent e:
                    FindAndRevokeIntent(e.Intent);
                    break;
                case RevokeOrphan e:
                    var orphan = new Lease(e.Intent.Generation, _time, OnTransition);
                    _book = _book.Add(orphan);
                    orphan.Orphan(e.LeaseId, e.Intent.ClientRef);
                    Revoke(orphan);
                    break;
                case SetTimer e:
                    _timers.Set(e.Key, e.Due switch
                    {
                        After a => a.Delay,
                        BackoffAfterFailure b => ScaiVaultResilience.BackoffAfterFailure(b.Failures, b.Error, Random.Shared),
                        _ => throw new UnreachableException($"no delay for {e.Due}"),
                    });
                    break;
                case CancelTimer e:
                    _timers.Cancel(e.Key);
                    break;
                case RevokeLease e:
                    Revoke(e.Lease);
                    break;
                case CountSessions e:
                    CheckDrain(e.Retiring);
                    break;
                case RecordDrainSessions e:
                    e.Retiring.CountDrainSessions(e.Sessions);
                    break;
                case LogDrainCheckFailed e:
                    Log.DrainCheckFailed(_logger, e.LeaseId, e.Error);
                    break;
                case LogDrained e:
                    Log.Drained(_logger, e.LeaseId, e.Username);
                    break;
                case LogStillInUseAtDrainDeadline e:
                    Log.StillInUseAtDrainDeadline(_logger, e.LeaseId, e.Username, e.Sessions, _lease.DrainTimeout.TotalSeconds);
                    break;
                case LogIntentLookingUp e:
                    Log.IntentLookingUp(_logger, e.ClientRef, e.Reason);
                    break;
                case LogIntentUnresolved e:
                    Log.IntentUnresolved(_logger, e.ClientRef, e.Reason);
                    break;
                default:
                    throw new UnreachableException($"the supervisor cannot carry out {effect}");
            }
        }
    }

    /// <summary>Completes when the loop has caught up with every event posted so far (see <see cref="Barrier"/>).</summary>
    internal Task CatchUpAsync()
    {
        var barrier = new Barrier(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        _events.Writer.TryWrite(barrier);
        return barrier.Passed.Task;
    }

    // ---- plumbing ----

    /// <summary>
    /// The token for a request to ScaiVault that must not be left unfinished: a revocation or a look-up. Until the
    /// shutdown it stops with the other operations; during the shutdown it is bounded by the shutdown budget alone.
    /// </summary>
    private CancellationToken ServerRequestToken => _book.Stopping ? _shutdownBudget.Token : _operations.Token;

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
        var key = new LeaseTimerKey(lease, kind);
        _timers.Set(key, _book.Stopping ? TimeSpan.MaxValue : due);
    }

    /// <summary>Stops tracking a lease the server no longer holds for us.</summary>
    private void Forget(Lease lease)
    {
        if (!lease.NeedsRevocation && lease.State != LeaseState.Revoking)
        {
            _timers.Cancel(lease);
            _book = _book.Remove(lease);
        }
    }

    private void OnTransition(Lease lease, LeaseTransition transition) =>
        Log.Transition(_logger, lease.Generation, lease.LeaseId ?? "no lease yet", transition.From.ToString(), transition.To.ToString(), transition.Trigger.ToString());

    /// <summary>Reports this credential's part of the status (the reporter decides readiness and writes the file).</summary>
    private void WriteStatus()
    {
        var book = _book;
        var current = book.Current;
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

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>A part of a log sentence about something due in <paramref name="span"/>, or about its never coming (<see cref="TimeSpan.MaxValue"/>).</summary>
    private static string Phrase(TimeSpan span, string dueIn, string never) =>
        span == TimeSpan.MaxValue ? never : string.Format(CultureInfo.InvariantCulture, dueIn, span.TotalSeconds);
}
