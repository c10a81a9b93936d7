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

    private ChaosPod(Iteration iteration, IReadOnlyList<PodCredential> credentials, DirectoryInfo volume, Dictionary<string, string> environment)
    {
        _iteration = iteration;
        _volume = volume;
        Credentials = credentials;
        Environment = environment;
    }

    /// <summary>Every credential the agent keeps: one from the single-credential keys, or the lines of <c>CREDENTIALS</c>.</summary>
    public IReadOnlyList<PodCredential> Credentials { get; }

    /// <summary>The (first) credential's role.</summary>
    public ChaosRole Role => Credentials[0].Role;

    /// <summary>The (first) credential's file.</summary>
    public string OutputFile => Credentials[0].File;

    public string JournalFile => Path.Combine(_volume.FullName, ".lease-agent", "journal.json");

    public Dictionary<string, string> Environment { get; }

    /// <summary>
    /// A pod whose agent keeps a credential of each of <paramref name="roles"/>: one role runs with the
    /// single-credential keys (<c>OUTPUT_FILE</c> = <c>db.json</c>), several with a <c>CREDENTIALS</c> line each
    /// (<c>ROLE.json</c>) and the first role's database settings as the defaults.
    /// </summary>
    public static async Task<ChaosPod> CreateAsync(Iteration iteration, params ChaosRole[] roles)
    {
        var volume = Directory.CreateTempSubdirectory("lease-agent-chaos-");
        var tokenFile = Path.Combine(volume.FullName, "token");
        var first = roles[0];

        // One service account per iteration: its own rate-limit window and its own view of the leases.
        var token = await first.Emulator.MintTokenAsync($"system:serviceaccount:chaos:{first.Name}");
        iteration.Run.Ledger.Add(token, "workload token");
        await File.WriteAllTextAsync(tokenFile, token);
        var environment = await AgentEnvironment.ForTestAsync(first.Emulator.BaseAddress, tokenFile, first.Role, Path.Combine(volume.FullName, "db.json"));
        environment["SCAIVAULT_TIMEOUT"] = "2s";
        if (roles.Length == 1)
        {
            return new ChaosPod(iteration, [new PodCredential(first, environment["OUTPUT_FILE"])], volume, environment);
        }

        var credentials = roles.Select(role => new PodCredential(role, Path.Combine(volume.FullName, $"{role.Name}.json"))).ToList();
        foreach (var key in new[] { "LEASE_ENGINE", "LEASE_ROLE", "OUTPUT_FILE" })
        {
            environment.Remove(key);
        }

        environment["CREDENTIALS"] = string.Join('\n', credentials.Select(c => $"{c.Role.Role.Engine.Name}/{c.Role.Name} -> {c.File}"));
        environment["STATE_DIR"] = Path.Combine(volume.FullName, ".lease-agent");
        return new ChaosPod(iteration, credentials, volume, environment);
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

    /// <summary>The document published at <paramref name="file"/> (by default the first credential's), or null while there is none (or it cannot be read as one).</summary>
    public JsonObject? TryReadDocument(string? file = null)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllBytes(file ?? OutputFile)) as JsonObject;
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>The first current lease the journal names (the only one of a single-credential pod), if any.</summary>
    public string? JournalledCurrentLease() => JournalledCurrentLeases() is [var first, ..] ? first : null;

    /// <summary>The current leases the journal names, at most one per credential, in the journal's order.</summary>
    public IReadOnlyList<string> JournalledCurrentLeases()
    {
        try
        {
            // Version 2: a section per credential, in the order of CREDENTIALS.
            var journal = JsonNode.Parse(File.ReadAllBytes(JournalFile));
            return [.. (journal?["credentials"]?.AsArray() ?? [])
                .Select(section => section?["leases"]?.AsArray().FirstOrDefault(l => l?["current"]?.GetValue<bool>() == true)?["lease_id"]?.GetValue<string>())
                .OfType<string>()];
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidOperationException)
        {
            return [];
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

/// <summary>One credential of a pod: the role it is leased from and the file it is published to.</summary>
public sealed record PodCredential(ChaosRole Role, string File);
