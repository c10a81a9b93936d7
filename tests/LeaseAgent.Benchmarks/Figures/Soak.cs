using System.Diagnostics;
using System.Globalization;
using LeaseAgent.Benchmarks.Infrastructure;
using LeaseAgent.Testing;

namespace LeaseAgent.Benchmarks.Figures;

/// <summary>
/// Figure 10: the agent's memory across many rotations (default 1,000; <c>--soak-rotations N</c>) under an app that
/// follows the credential and queries every ~10 ms (<see cref="WellBehavedApp"/>). The agent runs in its default
/// configuration on the soak role (2 s TTL, 4 s max TTL: a rotation about every 2.7 s, the superseded user revoked
/// by its hard end at the latest), as one process: a crash ends the soak and is reported. Every second the harness
/// samples <c>VmRSS</c>/<c>RssAnon</c>/<c>RssFile</c> (<c>/proc/&lt;pid&gt;/status</c>), PSS (<c>smaps_rollup</c>),
/// the anonymous memory by kind (<see cref="AnonBreakdown"/>) and, when a cgroup can be made, the working set
/// (<see cref="MemoryCgroup"/>), against the rotations done so far; the samples go to
/// <c>artifacts/bench/soak-*.csv</c>. The value at a rotation count is the median of the samples of the preceding
/// 5 % of the run, so that one GC's timing does not decide it.
/// </summary>
public sealed class Soak
{
    private const double GrowthGoalMiB = 1;
    private static readonly TimeSpan SampleInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(60);

    private readonly List<FigureResult> _results = [];

    public IReadOnlyList<FigureResult> Results => _results;

    public async Task MeasureAsync(Bench bench)
    {
        var target = bench.Options.SoakRotations;
        var directory = bench.NewDirectory("soak");
        var outputFile = Path.Combine(directory, "db.json");
        var environment = bench.ExperimentEnvironment(bench.SoakRole, outputFile);

        using var cgroup = MemoryCgroup.TryCreate($"lease-agent-bench-soak-{Environment.ProcessId}", out var noCgroup);
        var (binary, args) = cgroup?.WrapCommand(bench.Binaries.Agent, "run") ?? (bench.Binaries.Agent, ["run"]);
        var csvPath = CsvPath();
        var samples = new List<Sample>();
        var rotations = new RotationCounter();
        long queries;
        string[] failures;
        int switches;
        var clock = Stopwatch.StartNew();
        string? crash = null;
        string? timeout = null;
        string? cgroupAtEnd = null;
        int exit;

        await using (var agent = ChildProcess.Start("lease-agent (soak)", binary, environment, directory, args))
        {
            using (var watcher = new PublishWatcher(directory))
            {
                await watcher.WaitAsync("db.json", PublishTimeout, agent);
            }

            await using var csv = new StreamWriter(csvPath);
            csv.AutoFlush = true; // the samples so far survive a harness that dies mid-soak
            await csv.WriteLineAsync(Sample.CsvHeader);
            var deadline = PublishTimeout + (target * TimeSpan.FromSeconds(8));
            await using (var app = await WellBehavedApp.StartAsync(outputFile, workers: 1, period: TimeSpan.FromMilliseconds(10)))
            {
                using var timer = new PeriodicTimer(SampleInterval);
                do
                {
                    var done = rotations.Count(agent);
                    if (agent.HasExited)
                    {
                        crash = $"the agent exited on its own with code {agent.ExitCode} after {done} rotations";
                        break;
                    }

                    Sample sample;
                    try
                    {
                        sample = Sample.Read(clock.Elapsed, done, agent.Pid, app, cgroup);
                    }
                    catch (Exception e) when (e is IOException or FormatException or InvalidOperationException && agent.HasExited)
                    {
                        continue; // it exited while being read: recorded on the next round
                    }

                    samples.Add(sample);
                    await csv.WriteLineAsync(sample.ToCsv());
                    if (done >= target)
                    {
                        break;
                    }

                    if (clock.Elapsed > deadline)
                    {
                        timeout = $"only {done} of {target} rotations within {deadline.TotalSeconds:0} s";
                        break;
                    }
                }
                while (await timer.WaitForNextTickAsync());

                queries = app.Queries;
                failures = [.. app.Failures];
                switches = app.Generations.Count;
            }

            cgroupAtEnd = agent.HasExited ? null : cgroup?.Read().Describe();
            exit = agent.HasExited ? agent.ExitCode : await agent.StopAsync(TimeSpan.FromSeconds(60));

            // The agent's own log beside the samples: why a soak was cut short is in it (it holds no secret).
            await File.WriteAllTextAsync(Path.ChangeExtension(csvPath, ".log"), agent.Output);
        }

        Progress($"  soak samples: {csvPath} (agent log beside it)");
        var png = samples.Count == 0 ? null : Draw(bench, samples);
        if (png is not null)
        {
            Progress($"  soak plot: {png}");
        }

        AddResults(bench, target, samples, queries, failures, switches, clock.Elapsed, crash ?? timeout, exit, csvPath, cgroup is null ? noCgroup : null, cgroupAtEnd, png);
    }

