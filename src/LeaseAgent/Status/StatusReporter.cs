using LeaseAgent.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LeaseAgent.Status;

/// <summary>
/// The one owner of the agent's status. Components report their typed parts (a <see cref="LeaseStatus"/> per
/// credential from the lease supervisor, a <see cref="SecretsStatus"/> from the secret refresher), as health checks
/// contribute to a health report; <see cref="Combine"/> turns them into one <see cref="AgentStatus"/> and decides
/// readiness. The reporter is the only writer of <c>status.json</c>: on every change, and as a heartbeat at least every
/// <see cref="HeartbeatInterval"/> while the loop that drives the agent still runs. Readers (<c>/readyz</c>, the
/// metrics) take <see cref="Current"/>; whoever must react to a change subscribes (<see cref="Subscribe"/>).
/// </summary>
public sealed partial class StatusReporter : IHostedService, IDisposable
{
    /// <summary>The status file is rewritten at least this often while the agent runs, so <c>probe live</c> can tell a hung agent.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(10);

    private readonly StatusOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<StatusReporter> _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LeaseStatus> _leases = new(StringComparer.Ordinal);
    private readonly HashSet<string> _leasesCheckedIn = new(StringComparer.Ordinal);
    private readonly List<Action<StatusEvent>> _subscribers = [];
    private SecretsStatus? _secrets;
    private bool _secretsCheckedIn;
    private bool _heartbeatDue;
    private bool _stopping;
    private AgentStatus? _written;
    private DateTimeOffset _writtenAt;
    private volatile StatusSnapshot? _current;
    private ITimer? _heartbeat;

    public StatusReporter(StatusOptions options, TimeProvider time, ILogger<StatusReporter> logger)
    {
        _options = options;
        _time = time;
        _logger = logger;
        FilePath = StatusFile.In(options.StateDirectory);
    }

    /// <summary>The path of <c>status.json</c>.</summary>
    public string FilePath { get; }

    /// <summary>The latest combined status and the parts it was made of; null until the first part is reported or the first heartbeat.</summary>
    public StatusSnapshot? Current => _current;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _heartbeat = _time.CreateTimer(_ => Heartbeat(), null, HeartbeatInterval, HeartbeatInterval);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _heartbeat?.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => _heartbeat?.Dispose();

    /// <summary>A lease supervisor's part for one credential; replaces that credential's previous part.</summary>
    public void Report(LeaseStatus lease)
    {
        lock (_gate)
        {
            _leases.TryGetValue(lease.Credential, out var previous);
            _leases[lease.Credential] = lease;
            _leasesCheckedIn.Add(lease.Credential);
            if (lease.Published is not null && (previous?.Published is null || previous.Generation != lease.Generation))
            {
                Raise(new CredentialPublished(lease));
            }

            if (lease.State == AgentState.Stopping && !_stopping)
            {
                _stopping = true;
                Raise(new StoppingStarted());
            }

            Update();
        }
    }

    /// <summary>The secret refresher's part; replaces the previous one.</summary>
    public void Report(SecretsStatus secrets)
    {
        lock (_gate)
        {
            _secrets = secrets;
            _secretsCheckedIn = true;
            Update();
        }
    }

    /// <summary>
    /// Calls <paramref name="onEvent"/> with every <see cref="StatusEvent"/> from now on, after replaying the state so far
    /// (the credentials in service, stopping). It runs on the thread that reported, the lease supervisor's loop among
    /// them, and one event at a time: it must return at once (post to a channel, complete a task). Dispose the result to
    /// unsubscribe.
    /// </summary>
    public IDisposable Subscribe(Action<StatusEvent> onEvent)
    {
        lock (_gate)
        {
            _subscribers.Add(onEvent);
            foreach (var lease in _leases.Values.Where(l => l.Published is not null))
            {
                Deliver(onEvent, new CredentialPublished(lease));
            }

            if (_stopping)
            {
                Deliver(onEvent, new StoppingStarted());
            }
        }

        return new Subscription(this, onEvent);
    }

