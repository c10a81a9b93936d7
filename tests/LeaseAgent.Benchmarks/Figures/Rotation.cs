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
    private readonly List<string> _crashes = [];

    public Samples Agent { get; } = new("ms");

    public async Task MeasureAsync(Bench bench)
    {
        var rotations = bench.Options.RotationsPerRun;
        await using var agent = RotatingAgent.Start(bench, "rotation");
        await agent.WaitForRotationsAsync(rotations, TimeSpan.FromSeconds(30 + (rotations * 8)));
        await agent.StopAsync();
        _crashes.AddRange(agent.Crashes);

        foreach (var events in agent.EventsByAgent)
        {
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
    }

    public FigureResult Result()
    {
        var ratio = Agent.Median / bare.WarmGenerateLoginWrite.Median;
        return new FigureResult(
            "4",
            "Rotation: decision to rotate (event 103) → new credential published (event 101)",
            Agent.Format() + (_crashes.Count > 0 ? $" ({_crashes.Count} agent crash(es))" : string.Empty),
            bare.WarmGenerateLoginWrite.Format() + " (bare client: warm generate + login + write)",
            Measurements.Ratio(Agent.Median, bare.WarmGenerateLoginWrite.Median),
            $"≤ {Goal}× baseline",
            ratio <= Goal ? Verdict.Holds : Verdict.Misses,
            [
                $"Agent: {Agent.Describe()}; samples {Agent.All()}.",
                $"Reasons logged with event 103: {string.Join("; ", _reasons.Select(r => $"{r.Value}× \"{r.Key}\""))}.",
                $"Bare client: {bare.WarmGenerateLoginWrite.Describe()}.",
                "Log timestamps have 1 ms resolution; both sides include the generate request, the login and the atomic write.",
                .. _crashes.Select(c => $"The agent crashed while rotating (restarted at once): {c}."),
            ]);
    }
}