    /// <summary>
    /// The samples as a picture (<see cref="Plots.SoakMemory"/>): the lines the figure's numbers come from, and the
    /// window (the last two thirds) over which growth is judged against the goal.
    /// </summary>
    private static string Draw(Bench bench, List<Sample> samples)
    {
        static double[] MiB(List<Sample> of, Func<Sample, long> kib) => [.. of.Select(s => kib(s) / 1024.0)];
        var done = samples[^1].Rotations;
        var series = new List<(string, double[])>
        {
            ("VmRSS", MiB(samples, s => s.RssKiB)),
            ("RssAnon", MiB(samples, s => s.AnonKiB)),
            ("GC heap (anon, smaps)", MiB(samples, s => s.Anon.GcKiB)),
            ("malloc (anon, smaps)", MiB(samples, s => s.Anon.MallocKiB)),
        };
        if (samples.All(s => s.WorkingSetBytes >= 0))
        {
            series.Insert(2, ("cgroup working set", MiB(samples, s => s.WorkingSetBytes / 1024)));
        }

        return Plots.SoakMemory(
            Path.Combine(Plots.Directory(bench.Options), "soak-memory.png"),
            $"Agent memory over a soak of {done} rotations (one sample a second, {samples[^1].Seconds / 60:0.0} min)",
            [.. samples.Select(s => (double)s.Rotations)],
            series,
            done / 3,
            done,
            $"last two thirds (goal: ≤ {GrowthGoalMiB} MiB growth)");
    }

