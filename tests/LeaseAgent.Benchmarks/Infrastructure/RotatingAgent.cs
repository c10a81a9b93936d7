using System.Diagnostics;

namespace LeaseAgent.Benchmarks.Infrastructure;

/// <summary>
/// An agent on the short role (a rotation every ~4 s), kept running the way a kubelet keeps a container running:
/// when it exits without being told to, the exit is recorded as a crash and a new agent is started at once, with
/// the same files (a real restart would also wait out a back-off first). Rotations are counted across restarts.
/// </summary>
public sealed class RotatingAgent : IAsyncDisposable
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);

    private readonly Bench _bench;
    private readonly string _directory;
    private readonly List<ChildProcess> _incarnations = [];
    private readonly List<string> _crashes = [];

    private RotatingAgent(Bench bench, string directory)
    {
        _bench = bench;
        _directory = directory;
        OutputFile = Path.Combine(directory, "db.json");
        StartIncarnation();
    }

    public string OutputFile { get; }

    /// <summary>The agent running now.</summary>
    public ChildProcess Current => _incarnations[^1];

    /// <summary>Why each earlier agent exited on its own: exit code and the log's critical event.</summary>
    public IReadOnlyList<string> Crashes => _crashes;

    /// <summary>The log events of each agent that ran, in order (generation numbers restart with each).</summary>
    public IEnumerable<IReadOnlyList<AgentLogEvent>> EventsByAgent => _incarnations.Select(a => AgentLogEvent.Parse(a.Lines));

    /// <summary>New generations published by a running agent, i.e. completed rotations, over all agents.</summary>
    public int Rotations => EventsByAgent.Sum(events => events.Count(e => e.EventId == AgentLogEvent.Published && e.IntegerOf("Generation") > 1));

    public static RotatingAgent Start(Bench bench, string name) => new(bench, bench.NewDirectory(name));

    /// <summary>Waits until <paramref name="rotations"/> rotations have completed, restarting the agent when it crashes.</summary>
    public async Task WaitForRotationsAsync(int rotations, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (Rotations < rotations)
        {
            if (Current.HasExited)
            {
                _crashes.Add(Describe(Current));
                StartIncarnation();
            }

            if (clock.Elapsed > timeout)
            {
                throw new HarnessException($"only {Rotations} of {rotations} rotations within {timeout.TotalSeconds:0} s:\n{string.Join('\n', Current.Lines.TakeLast(15).Select(l => l.Text))}");
            }

            await Task.Delay(Poll);
        }
    }

    public async Task<int> StopAsync() => await Current.StopAsync(TimeSpan.FromSeconds(60));

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in _incarnations)
        {
            await agent.DisposeAsync();
        }
    }

    private static string Describe(ChildProcess agent)
    {
        var critical = AgentLogEvent.Parse(agent.Lines).LastOrDefault(e => e.EventId == AgentLogEvent.SupervisorCrashed);
        var exception = critical?.Exception?.Split('\n').Take(2).Select(l => l.Trim());
        return $"exit code {agent.ExitCode} after {AgentLogEvent.Parse(agent.Lines).Count(e => e.EventId == AgentLogEvent.Published)} publications"
            + (exception is null ? string.Empty : $": {critical!.Message} {string.Join(" ", exception)}");
    }

    private void StartIncarnation() =>
        _incarnations.Add(ChildProcess.Start("lease-agent", _bench.Binaries.Agent, _bench.AgentEnvironment(_bench.ShortRole, OutputFile), _directory, "run"));
}
