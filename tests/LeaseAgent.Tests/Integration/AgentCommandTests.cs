using LeaseAgent.Hosting;
using LeaseAgent.Testing;

namespace LeaseAgent.Tests.Integration;

/// <summary>The binary's non-lifecycle commands.</summary>
public sealed class AgentCommandTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    private static async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        await using var agent = AgentProcess.Start(await AgentScenario.BinaryAsync(), new Dictionary<string, string>(), args);
        var exitCode = await agent.WaitForExitAsync(Generous);
        return (exitCode, agent.Output);
    }

    /// <summary>
    /// Values that used to be accepted and then crash the binary (SIGABRT, exit 134; SHUTDOWN_TIMEOUT=60d only at
    /// SIGTERM, revoking nothing), and state directories another user could have planted: all exit 2 naming the
    /// key, before anything is sent to ScaiVault (the URL below has nothing listening).
    /// </summary>
    [Theory]
    [InlineData("LEASE_TTL", "99999999999999999")]
    [InlineData("SCAIVAULT_TIMEOUT", "7h")]
    [InlineData("SHUTDOWN_TIMEOUT", "60d")]
    [InlineData("STATE_DIR", "{dir}/missing/state")] // the missing parent is an existing regular file
    [InlineData("STATE_DIR", "{dir}/open")] // pre-created 0777
    [InlineData("STATE_DIR", "{dir}/link")] // a symbolic link to a 0700 directory
    public async Task Run_UnusableValue_ExitsTwoNamingTheKey(string key, string value)
    {
        var directory = Directory.CreateTempSubdirectory("lease-agent-config-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(directory, "missing"), "a file where a directory should be");
            Directory.CreateDirectory(Path.Combine(directory, "open"));
            File.SetUnixFileMode(Path.Combine(directory, "open"), (UnixFileMode)Convert.ToInt32("777", 8));
            Directory.CreateDirectory(Path.Combine(directory, "real"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Directory.CreateSymbolicLink(Path.Combine(directory, "link"), Path.Combine(directory, "real"));
            var environment = new Dictionary<string, string>
            {
                ["SCAIVAULT_URL"] = "http://127.0.0.1:9",
                ["SCAIVAULT_TOKEN"] = "dev-token",
                ["LEASE_ENGINE"] = "reporting-db",
                ["LEASE_ROLE"] = "readonly",
                ["DB_HOST"] = "127.0.0.1",
                ["DB_NAME"] = "reporting",
                ["OUTPUT_FILE"] = Path.Combine(directory, "db.json"),
                [key] = value.Replace("{dir}", directory, StringComparison.Ordinal),
            };

            await using var agent = AgentProcess.Start(await AgentScenario.BinaryAsync(), environment, ["run"]);
            var exitCode = await agent.WaitForExitAsync(TimeSpan.FromSeconds(20));

            Assert.True(exitCode == 2, $"exit {exitCode}: {agent.Output}");
            Assert.StartsWith($"lease-agent: {key}: ", agent.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("Unhandled exception", agent.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("dev-token", agent.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Graph_PrintsTheLiveMachine()
    {
        var (exitCode, output) = await RunAsync("graph", "--format", "mermaid");

        Assert.Equal(0, exitCode);
        Assert.Equal(LifecycleDiagram.Mermaid().Trim(), output.Trim());
    }

    [Fact]
    public async Task Version_NamesVersionCommitAndAot()
    {
        var (exitCode, output) = await RunAsync("version");

        Assert.Equal(0, exitCode);
        Assert.StartsWith("lease-agent ", output, StringComparison.Ordinal);
        Assert.Contains("aot: True", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownCommand_ExitsTwo()
    {
        var (exitCode, output) = await RunAsync("frobnicate");

        Assert.Equal(2, exitCode);
        Assert.Contains("unknown command 'frobnicate'", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_TokenAsAFlag_ExitsTwo_SayingItIsNotAcceptedAsAFlag()
    {
        var (exitCode, output) = await RunAsync("run", "--scaivault-token", "not-a-real-token");

        Assert.Equal(2, exitCode);
        Assert.Contains("SCAIVAULT_TOKEN: is not accepted as a flag", output, StringComparison.Ordinal);
        Assert.DoesNotContain("not-a-real-token", output, StringComparison.Ordinal);
    }
}