    /// <summary>Completes with the first credential put in service (at once when one already is): supervisor mode starts its child then.</summary>
    public async Task<LeaseStatus> FirstPublishedAsync(CancellationToken cancellationToken)
    {
        var first = new TaskCompletionSource<LeaseStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = Subscribe(e =>
        {
            if (e is CredentialPublished published)
            {
                first.TrySetResult(published.Lease);
            }
        });
        return await first.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Completes once each of <paramref name="credentials"/> has been put in service (at once for those that already
    /// are), with their parts in the same order: supervisor mode starts its child then, with every file in place.
    /// </summary>
    public async Task<IReadOnlyList<LeaseStatus>> EveryPublishedAsync(IReadOnlyList<string> credentials, CancellationToken cancellationToken)
    {
        var published = new Dictionary<string, LeaseStatus>(StringComparer.Ordinal);
        var every = new TaskCompletionSource<IReadOnlyList<LeaseStatus>>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = Subscribe(e =>
        {
            // Handlers run one event at a time under the reporter's lock: the dictionary needs no lock of its own.
            if (e is CredentialPublished { Lease: var lease } && credentials.Contains(lease.Credential))
            {
                published.TryAdd(lease.Credential, lease);
                if (published.Count == credentials.Count)
                {
                    every.TrySetResult([.. credentials.Select(c => published[c])]);
                }
            }
        });
        return await every.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// The agent's status from its parts, in one place. Ready when every expected credential is in service (or, with
    /// <c>FAIL_OPEN</c>, cannot be had) and the secrets are written, and not stopping. With a dynamic credential, that
    /// credential's part speaks for the agent (state, generation, degraded, last error) and <c>FAIL_OPEN</c> covers it
    /// alone: the secrets must have been written. With only <c>SECRETS</c>, the secrets' part speaks, and
    /// <c>FAIL_OPEN</c> lets the agent be ready while they cannot be read.
    /// </summary>
    internal static AgentStatus Combine(StatusOptions options, IReadOnlyDictionary<string, LeaseStatus> leases, SecretsStatus? secrets)
    {
        var stopping = leases.Values.Any(l => l.State == AgentState.Stopping);
        var credentials = options.Credentials.Select(name => leases.GetValueOrDefault(name) is { } lease
            ? new CredentialStatus
            {
                Name = name,
                State = stopping ? AgentState.Stopping : lease.State,
                Ready = !stopping && (lease.Published is not null || (options.FailOpen && lease.Unavailable)),
                Degraded = lease.Degraded,
                Generation = lease.Generation,
                LeaseId = lease.LeaseId,
                Username = lease.Username,
                ExpiresAt = lease.ExpiresAt,
                LastError = lease.LastError,
            }
            : new CredentialStatus { Name = name, State = stopping ? AgentState.Stopping : AgentState.Pending, Ready = false }).ToList();
        var secretsReady = !options.Secrets || secrets is { Written: true } || (options.FailOpen && options.Credentials.Count == 0 && secrets is { Failures: > 0 });
        var ready = !stopping && credentials.TrueForAll(c => c.Ready) && secretsReady;

        if (options.Credentials.Count > 0)
        {
            // The first credential's fields at the top, as with one (ADR 0014); each one's in credentials.
            var shown = leases.GetValueOrDefault(options.Credentials[0]);
            return new AgentStatus
            {
                State = stopping ? AgentState.Stopping : shown?.State ?? AgentState.Pending,
                Ready = ready,
                Degraded = shown?.Degraded ?? false,
                Generation = shown?.Generation ?? 0,
                LeaseId = shown?.LeaseId,
                Username = shown?.Username,
                ExpiresAt = shown?.ExpiresAt,
                LastError = shown?.LastError,
                Credentials = credentials,
                Pid = Environment.ProcessId,
                UpdatedAt = DateTimeOffset.MinValue,
            };
        }

        var written = secrets is { Written: true };
        return new AgentStatus
        {
            State = written ? AgentState.Secrets : AgentState.Pending,
            Ready = ready,
            Degraded = written && secrets!.LastError is not null,
            LastError = secrets?.LastError,
            Pid = Environment.ProcessId,
            UpdatedAt = DateTimeOffset.MinValue,
        };
    }

    /// <summary>
    /// Liveness: each tick asks the lease supervisors to report again (<see cref="HeartbeatDue"/>); the file is rewritten
    /// once every part that carries the heartbeat has reported since the last write. That is each credential's part, or,
    /// with only <c>SECRETS</c>, the refresher's, whose loop reports at least every <see cref="HeartbeatInterval"/>. A
    /// lease part does not wait for the refresher, whose requests may take longer than a heartbeat.
    /// </summary>
    private void Heartbeat()
    {
        lock (_gate)
        {
            _heartbeatDue = true;
            Raise(new HeartbeatDue());
            Update();
        }
    }

    private bool HeartbeatAnswered =>
        _options.Credentials.Count > 0 ? _options.Credentials.All(_leasesCheckedIn.Contains) : !_options.Secrets || _secretsCheckedIn;

    private void Update()
    {
        var status = Combine(_options, _leases, _secrets);
        if (!SameStatus(status, _written) || (_heartbeatDue && HeartbeatAnswered))
        {
            _written = status;
            _writtenAt = _time.GetUtcNow();
            _heartbeatDue = false;
            _leasesCheckedIn.Clear();
            _secretsCheckedIn = false;
            try
            {
                StatusFile.Write(FilePath, status with { UpdatedAt = _writtenAt });
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Log.StatusWriteFailed(_logger, e.Message);
            }
        }

        _current = new StatusSnapshot(status with { UpdatedAt = _writtenAt }, [.. _leases.Values], _secrets);
    }

    /// <summary>Record equality, with the credentials compared by content rather than by list reference.</summary>
    private static bool SameStatus(AgentStatus status, AgentStatus? written) =>
        written is not null
        && status with { Credentials = null } == written with { Credentials = null }
        && (status.Credentials ?? []).SequenceEqual(written.Credentials ?? []);

    private void Raise(StatusEvent statusEvent)
    {
        foreach (var subscriber in _subscribers.ToList())
        {
            Deliver(subscriber, statusEvent);
        }
    }

    private void Deliver(Action<StatusEvent> subscriber, StatusEvent statusEvent)
    {
        try
        {
            subscriber(statusEvent);
        }
        catch (Exception e)
        {
            // A subscriber's bug must not stop the loop that reported (the lease supervisor's, above all).
            Log.SubscriberFailed(_logger, statusEvent.GetType().Name, e);
        }
    }

    private void Unsubscribe(Action<StatusEvent> subscriber)
    {
        lock (_gate)
        {
            _subscribers.Remove(subscriber);
        }
    }

    private sealed class Subscription(StatusReporter reporter, Action<StatusEvent> subscriber) : IDisposable
    {
        public void Dispose() => reporter.Unsubscribe(subscriber);
    }

    private static partial class Log
    {
        // Ids from the table in Diagnostics/Log.cs: 401 (publishing), 9920-9929 (status).
        [LoggerMessage(401, LogLevel.Warning, "Writing the status file failed: {Error}")]
        public static partial void StatusWriteFailed(ILogger logger, string error);

        [LoggerMessage(9920, LogLevel.Error, "A subscriber to the agent's status failed on {Event}; the others were told")]
        public static partial void SubscriberFailed(ILogger logger, string @event, Exception exception);
    }
}

/// <summary>The combined status as last computed, and the parts it was made of.</summary>
/// <param name="Status">What <c>status.json</c> says (its <c>UpdatedAt</c> is the last write).</param>
public sealed record StatusSnapshot(AgentStatus Status, IReadOnlyList<LeaseStatus> Leases, SecretsStatus? Secrets);

/// <summary>What the reporter waits for before the agent is ready, and where it writes.</summary>
/// <param name="StateDirectory"><c>STATE_DIR</c>, where <c>status.json</c> is written.</param>
/// <param name="Credentials">The dynamic credentials (<see cref="LeaseStatus.NameOf"/>), each of which must be in service.</param>
/// <param name="Secrets">Whether <c>SECRETS</c> files must be written.</param>
/// <param name="FailOpen"><c>FAIL_OPEN</c>.</param>
public sealed record StatusOptions(string StateDirectory, IReadOnlyList<string> Credentials, bool Secrets, bool FailOpen)
{
    public static StatusOptions For(AgentOptions options) => new(
        options.Output.StateDirectory,
        [.. options.Credentials.Select(c => c.Name)],
        options.Secrets.Mappings.Count > 0,
        options.FailOpen);
}
