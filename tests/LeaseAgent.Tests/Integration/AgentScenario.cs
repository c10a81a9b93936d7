using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using LeaseAgent.Testing;
using Npgsql;

namespace LeaseAgent.Tests.Integration;

/// <summary>One agent process against one emulator: the environment it runs with and what to check on it.</summary>
public sealed class AgentScenario : IAsyncDisposable
{
    private const int Nobody = 65534;
    private const string Setpriv = "/usr/bin/setpriv";
    private static readonly string[] AsNobody = [$"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups"];

    private readonly DirectoryInfo _directory;

    private AgentScenario(ScaiVaultEmulator emulator, DirectoryInfo directory, string tokenFile)
    {
        Emulator = emulator;
        _directory = directory;
        TokenFile = tokenFile;
        OutputFile = Path.Combine(directory.FullName, "db.json");
        var db = emulator.Database;
        Environment = new Dictionary<string, string>
        {
            ["SCAIVAULT_URL"] = emulator.BaseAddress.ToString(),
            ["SCAIVAULT_TOKEN_FILE"] = tokenFile,
            ["LEASE_ENGINE"] = ScaiVaultEmulator.EngineName,
            ["LEASE_ROLE"] = emulator.RoleName,
            ["DB_HOST"] = db.Host!,
            ["DB_PORT"] = db.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["DB_NAME"] = db.Database!,
            ["DB_SSLMODE"] = "disable",
            ["OUTPUT_FILE"] = OutputFile,
            ["LEASE_DRAIN_TIMEOUT"] = "1s",
            ["SHUTDOWN_TIMEOUT"] = "10s",
            ["LOG_FORMAT"] = "json",
            ["LOG_LEVEL"] = "debug",
        };
    }

    public ScaiVaultEmulator Emulator { get; }

    public string TokenFile { get; }

    public string OutputFile { get; }

    public string Directory => _directory.FullName;

    public Dictionary<string, string> Environment { get; }

    /// <summary>
    /// Every secret any scenario of this test run handled (passwords it read, tokens it minted, the root
    /// password): none may appear in any log line of any agent, which every scenario checks when disposed.
    /// </summary>
    public static ConcurrentDictionary<string, bool> AllSecrets { get; } = new();

    private readonly List<AgentProcess> _agents = [];

    public static async Task<AgentScenario> StartAsync(string defaultTtl = "4s", string maxTtl = "12s")
    {
        var emulator = await ScaiVaultEmulator.StartAsync(defaultTtl, maxTtl);
        var directory = System.IO.Directory.CreateTempSubdirectory("lease-agent-test-");
        var tokenFile = await emulator.WriteTokenFileAsync(directory.FullName);
        var scenario = new AgentScenario(emulator, directory, tokenFile);
        if (await TestPostgres.AgentRequireAuthAsync(emulator.DatabaseConnectionString) is { } requireAuth)
        {
            scenario.Environment["DB_REQUIRE_AUTH"] = requireAuth;
        }

        AllSecrets[await File.ReadAllTextAsync(tokenFile)] = true;
        AllSecrets[emulator.Database.Password!] = true;
        return scenario;
    }

    /// <summary>The agent binary these tests run: <c>LEASEAGENT_BINARY</c>, or published once into <c>artifacts/test-aot</c>.</summary>
    public static Task<string> BinaryAsync() => AgentBinary.GetPathAsync("test-aot");

    /// <summary>Starts the agent; the binary is published (once per run) before the process starts.</summary>
    public async Task<(AgentProcess Agent, Stopwatch SinceStart)> StartAgentAsync(params string[] args)
    {
        var binary = await BinaryAsync();
        var clock = Stopwatch.StartNew();
        var agent = AgentProcess.Start(binary, Environment, args.Length == 0 ? ["run"] : args);
        _agents.Add(agent);
        return (agent, clock);
    }

    /// <summary>Starts the agent under a wrapper that execs it (<c>unshare</c>, <c>setpriv</c>): <c>wrapper… lease-agent args…</c>.</summary>
    public async Task<AgentProcess> StartAgentUnderAsync(IReadOnlyList<string> wrapper, params string[] args)
    {
        var binary = await BinaryAsync();
        var agent = AgentProcess.Start(wrapper[0], Environment, [.. wrapper.Skip(1), binary, .. args], $"agent-under-{Path.GetFileName(wrapper[0])}");
        _agents.Add(agent);
        return agent;
    }

    /// <summary>
    /// Starts the agent as uid and gid 65534 (nobody) with <c>setpriv</c>, after handing the scenario's directory to
    /// that uid: root may read every <c>/proc</c> file, so what another process of the agent's uid can read is only
    /// observable with a non-root agent. The test process must be root (CI is).
    /// </summary>
    public async Task<AgentProcess> StartAgentAsNobodyAsync(params string[] args)
    {
        Assert.True(System.Environment.UserName == "root", "this test starts the agent as uid 65534 with setpriv: run it as root (CI does)");
        await RunToEndAsync("chown", "-R", $"{Nobody}:{Nobody}", Directory);
        return await StartAgentUnderAsync([Setpriv, .. AsNobody], args);
    }

    /// <summary>Runs a command as uid 65534 (nobody), the agent's uid in <see cref="StartAgentAsNobodyAsync"/>.</summary>
    public static Task<(int ExitCode, string Output)> RunAsNobodyAsync(params string[] command) => RunToEndAsync(Setpriv, [.. AsNobody, .. command]);

    private static async Task<(int ExitCode, string Output)> RunToEndAsync(string fileName, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(fileName, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return (process.ExitCode, (await stdout) + (await stderr));
    }

    /// <summary>Waits for a published document that satisfies <paramref name="accept"/> and remembers its password.</summary>
    public async Task<JsonObject> WaitForCredentialAsync(Func<JsonObject, bool> accept, TimeSpan timeout, string what)
    {
        var document = await Eventually.ReturnsAsync(
            async () =>
            {
                try
                {
                    return File.Exists(OutputFile) ? await ScaiVaultEmulator.ReadJsonFileAsync(OutputFile) : null;
                }
                catch (IOException)
                {
                    return null;
                }
            },
            d => d is not null && accept(d),
            timeout,
            what);
        AllSecrets[document!["password"]!.GetValue<string>()] = true;
        return document;
    }

    /// <summary>Logs in with a published document's connection string and reads the tutorial's table.</summary>
    public static async Task<(string User, long Rows)> QueryAsAsync(JsonObject document)
    {
        var builder = new NpgsqlConnectionStringBuilder(document["connection_string"]!.GetValue<string>()) { Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT current_user, (SELECT count(*) FROM report)", connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetString(0), reader.GetInt64(1));
    }

    public static void AssertNoSecretsIn(AgentProcess agent)
    {
        var secrets = AllSecrets.Keys.Where(s => s.Length >= 8).ToList();
        foreach (var line in agent.Lines)
        {
            foreach (var secret in secrets)
            {
                Assert.False(line.Contains(secret, StringComparison.Ordinal), $"a secret appears in an agent's log: {line[..Math.Min(line.Length, 120)]}…");
            }
        }
    }

    /// <summary>Stops what is left, then checks every line every agent of this scenario wrote for secrets (I4).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            await agent.DisposeAsync();
        }

        await Emulator.DisposeAsync();
        _directory.Delete(recursive: true);
        foreach (var agent in _agents)
        {
            AssertNoSecretsIn(agent);
        }
    }
}
