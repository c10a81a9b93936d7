using LeaseAgent.Benchmarks.Infrastructure;

namespace LeaseAgent.Benchmarks.Figures;

/// <summary>
/// Figure 1: time to the first published, probed credential. From the Stopwatch timestamp taken just before the
/// agent's process is started to the inotify event of <c>OUTPUT_FILE</c> being renamed into place, seen by a
/// watcher of the directory (as an app sees it). Baseline: the bare client, cold, timed the same way.
/// </summary>
public sealed class FirstCredential(BareClientBaseline bare)
{
    /// <summary>Issue 14 tightened it from 1.5×: the agent may add 15 % to the bare protocol, not half again.</summary>
    private const double Goal = 1.15;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Where the agent's time goes, from its own log (ms after the process was started).</summary>
    private readonly (string Step, Func<AgentLogEvent, bool> Logged, Samples After)[] _timeline =
    [
        ("host built, \"starting\" logged (event 900)", e => e.EventId == 900, new("ms")),
        ("token exchanged (200)", e => e.EventId == 200, new("ms")),
        ("lease issued (100 Generating -> Probing)", e => e.EventId == 100 && e.TextOf("To") == "Probing", new("ms")),
        ("probe passed (300)", e => e.EventId == 300, new("ms")),
        ("published (101)", e => e.EventId == AgentLogEvent.Published, new("ms")),
    ];

    public Samples Agent { get; } = new("ms");

    public async Task MeasureAsync(Bench bench)
    {
        var directory = bench.NewDirectory("first");
        var output = Path.Combine(directory, "db.json");
        using var watcher = new PublishWatcher(directory);
        await using var agent = ChildProcess.Start("lease-agent", bench.Binaries.Agent, bench.ExperimentEnvironment(bench.LongRole, output), directory, "run");
        var published = await watcher.WaitAsync("db.json", Timeout, agent);
        Agent.Add(Measurements.Ms(agent.StartTimestamp, published));
        var exit = await agent.StopAsync(Timeout);
        var events = AgentLogEvent.Parse(agent.Lines);
        foreach (var (_, logged, after) in _timeline)
        {
            if (events.FirstOrDefault(logged) is { } e)
            {
                after.Add((e.Timestamp - agent.StartUtc).TotalMilliseconds);
            }
        }

        if (exit != 0)
        {
            throw new HarnessException($"lease-agent exited with {exit} after SIGTERM:\n{agent.Output}");
        }
    }

    public FigureResult Result()
    {
        var ratio = Agent.Median / bare.ColdPublish.Median;
        return new FigureResult(
            "1",
            "First published, probed credential (process start → file renamed into place)",
            Agent.Format(),
            bare.ColdPublish.Format() + " (bare client, cold AOT process)",
            Measurements.Ratio(Agent.Median, bare.ColdPublish.Median),
            $"≤ {Goal}× baseline",
            ratio <= Goal ? Verdict.Holds : Verdict.Misses,
            [
                $"Agent: {Agent.Describe()}; samples {Agent.All()}.",
                $"Bare client: {bare.ColdPublish.Describe()}; samples {bare.ColdPublish.All()}.",
                $"Bare client's own split of its cold path (medians): {bare.DescribeColdSteps()}.",
                $"Agent's own log, ms after the process was started (medians; log timestamps are whole ms): {string.Join(", ", _timeline.Select(t => $"{t.Step} {t.After.Format()}"))}.",
                "Both are cold Native AOT processes, started alternately with the same environment (LongRole: 10 min TTL), timed from just before fork to the rename's inotify event.",
            ]);
    }
}
