using System.Diagnostics;
using LeaseAgent.Benchmarks.Infrastructure;

namespace LeaseAgent.Benchmarks.Figures;

/// <summary>
/// Figure 5: queries of an app that fail while the agent rotates its credential. The agent runs on the short role
/// (2 s TTL, 6 s max TTL: a rotation every ~4 s, the superseded user revoked at the latest when its max TTL ends)
/// with its default drain settings; the app (<see cref="AppQueryLoop"/>) follows the published file and queries
/// every ~10 ms until the agent has published the requested number of new generations.
/// </summary>
public sealed class QueriesDuringRotation
{
    private FigureResult? _result;

    public async Task MeasureAsync(Bench bench)
    {
        var rotations = bench.Options.QueryLoopRotations;
        var directory = bench.NewDirectory("queries");
        var output = Path.Combine(directory, "db.json");
        using var watcher = new PublishWatcher(directory);
        await using var agent = ChildProcess.Start("lease-agent", bench.Binaries.Agent, bench.AgentEnvironment(bench.ShortRole, output), directory, "run");
        await watcher.WaitAsync("db.json", TimeSpan.FromSeconds(60), agent);

        var clock = Stopwatch.StartNew();
        long queries;
        string[] failures;
        int[] generations;
        await using (var app = new AppQueryLoop(output))
        {
            await Rotation.WaitForGenerationAsync(agent, rotations + 1, TimeSpan.FromSeconds(60 + (rotations * 8)));
            await Task.Delay(TimeSpan.FromSeconds(1)); // the app's switch to the last generation
            queries = app.Queries;
            failures = [.. app.Failures];
            generations = [.. app.Generations];
        }

        var elapsed = clock.Elapsed;
        var exit = await agent.StopAsync(TimeSpan.FromSeconds(60));
        var events = AgentLogEvent.Parse(agent.Lines);
        var lost = events.Count(e => e.EventId is 105 or 111);
        var published = events.Count(e => e.EventId == AgentLogEvent.Published);

        _result = new FigureResult(
            "5",
            $"App queries failing during {rotations} rotations (query every ~10 ms)",
            $"{failures.Length} of {queries}",
            "–",
            "–",
            "0",
            failures.Length == 0 ? Verdict.Holds : Verdict.Misses,
            [
                $"{queries} queries in {elapsed.TotalSeconds:0} s; the app queried with {generations.Length} generations ({(generations.Length > 0 ? generations[0] : 0)}–{(generations.Length > 0 ? generations[^1] : 0)}); the agent published {published} generations, lost a lease {lost} time(s), exited with {exit}.",
                .. failures.Take(5).Select(f => $"Failure: {f}"),
            ]);
    }

    public FigureResult Result() => _result ?? throw new InvalidOperationException("not measured");
}
