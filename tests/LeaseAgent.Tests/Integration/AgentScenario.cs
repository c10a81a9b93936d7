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

    private AgentScenario(ScaiVaultEmulator emulator, DirectoryInfo directory, string tokenFile, Dictionary<string, string> environment)
    {
        Emulator = emulator;
        _directory = directory;
        TokenFile = tokenFile;
        OutputFile = environment["OUTPUT_FILE"];
        Environment = environment;
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

    /// <summary>
    /// An emulator set up the way the tutorial does it (root credentials stored as a secret, an engine, and a role of
    /// the given TTLs whose users get their privileges through a group role and whose revocation blocks logins, ends
    /// sessions and drops the user), a workload token for the agent, and the agent's environment.
    /// </summary>
    public static async Task<AgentScenario> StartAsync(string defaultTtl = "4s", string maxTtl = "12s")
    {
        var emulator = await new ScaiVaultEmulatorBuilder()
            .WithDevEndpoints()
            .WithSweepInterval("500ms")
            .WithLogCapture()
            .WithRole(defaultTtl, maxTtl)
            .StartAsync();
        var directory = System.IO.Directory.CreateTempSubdirectory("lease-agent-test-");
        var tokenFile = await emulator.WriteTokenFileAsync(Path.Combine(directory.FullName, "token"));
        var environment = await AgentEnvironment.ForTestAsync(emulator.BaseAddress, tokenFile, emulator.Role, Path.Combine(directory.FullName, "db.json"));
        AllSecrets[await File.ReadAllTextAsync(tokenFile)] = true;
        AllSecrets[emulator.Role.Engine.Connection.Password!] = true;
        return new AgentScenario(emulator, directory, tokenFile, environment);
    }

    public static async Task<JsonObject> ReadJsonFileAsync(string path) =>
        System.Text.Json.JsonSerializer.Deserialize<JsonObject>(await File.ReadAllTextAsync(path))!;

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
                    return File.Exists(OutputFile) ? await ReadJsonFileAsync(OutputFile) : null;
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
