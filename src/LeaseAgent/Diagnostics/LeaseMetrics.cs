using LeaseAgent.Hosting;
using LeaseAgent.Status;
using Prometheus;

namespace LeaseAgent.Diagnostics;

/// <summary>
/// The agent's metrics, exported in the Prometheus text format on <c>/metrics</c> when <c>HEALTH_ADDRESS</c>
/// is set (see <c>docs/metrics.md</c>). Each credential's supervisor records outcomes in its own
/// <see cref="CredentialMetrics"/> at the cost of an interlocked increment; the prometheus-net registry that serializes
/// them is built on the first scrape only, so an agent without <c>HEALTH_ADDRESS</c> never loads it. Label values are
/// the configured credential names and fixed sets (a value outside the set is counted as <c>other</c>): never a lease
/// id, a user name or a secret.
/// </summary>
public sealed class LeaseMetrics : IDisposable
{
    /// <summary>The <c>Content-Type</c> of <see cref="WriteAsync"/>'s output.</summary>
    public const string ContentType = PrometheusConstants.TextContentTypeWithVersionAndEncoding;

    private const string Other = "other";

    /// <summary>The label naming a credential (<c>ENGINE/ROLE</c> or its <c>name=</c>) on every lease metric.</summary>
    private const string Credential = "credential";

    /// <summary>Every value of the <c>state</c> label of <c>leaseagent_state</c>.</summary>
    public static IReadOnlyList<string> States { get; } = [.. StateValues.Select(s => s.ToString())];

    private static AgentState[] StateValues => Enum.GetValues<AgentState>();

    private readonly StatusReporter _status;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly List<CredentialMetrics> _credentials = [];
    private readonly Lazy<Exposition> _exposition;

