using System.Diagnostics;
using LeaseAgent.Benchmarks.Infrastructure;
using LeaseAgent.Testing;

namespace LeaseAgent.Benchmarks.Figures;

/// <summary>
/// Figure 5: queries of an app that fail while the agent rotates its credential. The agent runs on the short role
/// (2 s TTL, 6 s max TTL: a rotation every ~4 s, the superseded user revoked at the latest when its max TTL ends)
/// with its default drain settings; the app (<see cref="WellBehavedApp"/>, the sample ReportingService's credential
/// store) follows the published file and queries every ~10 ms until the requested number of rotations has
/// completed. An agent that crashes is restarted at once (<see cref="RotatingAgent"/>) and the crash is reported.
/// Also reads the agent's memory at the end (figure 2c).
/// </summary>
public sealed class QueriesDuringRotation
{
    private readonly List<FigureResult> _results = [];

    public IReadOnlyList<FigureResult> Results => _results;

    public async Task MeasureAsync(Bench bench)
    {
        var rotations = bench.Options.QueryLoopRotations;
        await using var agent = RotatingAgent.Start(bench, "queries");
        using (var watcher = new PublishWatcher(Path.GetDirectoryName(agent.OutputFile)!))
        {
            await watcher.WaitAsync(Path.GetFileName(agent.OutputFile), TimeSpan.FromSeconds(60), agent.Current);
        }

        var publishedAt = Stopwatch.GetTimestamp();
        var clock = Stopwatch.StartNew();
        long queries;
        string[] failures;
        int[] generations;
        await using (var app = await WellBehavedApp.StartAsync(agent.OutputFile, workers: 1, period: TimeSpan.FromMilliseconds(10)))
        {
            await agent.WaitForRotationsAsync(rotations, TimeSpan.FromSeconds(60 + (rotations * 8)));
            await Task.Delay(TimeSpan.FromSeconds(1)); // the app's switch to the last generation
            queries = app.Queries;
            failures = [.. app.Failures];
            generations = [.. app.Generations];
        }

        var elapsed = clock.Elapsed;
        var memory = ProcFs.ReadMemory(agent.Current.Pid);
        var agentAge = Stopwatch.GetElapsedTime(agent.Crashes.Count == 0 ? publishedAt : agent.Current.StartTimestamp);
        var exit = await agent.StopAsync();
        var crashes = agent.Crashes.Count;

        _results.Add(new FigureResult(
            "5",
            $"App queries failing during {rotations} rotations (query every ~10 ms)",
            $"{failures.Length} of {queries}" + (crashes > 0 ? $"; {crashes} agent crash(es)" : string.Empty),
            "–",
            "–",
            "0",
            failures.Length == 0 && crashes == 0 ? Verdict.Holds : Verdict.Misses,
            [
                $"{queries} queries in {elapsed.TotalSeconds:0} s; the app switched credentials {generations.Length} times; the last agent exited with {exit} after SIGTERM.",
                .. agent.Crashes.Select(c => $"The agent crashed (restarted at once, as a kubelet would after its back-off): {c}."),
                .. failures.Take(5).Select(f => $"Failure: {f}"),
            ]));
        _results.Add(new FigureResult(
            "2c",
            $"RSS after {rotations} rotations under the query loop (default config)",
            $"{Measurements.F(memory.RssMiB)} MiB",
            "–",
            "–",
            "(figure 2's goal is ≤ 24 MiB)",
            Verdict.Info,
            [$"VmRSS {Measurements.F(memory.RssMiB)} MiB (RssAnon {Measurements.F(memory.AnonKiB / 1024.0)}, RssFile {Measurements.F(memory.FileKiB / 1024.0)}) of the agent that had been rotating for {agentAge.TotalSeconds:0} s: the GC heap grows with activity, up to its gen0 budget."]));
    }
}