    private static string CsvPath()
    {
        var directory = Path.Combine(Infrastructure.RepositoryRoot.Path, "artifacts", "bench");
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, $"soak-{DateTime.UtcNow:yyyyMMdd-HHmmss}.csv");
    }

    private static void Progress(string message) => Console.Error.WriteLine(message);

    private void AddResults(Bench bench, int target, List<Sample> samples, long queries, string[] failures, int switches, TimeSpan elapsed, string? cutShort, int exit, string csvPath, string? noCgroup, string? cgroupAtEnd, string? png)
    {
        if (samples.Count == 0)
        {
            _results.Add(new FigureResult("10", $"Soak: memory across {target} rotations", "not measured", "–", "–", $"≤ {GrowthGoalMiB} MiB growth", Verdict.Misses, [cutShort ?? "no sample"]));
            return;
        }

        var done = samples[^1].Rotations;
        var window = Math.Max(2, done / 20);
        Sample At(int rotation) => Sample.Median(samples.Where(s => s.Rotations <= rotation && s.Rotations > rotation - window).DefaultIfEmpty(samples.Last(s => s.Rotations <= rotation)));
        var start = samples[0];
        var third = At(done / 3);
        var end = At(done);
        var anonGrowth = (end.AnonKiB - third.AnonKiB) / 1024.0;
        var rssGrowth = (end.RssKiB - third.RssKiB) / 1024.0;
        var lastTwoThirds = samples.Where(s => s.Rotations >= done / 3).ToList();
        var anonSlope = Slope(lastTwoThirds, s => s.AnonKiB);
        var rssSlope = Slope(lastTwoThirds, s => s.RssKiB);
        var holds = cutShort is null && anonGrowth <= GrowthGoalMiB && rssGrowth <= GrowthGoalMiB;
        var experiments = bench.Options.AgentEnvironment.Count == 0
            ? "default configuration"
            : "default configuration plus " + string.Join(", ", bench.Options.AgentEnvironment.Select(e => $"{e.Key}={e.Value}"));
        string Mib(double kib) => Measurements.F(kib / 1024.0);
        string Signed(double mib) => (mib >= 0 ? "+" : string.Empty) + Measurements.F(mib, "0.00");

        var details = new List<string>
        {
            $"{done} rotations in {elapsed.TotalSeconds:0} s ({Measurements.F(elapsed.TotalSeconds / Math.Max(1, done))} s each), {samples.Count} samples, one per {SampleInterval.TotalSeconds:0} s; agent in its {experiments}, soak role (2 s TTL, 4 s max TTL); exit code {exit} after SIGTERM{(cutShort is null ? string.Empty : $"; cut short: {cutShort}")}.",
            $"Value at a rotation count = median of the samples of the {window} rotations before it. VmRSS / RssAnon / RssFile / PSS (MiB): after publish {start.Describe()}; at rotation {done / 3} {third.Describe()}; at rotation {done} {end.Describe()}.",
            $"Over the last two thirds: RssAnon {Signed(anonGrowth)} MiB ({Measurements.F(anonSlope, "0.00")} KiB per rotation by least squares), VmRSS {Signed(rssGrowth)} MiB ({Measurements.F(rssSlope, "0.00")} KiB per rotation); from publish to the end RssAnon {Signed((end.AnonKiB - start.AnonKiB) / 1024.0)} MiB.",
            $"Anonymous memory by kind (smaps, heuristic): after publish {start.Anon.Describe()}; at rotation {done / 3} {third.Anon.Describe()}; at the end {end.Anon.Describe()}.",
            CgroupDetail(start, third, end, noCgroup, cgroupAtEnd),
            $"The app: {queries} queries, {failures.Length} failed, switched credentials {switches} times.",
            $"Samples (seconds, rotations, KiB of each kind, working set bytes): {Path.GetRelativePath(Infrastructure.RepositoryRoot.Path, csvPath)}.",
            $"Plot: {(png is null ? "none" : Plots.Relative(png))}.",
        };
        details.AddRange(failures.Take(5).Select(f => $"Failure: {f}"));

        _results.Add(new FigureResult(
            "10",
            $"Soak: RssAnon growth over the last two thirds of {done} rotations (app querying)",
            $"{Signed(anonGrowth)} MiB (VmRSS {Signed(rssGrowth)} MiB)",
            $"RssAnon {Mib(third.AnonKiB)} MiB at rotation {done / 3}",
            "–",
            $"≤ {GrowthGoalMiB} MiB (both)",
            holds ? Verdict.Holds : Verdict.Misses,
            details));
        _results.Add(new FigureResult(
            "10b",
            $"Soak: app queries failing during {done} rotations (query every ~10 ms)",
            $"{failures.Length} of {queries}",
            "–",
            "–",
            "0",
            failures.Length == 0 && cutShort is null ? Verdict.Holds : Verdict.Misses,
            []));
        _results.Add(new FigureResult(
            "10c",
            "Soak: VmRSS / RssAnon after publish → at 1/3 → at the end",
            $"{Mib(start.RssKiB)} / {Mib(start.AnonKiB)} → {Mib(third.RssKiB)} / {Mib(third.AnonKiB)} → {Mib(end.RssKiB)} / {Mib(end.AnonKiB)} MiB",
            "–",
            "–",
            $"≤ {SteadyState.RssGoalMiB} MiB VmRSS at the end (figure 2's goal, after the soak too)",
            end.RssKiB / 1024.0 <= SteadyState.RssGoalMiB ? Verdict.Holds : Verdict.Misses,
            []));

        static string CgroupDetail(Sample start, Sample third, Sample end, string? noCgroup, string? atEnd) => noCgroup is not null
            ? $"No working set: {noCgroup}."
            : $"Working set of the agent's own cgroup (usage − inactive file; figure 11): after publish {Measurements.F(start.WorkingSetBytes / 1048576.0)} MiB, at 1/3 {Measurements.F(third.WorkingSetBytes / 1048576.0)} MiB, at the end {Measurements.F(end.WorkingSetBytes / 1048576.0)} MiB; last reading: {atEnd ?? "–"}. File pages are charged to the cgroup that first brings them in, so when this agent is the first to run a freshly published binary its working set also holds the binary's pages it faulted in.";
    }

    /// <summary>Least-squares slope of <paramref name="value"/> (KiB) over rotations: KiB per rotation.</summary>
    private static double Slope(IReadOnlyList<Sample> samples, Func<Sample, double> value)
    {
        if (samples.Count < 2)
        {
            return double.NaN;
        }

        var meanX = samples.Average(s => (double)s.Rotations);
        var meanY = samples.Average(value);
        var sxx = samples.Sum(s => (s.Rotations - meanX) * (s.Rotations - meanX));
        return sxx == 0 ? double.NaN : samples.Sum(s => (s.Rotations - meanX) * (value(s) - meanY)) / sxx;
    }

    /// <summary>Counts completed rotations (event 101 with generation &gt; 1) in the agent's log, reading each line once.</summary>
    private sealed class RotationCounter
    {
        private int _scanned;
        private int _rotations;

        public int Count(ChildProcess agent)
        {
            var fresh = agent.Lines.Skip(_scanned).ToList();
            _scanned += fresh.Count;
            _rotations += AgentLogEvent.Parse(fresh).Count(e => e.EventId == AgentLogEvent.Published && e.IntegerOf("Generation") > 1);
            return _rotations;
        }
    }

    private sealed record Sample(double Seconds, int Rotations, long RssKiB, long AnonKiB, long FileKiB, long PssKiB, AnonBreakdown Anon, long Queries, int Failures, long WorkingSetBytes)
    {
        public const string CsvHeader = "seconds,rotations,vmrss_kib,rss_anon_kib,rss_file_kib,pss_kib,anon_gc_kib,anon_malloc_kib,anon_stacks_kib,anon_binaries_kib,anon_other_kib,app_queries,app_failures,working_set_bytes";

        public static Sample Read(TimeSpan elapsed, int rotations, int pid, WellBehavedApp app, MemoryCgroup? cgroup)
        {
            var memory = ProcFs.ReadMemory(pid);
            return new Sample(
                elapsed.TotalSeconds,
                rotations,
                memory.RssKiB,
                memory.AnonKiB,
                memory.FileKiB,
                ProcFs.ReadPssKiB(pid),
                AnonBreakdown.Read(pid),
                app.Queries,
                app.Failures.Count,
                cgroup?.Read().WorkingSetBytes ?? -1);
        }

        /// <summary>The element-wise median of samples.</summary>
        public static Sample Median(IEnumerable<Sample> samples)
        {
            var all = samples.ToList();
            long M(Func<Sample, long> f) => (long)Measurements.Median(all.Select(s => (double)f(s)));
            return new Sample(
                all[^1].Seconds,
                all[^1].Rotations,
                M(s => s.RssKiB),
                M(s => s.AnonKiB),
                M(s => s.FileKiB),
                M(s => s.PssKiB),
                new AnonBreakdown(M(s => s.Anon.GcKiB), M(s => s.Anon.MallocKiB), M(s => s.Anon.StacksKiB), M(s => s.Anon.BinariesKiB), M(s => s.Anon.OtherKiB)),
                all[^1].Queries,
                all[^1].Failures,
                M(s => s.WorkingSetBytes));
        }

        public string Describe() =>
            $"{Measurements.F(RssKiB / 1024.0)} / {Measurements.F(AnonKiB / 1024.0)} / {Measurements.F(FileKiB / 1024.0)} / {Measurements.F(PssKiB / 1024.0)}";

        public string ToCsv() => string.Join(
            ',',
            Seconds.ToString("0.0", CultureInfo.InvariantCulture),
            Rotations.ToString(CultureInfo.InvariantCulture),
            RssKiB.ToString(CultureInfo.InvariantCulture),
            AnonKiB.ToString(CultureInfo.InvariantCulture),
            FileKiB.ToString(CultureInfo.InvariantCulture),
            PssKiB.ToString(CultureInfo.InvariantCulture),
            Anon.GcKiB.ToString(CultureInfo.InvariantCulture),
            Anon.MallocKiB.ToString(CultureInfo.InvariantCulture),
            Anon.StacksKiB.ToString(CultureInfo.InvariantCulture),
            Anon.BinariesKiB.ToString(CultureInfo.InvariantCulture),
            Anon.OtherKiB.ToString(CultureInfo.InvariantCulture),
            Queries.ToString(CultureInfo.InvariantCulture),
            Failures.ToString(CultureInfo.InvariantCulture),
            WorkingSetBytes < 0 ? string.Empty : WorkingSetBytes.ToString(CultureInfo.InvariantCulture));
    }
}
