using System.Text.Json.Nodes;
using LeaseAgent.Benchmarks.Infrastructure;

namespace LeaseAgent.Benchmarks.Figures;

/// <summary>
/// Figure 6: SIGTERM → every lease revoked → exit. From the Stopwatch timestamp taken just before kill(2) to the
/// process's exit as the harness sees it; checked: exit code 0, the lease no longer active in the emulator, the
/// file removed. Baseline: one revoke by the bare client, timed inside that warm process.
/// </summary>
public sealed class Shutdown(BareClientBaseline bare)
{
    private const double GoalFactor = 1.2;
    private const double GoalSlackMs = 50;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly Samples _internal = new("ms");
    private readonly List<string> _problems = [];

    public Samples Agent { get; } = new("ms");

    public async Task MeasureAsync(Bench bench)
    {
        var directory = bench.NewDirectory("shutdown");
        var output = Path.Combine(directory, "db.json");
        using var watcher = new PublishWatcher(directory);
        await using var agent = ChildProcess.Start("lease-agent", bench.Binaries.Agent, bench.AgentEnvironment(bench.LongRole, output), directory, "run");
        await watcher.WaitAsync("db.json", Timeout, agent);
        var leaseId = JsonNode.Parse(await File.ReadAllTextAsync(output))!["lease_id"]!.GetValue<string>();
        await Task.Delay(TimeSpan.FromSeconds(2));

        var signalled = agent.Signal(ChildProcess.SigTerm);
        var exited = await agent.WaitForExitAsync(Timeout);
        Agent.Add(Measurements.Ms(signalled, exited));

        if (agent.ExitCode != 0)
        {
            _problems.Add($"exit code {agent.ExitCode}");
        }

        if ((await bench.Emulator.ActiveLeaseIdsAsync(bench.LongRole)).Contains(leaseId))
        {
            _problems.Add($"lease {leaseId} still active after exit");
        }

        if (File.Exists(output))
        {
            _problems.Add("credential file left behind");
        }

        if (AgentLogEvent.Parse(agent.Lines).LastOrDefault(e => e.EventId == AgentLogEvent.ShutdownComplete)?.NumberOf("ElapsedMs") is { } elapsed)
        {
            _internal.Add(elapsed);
        }
    }

    public FigureResult Result()
    {
        var limit = (GoalFactor * bare.Revoke.Median) + GoalSlackMs;
        return new FigureResult(
            "6",
            "SIGTERM → lease revoked → process exited",
            Agent.Format(),
            bare.Revoke.Format() + " (bare client: one revoke)",
            Measurements.Ratio(Agent.Median, bare.Revoke.Median),
            $"≤ {GoalFactor}× baseline + {GoalSlackMs:0} ms (= {Measurements.F(limit)} ms)",
            Agent.Median <= limit && _problems.Count == 0 ? Verdict.Holds : Verdict.Misses,
            [
                $"Agent, kill(SIGTERM) → exit seen by the harness: {Agent.Describe()}; samples {Agent.All()}.",
                $"The agent's own \"Shutdown complete in X ms\" (event 902): {_internal.Describe()}.",
                $"Bare client, one revoke: {bare.Revoke.Describe()}.",
                _problems.Count == 0 ? "Every run: exit code 0, the lease no longer active, the file removed." : $"Problems: {string.Join("; ", _problems)}.",
            ]);
    }
}