    public LeaseMetrics(StatusReporter status, TimeProvider time)
    {
        _status = status;
        _time = time;
        _exposition = new Lazy<Exposition>(() => new Exposition(this), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The metrics of one credential, counted under its name (the <c>credential</c> label); one per name.</summary>
    public CredentialMetrics For(string credential)
    {
        lock (_gate)
        {
            var metrics = _credentials.Find(c => c.Credential == credential);
            if (metrics is null)
            {
                metrics = new CredentialMetrics(credential);
                _credentials.Add(metrics);
            }

            return metrics;
        }
    }

    private IReadOnlyList<CredentialMetrics> Credentials
    {
        get
        {
            lock (_gate)
            {
                return [.. _credentials];
            }
        }
    }

    /// <summary>Writes every metric in the Prometheus text exposition format (<see cref="ContentType"/>).</summary>
    public Task WriteAsync(Stream destination, CancellationToken cancellationToken) =>
        _exposition.Value.Registry.CollectAndExportAsTextAsync(destination, cancellationToken);

    public void Dispose()
    {
        // Nothing to release: the registry holds no timers, threads or handles.
    }

    /// <summary>The prometheus-net registry, its collectors, and the update that runs before every scrape.</summary>
    private sealed class Exposition
    {
        private readonly LeaseMetrics _metrics;
        private readonly List<(Func<CredentialMetrics, Tally> Tally, Counter Counter)> _counters = [];
        private readonly Gauge _timeLeft;
        private readonly Gauge _timeToHardEnd;
        private readonly Gauge _generation;
        private readonly Gauge _ready;
        private readonly Gauge _degraded;
        private readonly Gauge.Child[] _states;
        private readonly Gauge _credentialReady;
        private readonly Gauge _credentialDegraded;
        private readonly Gauge _credentialState;
        private readonly AgentState[] _stateValues = StateValues;

        public Exposition(LeaseMetrics metrics)
        {
            _metrics = metrics;
            Registry = Metrics.NewCustomRegistry();
            var factory = Metrics.WithCustomRegistry(Registry);

            AddCounter(factory, c => c.Renewals, "leaseagent_renewals_total", "Lease renewals by credential and result: ok, capped (renewed only up to the max TTL), failed, lost.", "result");
            AddCounter(factory, c => c.Rotations, "leaseagent_rotations_total", "Credential rotations by credential and result: ok (a new credential was published), failed.", "result");
            AddCounter(factory, c => c.ProbeFailures, "leaseagent_probe_failures_total", "Failed probes of a credential by credential and reason.", "reason");
            AddCounter(factory, c => c.Revocations, "leaseagent_revocations_total", "Lease revocations by credential and result: ok, failed.", "result");

            var unpublished = new GaugeConfiguration { SuppressInitialValue = true };
            _timeLeft = factory.CreateGauge("leaseagent_lease_time_left_seconds", "Seconds until the credential's published lease expires unless renewed; absent while nothing is published.", [Credential], unpublished);
            _timeToHardEnd = factory.CreateGauge("leaseagent_lease_time_to_hard_end_seconds", "Seconds until the credential's published lease reaches its max TTL; absent while nothing is published or the server did not say.", [Credential], unpublished);
            _generation = factory.CreateGauge("leaseagent_generation", "Generation of the credential's published lease (1 for the first, +1 per replacement; 0 when none).", Credential);
            _ready = factory.CreateGauge("leaseagent_ready", "1 when every credential is published (or FAIL_OPEN applies) and the secrets are written, else 0.");
            _degraded = factory.CreateGauge("leaseagent_degraded", "1 when ready but the last renewal or replacement of the first credential (or the last secrets refresh) failed, else 0.");
            var state = factory.CreateGauge("leaseagent_state", "1 for the agent's state (its first credential's lease state, Stopping, or Secrets), 0 for every other state.", "state");
            _states = [.. States.Select(s => state.WithLabels(s))];
            _credentialReady = factory.CreateGauge("leaseagent_credential_ready", "1 when the credential is published (or FAIL_OPEN applies to it), else 0.", Credential);
            _credentialDegraded = factory.CreateGauge("leaseagent_credential_degraded", "1 when the credential is ready but its last renewal or replacement failed, else 0.", Credential);
            _credentialState = factory.CreateGauge("leaseagent_credential_state", "1 for the credential's state (its current or incoming lease's state, or Stopping), 0 for every other state.", Credential, "state");
            factory.CreateGauge("leaseagent_build_info", "Always 1; the version label is the agent's version.", "version").WithLabels(AgentVersion.Version).Set(1);

            // process_cpu_seconds_total, process_working_set_bytes, process_start_time_seconds, …
            DotNetStats.Register(Registry);
            Registry.AddBeforeCollectCallback(Update);
        }

        public CollectorRegistry Registry { get; }

        private void AddCounter(MetricFactory factory, Func<CredentialMetrics, Tally> tally, string name, string help, string label) =>
            _counters.Add((tally, factory.CreateCounter(name, help, Credential, label)));

        private void Update()
        {
            var credentials = _metrics.Credentials;
            foreach (var (select, counter) in _counters)
            {
                foreach (var credential in credentials)
                {
                    var tally = select(credential);
                    for (var i = 0; i < tally.Values.Count; i++)
                    {
                        counter.WithLabels(credential.Credential, tally.Values[i]).IncTo(tally.Count(i));
                    }

                    if (tally.OtherCount > 0)
                    {
                        counter.WithLabels(credential.Credential, Other).IncTo(tally.OtherCount);
                    }
                }
            }

            var time = _metrics._time;
            var now = time.GetTimestamp();
            var current = _metrics._status.Current;
            var leases = current?.Leases ?? [];
            foreach (var name in credentials.Select(c => c.Credential).Union(leases.Select(l => l.Credential)))
            {
                var lease = leases.FirstOrDefault(l => l.Credential == name);
                _generation.WithLabels(name).Set(lease?.Generation ?? 0);
                if (lease?.Published is { } published)
                {
                    _timeLeft.WithLabels(name).Set(Math.Max(0, time.GetElapsedTime(now, published.ExpiresAt).TotalSeconds));
                    if (published.HardEndAt == long.MaxValue)
                    {
                        _timeToHardEnd.WithLabels(name).Unpublish();
                    }
                    else
                    {
                        _timeToHardEnd.WithLabels(name).Set(Math.Max(0, time.GetElapsedTime(now, published.HardEndAt).TotalSeconds));
                    }
                }
                else
                {
                    _timeLeft.WithLabels(name).Unpublish();
                    _timeToHardEnd.WithLabels(name).Unpublish();
                }
            }

            var status = current?.Status;
            _generation.Set(status?.Generation ?? 0);
            _ready.Set(status is { Ready: true } ? 1 : 0);
            _degraded.Set(status is { Degraded: true } ? 1 : 0);
            var state = status?.State ?? AgentState.Pending;
            for (var i = 0; i < _states.Length; i++)
            {
                _states[i].Set(_stateValues[i] == state ? 1 : 0);
            }

            foreach (var credential in status?.Credentials ?? [])
            {
                _credentialReady.WithLabels(credential.Name).Set(credential.Ready ? 1 : 0);
                _credentialDegraded.WithLabels(credential.Name).Set(credential.Degraded ? 1 : 0);
                for (var i = 0; i < _stateValues.Length; i++)
                {
                    _credentialState.WithLabels(credential.Name, States[i]).Set(_stateValues[i] == credential.State ? 1 : 0);
                }
            }
        }
    }
}
