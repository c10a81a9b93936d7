using System.Text.Json.Nodes;
using LeaseAgent.Testing;

namespace LeaseAgent.ChaosTests.Harness;

/// <summary>
/// A pod's view of the agent: its volume (the directory holding <c>OUTPUT_FILE</c>, <c>STATE_DIR</c> and the
/// projected token), the environment the agent runs with, and every agent process started on it. Disposing kills
/// what still runs, scans every line each agent wrote for the run's secrets (I4) and deletes the volume.
/// </summary>
public sealed class ChaosPod
{
    private readonly Iteration _iteration;
    private readonly DirectoryInfo _volume;
    private readonly List<AgentProcess> _agents = [];

    private ChaosPod(Iteration iteration, ChaosRole role, DirectoryInfo volume, Dictionary<string, string> environment)
    {
        _iteration = iteration;
        _volume = volume;
        Role = role;
        OutputFile = environment["OUTPUT_FILE"];
        Environment = environment;
    }

    public ChaosRole Role { get; }

    public string OutputFile { get; }

    public string JournalFile => Path.Combine(_volume.FullName, ".lease-agent", "journal.json");

    public Dictionary<string, string> Environment { get; }

    public static async Task<ChaosPod> CreateAsync(Iteration iteration, ChaosRole role)
    {
        var volume = Directory.CreateTempSubdirectory("lease-agent-chaos-");
        var tokenFile = Path.Combine(volume.FullName, "token");

        // One service account per iteration: its own rate-limit window and its own view of the leases.
        var token = await role.Emulator.MintTokenAsync($"system:serviceaccount:chaos:{role.Name}");
        iteration.Run.Ledger.Add(token, "workload token");
        await File.WriteAllTextAsync(tokenFile, token);
        var environment = await AgentEnvironment.ForTestAsync(role.Emulator.BaseAddress, tokenFile, role.Role, Path.Combine(volume.FullName, "db.json"));
        environment["SCAIVAULT_TIMEOUT"] = "2s";
        return new ChaosPod(iteration, role, volume, environment);
    }

    public AgentProcess StartAgent()
    {
        var agent = AgentProcess.Start(_iteration.Run.Binary, Environment, ["run"], $"agent{_agents.Count + 1}");
        _agents.Add(agent);
        return agent;
    }

    /// <summary>SIGKILL: no chance to revoke, delete or journal anything.</summary>
    public async Task KillAsync(AgentProcess agent)
    {
        agent.Kill();
        _iteration.Counters.Kill();
        await agent.WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>SIGTERM, then waits for the exit code.</summary>
    /// <param name="atRandomMoment">Whether this is a chaos kill (counted) rather than the orderly end of an iteration.</param>
    public async Task<int> TerminateAsync(AgentProcess agent, TimeSpan timeout, bool atRandomMoment)
    {
        agent.Terminate();
        if (atRandomMoment)
        {
            _iteration.Counters.Kill();
        }

        return await agent.WaitForExitAsync(timeout);
    }

    /// <summary>The published document, or null while there is none (or it cannot be read as one).</summary>
    public JsonObject? TryReadDocument()
    {
        try
        {
            return JsonNode.Parse(File.ReadAllBytes(OutputFile)) as JsonObject;
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>The current lease the journal names, with the time the emulator gives it, if any.</summary>
    public string? JournalledCurrentLease()
    {
        try
        {
            var journal = JsonNode.Parse(File.ReadAllBytes(JournalFile));
            // Version 2: a section per credential; the pod has one.
            return journal?["credentials"]?.AsArray().SelectMany(c => c?["leases"]?.AsArray() ?? [])
                .FirstOrDefault(l => l?["current"]?.GetValue<bool>() == true)?["lease_id"]?.GetValue<string>();
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Kills what still runs, scans every line every agent wrote (I4), writes the logs if asked, deletes the volume.</summary>
    public async Task DisposeAsync(DirectoryInfo? dumpTo)
    {
        var ledger = _iteration.Run.Ledger;
        foreach (var agent in _agents)
        {
            await agent.DisposeAsync();
            var leaking = agent.Lines.Select(line => (Line: line, Kinds: ledger.FindIn(line))).Where(l => l.Kinds.Count > 0).ToList();
            foreach (var (line, kinds) in leaking.Take(3))
            {
                _iteration.Log($"SECRET IN LOG of {agent.Name} ({string.Join(", ", kinds)}): {ledger.Redact(line)}");
            }

            _iteration.Counters.SecretsInLogsFound(leaking.Count, $"{_iteration.Label} {agent.Name}: {leaking.Count} line(s) hold a secret, first: {leaking.Select(l => ledger.Redact(l.Line)).FirstOrDefault()}");
            if (dumpTo is not null)
            {
                await File.WriteAllLinesAsync(Path.Combine(dumpTo.FullName, $"{Role.Name}-{agent.Name}.log"), agent.Lines.Select(ledger.Redact));
            }
        }

        _agents.Clear();
        _volume.Delete(recursive: true);
    }
}
