using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using LeaseAgent.Benchmarks.Infrastructure;
using LeaseAgent.Testing;

namespace LeaseAgent.Benchmarks.Figures;

/// <summary>
/// Figure 10d, a picture rather than a number: the time left of each lease of one agent across its renewals and
/// rotations. One agent in its default configuration plus <c>HEALTH_ADDRESS</c>, on the timeline role (10 s TTL,
/// 30 s max TTL: renewals about every 6.7 s, a rotation about every 20 s, when a third of the lease's life is left),
/// for <see cref="Duration"/> after its first publish. Every <see cref="ScrapeInterval"/> the harness scrapes
/// <c>/metrics</c> as Prometheus would and keeps <c>leaseagent_lease_time_left_seconds</c>,
/// <c>leaseagent_lease_time_to_hard_end_seconds</c> and <c>leaseagent_generation</c>: the agent's own view, the
/// same gauges an operator's dashboard shows. It runs beside the soak (figure 10), which measures memory, not time,
/// so it adds only what it outlasts the soak by (in quick mode ~20 s).
/// </summary>
public sealed class LeaseTimeline
{
    public static readonly TimeSpan Duration = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ScrapeInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(60);

    public FigureResult? Result { get; private set; }

    public async Task MeasureAsync(Bench bench)
    {
        var directory = bench.NewDirectory("timeline");
        var environment = bench.AgentEnvironment(bench.TimelineRole, Path.Combine(directory, "db.json"));
        var port = LoopbackPort.Free();
        environment["HEALTH_ADDRESS"] = $"127.0.0.1:{port}";
        var metrics = new Uri($"http://127.0.0.1:{port}/metrics");
        var samples = new List<LeaseSample>();
        string? cutShort = null;
        int exit;

        await using (var agent = ChildProcess.Start("lease-agent (timeline)", bench.Binaries.Agent, environment, directory, "run"))
        {
            using (var watcher = new PublishWatcher(directory))
            {
                await watcher.WaitAsync("db.json", PublishTimeout, agent);
            }

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            using var timer = new PeriodicTimer(ScrapeInterval);
            var clock = Stopwatch.StartNew();
            do
            {
                if (agent.HasExited)
                {
                    cutShort = $"the agent exited on its own with code {agent.ExitCode}";
                    break;
                }

                try
                {
                    // The reading's time is the scrape's midpoint: the gauges are computed while it is answered.
                    var before = clock.Elapsed.TotalSeconds;
                    var text = await http.GetStringAsync(metrics);
                    if (Parse(text, (before + clock.Elapsed.TotalSeconds) / 2) is { } sample)
                    {
                        samples.Add(sample);
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // A missed scrape is a gap in the line, as in Prometheus; the agent's exit is seen above.
                }
            }
            while (clock.Elapsed < Duration && await timer.WaitForNextTickAsync());

            exit = agent.HasExited ? agent.ExitCode : await agent.StopAsync(TimeSpan.FromSeconds(60));
        }

        var stamp = $"{DateTime.UtcNow:yyyyMMdd-HHmmss}";
        var csvPath = Path.Combine(Infrastructure.RepositoryRoot.Path, "artifacts", "bench", $"lease-time-left-{stamp}.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(csvPath)!);
        await File.WriteAllLinesAsync(csvPath, ["seconds,generation,time_left_seconds,time_to_hard_end_seconds", .. samples.Select(ToCsv)]);

        var generations = samples.Select(s => s.Generation).Distinct().Count();
        var renewals = Renewals(samples);
        var title = $"Time left per lease: TTL 10 s, max TTL 30 s, {Duration.TotalSeconds:0} s of one agent";
        var png = samples.Count == 0
            ? null
            : Plots.LeaseTimeLeft(Path.Combine(Plots.Directory(bench.Options), "lease-time-left.png"), title, samples);
        Console.Error.WriteLine($"  lease timeline: {csvPath}{(png is null ? string.Empty : $", {png}")}");

        Result = new FigureResult(
            "10d",
            $"Time left per lease over {Duration.TotalSeconds:0} s (10 s TTL, 30 s max TTL), plotted",
            $"{generations} generations, {renewals} renewals seen",
            "–",
            "–",
            "–",
            Verdict.Info,
            [
                $"One agent (default configuration, HEALTH_ADDRESS on), /metrics scraped every {ScrapeInterval.TotalMilliseconds:0} ms: {samples.Count} readings of leaseagent_lease_time_left_seconds, leaseagent_lease_time_to_hard_end_seconds and leaseagent_generation; run beside the soak; exit code {exit} after SIGTERM{(cutShort is null ? string.Empty : $"; cut short: {cutShort}")}.",
                $"Plot: {(png is null ? "none (no reading)" : Plots.Relative(png))}; readings: {Plots.Relative(csvPath)}.",
            ]);
    }

    /// <summary>One reading of the first credential's gauges, or null while nothing is published.</summary>
    private static LeaseSample? Parse(string metrics, double seconds)
    {
        double? Gauge(string name)
        {
            var match = Regex.Match(metrics, $@"^{name}(?:\{{[^}}]*\}})? (\S+)$", RegexOptions.Multiline);
            return match.Success ? double.Parse(match.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture) : null;
        }

        var generation = Gauge("leaseagent_generation");
        var left = Gauge("leaseagent_lease_time_left_seconds");
        return generation is > 0 && left is not null
            ? new LeaseSample(seconds, (int)generation.Value, left.Value, Gauge("leaseagent_lease_time_to_hard_end_seconds"))
            : null;
    }

    /// <summary>Renewals seen: within one generation, the time left going up (by more than a scrape's jitter).</summary>
    private static int Renewals(IReadOnlyList<LeaseSample> samples) =>
        samples.Zip(samples.Skip(1)).Count(p => p.First.Generation == p.Second.Generation && p.Second.TimeLeft > p.First.TimeLeft + 0.5);

    private static string ToCsv(LeaseSample s) => string.Join(
        ',',
        s.Seconds.ToString("0.000", CultureInfo.InvariantCulture),
        s.Generation.ToString(CultureInfo.InvariantCulture),
        s.TimeLeft.ToString("0.000", CultureInfo.InvariantCulture),
        s.ToHardEnd?.ToString("0.000", CultureInfo.InvariantCulture) ?? string.Empty);
}
