using LeaseAgent.Benchmarks.Infrastructure;

namespace LeaseAgent.Benchmarks.Figures;

/// <summary>
/// Figure 4: a rotation, from the decision to rotate to the new credential published, read from the agent's JSON
/// log: event 103 ("Rotating … acquiring generation N") → event 101 ("Published generation N"), millisecond
/// timestamps of the same clock. The agent runs on the short role (2 s TTL, 6 s max TTL), so it rotates every
/// ~4 s. Baseline: the bare client's warm generate + login + write, timed inside that process.
/// </summary>
public sealed class Rotation(BareClientBaseline bare)
{
    private const double Goal = 1.2;

    private readonly Dictionary<string, int> _reasons = [];

    public Samples Agent { get; } = new("ms");

    public async Task MeasureAsync(Bench bench)
    {
        var rotations = bench.Options.RotationsPerRun;
        var directory = bench.NewDirectory("rotation");
        await using var agent = ChildProcess.Start("lease-agent", bench.Binaries.Agent, bench.AgentEnvironment(bench.ShortRole, Path.Combine(directory, "db.json")), directory, "run");
        await WaitForGenerationAsync(agent, rotations + 1, TimeSpan.FromSeconds(30 + (rotations * 8)));
        await agent.StopAsync(TimeSpan.FromSeconds(60));

        var events = AgentLogEvent.Parse(agent.Lines);
        foreach (var rotating in events.Where(e => e.EventId == AgentLogEvent.Rotating))
        {
            var generation = rotating.IntegerOf("Generation");
            var published = events.FirstOrDefault(e => e.EventId == AgentLogEvent.Published && e.IntegerOf("Generation") == generation);
            if (published is not null)
            {
                Agent.Add((published.Timestamp - rotating.Timestamp).TotalMilliseconds);
                var reason = rotating.TextOf("Reason") ?? "?";
                _reasons[reason] = _reasons.GetValueOrDefault(reason) + 1;
            }
        }
    }

    /// <summary>Waits until the agent has logged "Published generation <paramref name="generation"/>".</summary>
    public static async Task WaitForGenerationAsync(ChildProcess agent, int generation, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!AgentLogEvent.Parse(agent.Lines).Any(e => e.EventId == AgentLogEvent.Published && e.IntegerOf("Generation") >= generation))
        {
            if (agent.HasExited || deadline.IsCancellationRequested)
            {
                throw new HarnessException($"{agent.Name} did not publish generation {generation} within {timeout.TotalSeconds:0} s (exited: {agent.HasExited}):\n{string.Join('\n', agent.Lines.TakeLast(15).Select(l => l.Text))}");
            }

            await Task.Delay(200);
        }
    }

    public FigureResult Result()
    {
        var ratio = Agent.Median / bare.WarmGenerateLoginWrite.Median;
        return new FigureResult(
            "4",
            "Rotation: decision to rotate (event 103) → new credential published (event 101)",
            Agent.Format(),
            bare.WarmGenerateLoginWrite.Format() + " (bare client: warm generate + login + write)",
            Measurements.Ratio(Agent.Median, bare.WarmGenerateLoginWrite.Median),
            $"≤ {Goal}× baseline",
            ratio <= Goal ? Verdict.Holds : Verdict.Misses,
            [
                $"Agent: {Agent.Describe()}; samples {Agent.All()}.",
                $"Reasons logged with event 103: {string.Join("; ", _reasons.Select(r => $"{r.Value}× \"{r.Key}\""))}.",
                $"Bare client: {bare.WarmGenerateLoginWrite.Describe()}.",
                "Log timestamps have 1 ms resolution; both sides include the generate request, the login and the atomic write.",
            ]);
    }
}
