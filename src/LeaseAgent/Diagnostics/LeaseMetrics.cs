using System.Text;
using LeaseAgent.Hosting;
using LeaseAgent.Postgres;
using LeaseAgent.Status;
using Prometheus;

namespace LeaseAgent.Diagnostics;

/// <summary>
/// The agent's metrics, exported in the Prometheus text format on <c>/metrics</c> when <c>HEALTH_ADDRESS</c>
/// is set (see <c>docs/metrics.md</c>). The supervisor records outcomes here at the cost of an interlocked
/// increment; the prometheus-net registry that serializes them is built on the first scrape only, so an agent
/// without <c>HEALTH_ADDRESS</c> never loads it. Label values come from fixed sets (a value outside the set is
/// counted as <c>other</c>): never an identifier or a secret.
/// </summary>
public sealed class LeaseMetrics : IDisposable
{
    /// <summary>The <c>Content-Type</c> of <see cref="WriteAsync"/>'s output.</summary>
    public const string ContentType = PrometheusConstants.TextContentTypeWithVersionAndEncoding;

    private const string Other = "other";

    /// <summary>Every value of the <c>state</c> label of <c>leaseagent_state</c>.</summary>
    public static IReadOnlyList<string> States { get; } = [.. StateValues.Select(s => s.ToString())];

    private static AgentState[] StateValues => Enum.GetValues<AgentState>();

    private readonly StatusReporter _status;
    private readonly TimeProvider _time;
    private readonly Tally _renewals = new("ok", "capped", "failed", "lost");
    private readonly Tally _rotations = new("ok", "failed");
    private readonly Tally _probeFailures = new([.. Enum.GetNames<ProbeFailure>().Where(n => n != nameof(ProbeFailure.None)).Select(SnakeCase), "crashed"]);
    private readonly Tally _revocations = new("ok", "failed");
    private readonly Lazy<Exposition> _exposition;

    public LeaseMetrics(StatusReporter status, TimeProvider time)
    {
        _status = status;
        _time = time;
        _exposition = new Lazy<Exposition>(() => new Exposition(this), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The metrics of one credential, as its lease supervisor records them.</summary>
    public CredentialMetrics For(string credential) => new(this, credential);

    /// <summary>A renewal finished: <c>ok</c>, <c>capped</c> (only up to the max TTL), <c>failed</c> or <c>lost</c>.</summary>
    public void RenewalCompleted(string result) => _renewals.Add(result);

    /// <summary>A replacement credential was published (<c>ok</c>) or could not be had while one was in service (<c>failed</c>).</summary>
    public void RotationCompleted(string result) => _rotations.Add(result);

    /// <summary>A probe did not pass; <paramref name="reason"/> is a <see cref="ProbeFailure"/> name or <c>ProbeCrashed</c>.</summary>
    public void ProbeFailed(string reason) => _probeFailures.Add(reason == "ProbeCrashed" ? "crashed" : SnakeCase(reason));

    /// <summary>A revocation finished: <c>ok</c> or <c>failed</c>.</summary>
    public void RevocationCompleted(string result) => _revocations.Add(result);

    /// <summary>Writes every metric in the Prometheus text exposition format (<see cref="ContentType"/>).</summary>
    public Task WriteAsync(Stream destination, CancellationToken cancellationToken) =>
        _exposition.Value.Registry.CollectAndExportAsTextAsync(destination, cancellationToken);

    public void Dispose()
    {
        // Nothing to release: the registry holds no timers, threads or handles.
    }

    /// <summary><c>AuthenticationFailed</c> → <c>authentication_failed</c>.</summary>
    private static string SnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 8);
        foreach (var c in name)
        {
            if (char.IsAsciiLetterUpper(c) && builder.Length > 0)
            {
                builder.Append('_');
            }

            builder.Append(char.ToLowerInvariant(c));
        }

        return builder.ToString();
    }

    /// <summary>Counts per label value of a fixed set, plus <c>other</c> for anything outside it.</summary>
    private sealed class Tally
    {
        private readonly string[] _values;
        private readonly long[] _counts;

        public Tally(params string[] values)
        {
            _values = values;
            _counts = new long[values.Length + 1];
        }

        public IReadOnlyList<string> Values => _values;

        public void Add(string value)
        {
            var index = Array.IndexOf(_values, value);
            Interlocked.Increment(ref _counts[index < 0 ? _values.Length : index]);
        }

        public long Count(int index) => Interlocked.Read(ref _counts[index]);

        public long OtherCount => Count(_values.Length);
    }

    /// <summary>The prometheus-net registry, its collectors, and the update that runs before every scrape.</summary>
    private sealed class Exposition
    {
        private readonly LeaseMetrics _metrics;
        private readonly List<(Tally Tally, Counter Counter, Counter.Child[] Children)> _counters = [];
        private readonly Gauge _timeLeft;
        private readonly Gauge _timeToHardEnd;
        private readonly Gauge _generation;
        private readonly Gauge _ready;
        private readonly Gauge _degraded;
        private readonly Gauge.Child[] _states;
        private readonly AgentState[] _stateValues = StateValues;

        public Exposition(LeaseMetrics metrics)
        {
            _metrics = metrics;
            Registry = Metrics.NewCustomRegistry();
            var factory = Metrics.WithCustomRegistry(Registry);

            AddCounter(factory, metrics._renewals, "leaseagent_renewals_total", "Lease renewals by result: ok, capped (renewed only up to the max TTL), failed, lost.", "result");
            AddCounter(factory, metrics._rotations, "leaseagent_rotations_total", "Credential rotations by result: ok (a new credential was published), failed.", "result");
            AddCounter(factory, metrics._probeFailures, "leaseagent_probe_failures_total", "Failed probes of a credential by reason.", "reason");
            AddCounter(factory, metrics._revocations, "leaseagent_revocations_total", "Lease revocations by result: ok, failed.", "result");

            var unpublished = new GaugeConfiguration { SuppressInitialValue = true };
            _timeLeft = factory.CreateGauge("leaseagent_lease_time_left_seconds", "Seconds until the published lease expires unless renewed; absent while nothing is published.", unpublished);
            _timeToHardEnd = factory.CreateGauge("leaseagent_lease_time_to_hard_end_seconds", "Seconds until the published lease reaches its max TTL; absent while nothing is published or the server did not say.", unpublished);
            _generation = factory.CreateGauge("leaseagent_generation", "Generation of the published credential (1 for the first, +1 per replacement; 0 when none).");
            _ready = factory.CreateGauge("leaseagent_ready", "1 when a probed credential is published (or FAIL_OPEN applies), else 0.");
            _degraded = factory.CreateGauge("leaseagent_degraded", "1 when ready but the last renewal or replacement failed, else 0.");
            var state = factory.CreateGauge("leaseagent_state", "1 for the state the agent's lease is in, 0 for every other state.", "state");
            _states = [.. States.Select(s => state.WithLabels(s))];
            factory.CreateGauge("leaseagent_build_info", "Always 1; the version label is the agent's version.", "version").WithLabels(AgentVersion.Version).Set(1);

            // process_cpu_seconds_total, process_working_set_bytes, process_start_time_seconds, …
            DotNetStats.Register(Registry);
            Registry.AddBeforeCollectCallback(Update);
        }

        public CollectorRegistry Registry { get; }

        private void AddCounter(MetricFactory factory, Tally tally, string name, string help, string label)
        {
            var counter = factory.CreateCounter(name, help, label);
            _counters.Add((tally, counter, [.. tally.Values.Select(v => counter.WithLabels(v))]));
        }

        private void Update()
        {
            foreach (var (tally, counter, children) in _counters)
            {
                for (var i = 0; i < children.Length; i++)
                {
                    children[i].IncTo(tally.Count(i));
                }

                if (tally.OtherCount > 0)
                {
                    counter.WithLabels(Other).IncTo(tally.OtherCount);
                }
            }

            var time = _metrics._time;
            var now = time.GetTimestamp();
            var current = _metrics._status.Current;
            if (current?.Leases.FirstOrDefault(l => l.Published is not null)?.Published is { } lease)
            {
                _timeLeft.Set(Math.Max(0, time.GetElapsedTime(now, lease.ExpiresAt).TotalSeconds));
                if (lease.HardEndAt == long.MaxValue)
                {
                    _timeToHardEnd.Unpublish();
                }
                else
                {
                    _timeToHardEnd.Set(Math.Max(0, time.GetElapsedTime(now, lease.HardEndAt).TotalSeconds));
                }
            }
            else
            {
                _timeLeft.Unpublish();
                _timeToHardEnd.Unpublish();
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
        }
    }
}
