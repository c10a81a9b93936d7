using System.Diagnostics;
using LeaseAgent.Configuration;
using LeaseAgent.Hosting;
using LeaseAgent.Publishing;
using LeaseAgent.Status;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Time.Testing;

namespace LeaseAgent.Tests.Hosting;

/// <summary><c>lease-agent probe ready|live</c> against status files the test writes: exit codes and the one line it prints.</summary>
public sealed class ProbeCommandTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("probe-command-");
    private readonly FakeTimeProvider _time = new(Now);
    private readonly CredentialPublisher _publisher;

    public ProbeCommandTests()
    {
        _publisher = new CredentialPublisher(new OutputOptions { File = OutputFile, StateDirectory = StateDirectory });
        _publisher.Prepare();
    }

    private string OutputFile => Path.Combine(_directory.FullName, "db.json");

    private string StateDirectory => Path.Combine(_directory.FullName, "state");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public void Live_FreshStatusOfARunningProcess_ExitsZero()
    {
        WriteStatus(ready: false, state: AgentState.Generating, age: TimeSpan.FromSeconds(5));

        var (code, stdout, stderr) = Probe("live", "--state-dir", StateDirectory);

        Assert.Equal(0, code);
        Assert.Equal("live: state Generating", stdout.Trim());
        Assert.Empty(stderr);
    }

    [Fact]
    public void Ready_FreshReadyStatus_ExitsZeroNamingTheGeneration()
    {
        WriteStatus(ready: true, state: AgentState.Active, generation: 2, age: TimeSpan.FromSeconds(9));

        var (code, stdout, _) = Probe("ready", "--state-dir", StateDirectory);

        Assert.Equal(0, code);
        Assert.Equal("ready: state Active, generation 2", stdout.Trim());
    }

    [Fact]
    public void Ready_LiveButNotReady_ExitsOneWithStateAndLastError_WhileLiveStillPasses()
    {
        WriteStatus(ready: false, state: AgentState.Generating, lastError: "rate_limited", age: TimeSpan.FromSeconds(1));

        var ready = Probe("ready", "--state-dir", StateDirectory);
        var live = Probe("live", "--state-dir", StateDirectory);

        Assert.Equal(1, ready.Code);
        Assert.Equal("lease-agent: not ready: state Generating, last error rate_limited", ready.Stderr.Trim());
        Assert.Empty(ready.Stdout);
        Assert.Equal(0, live.Code);
    }

    [Fact]
    public void Ready_SeveralCredentials_NamesEachOneThatIsNotReady()
    {
        StatusFile.Write(StatusFile.In(StateDirectory), Status(ready: false, AgentState.Active, TimeSpan.FromSeconds(1)) with
        {
            Credentials =
            [
                new CredentialStatus { Name = "reporting-db/readonly", State = AgentState.Active, Ready = true, Generation = 1 },
                new CredentialStatus { Name = "billing-db/readwrite", State = AgentState.Generating, Ready = false, LastError = "unavailable" },
            ],
        });

        var ready = Probe("ready", "--state-dir", StateDirectory);

        Assert.Equal(1, ready.Code);
        Assert.Equal("lease-agent: not ready: state Active; billing-db/readwrite: state Generating, last error unavailable", ready.Stderr.Trim());
    }

    [Fact]
    public void StaleStatus_IsNeitherLiveNorReady()
    {
        WriteStatus(ready: true, state: AgentState.Active, age: TimeSpan.FromSeconds(31));

        var live = Probe("live", "--state-dir", StateDirectory);
        var ready = Probe("ready", "--state-dir", StateDirectory);

        Assert.Equal(1, live.Code);
        Assert.Equal("lease-agent: not live: the status was last updated 31 s ago (limit 30 s); the agent is hung or stopped", live.Stderr.Trim());
        Assert.Equal(1, ready.Code);
        Assert.Contains("last updated 31 s ago", ready.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void MaxAge_OverridesTheThreeHeartbeatDefault()
    {
        WriteStatus(ready: true, state: AgentState.Active, age: TimeSpan.FromSeconds(45));

        Assert.Equal(1, Probe("live", "--state-dir", StateDirectory).Code);
        Assert.Equal(0, Probe("live", "--max-age", "1m", "--state-dir", StateDirectory).Code);
        Assert.Equal(0, Probe("ready", "--state-dir", StateDirectory, "--max-age=50s").Code);
        var tight = Probe("live", "--max-age=40s", "--state-dir", StateDirectory);
        Assert.Equal(1, tight.Code);
        Assert.Contains("(limit 40 s)", tight.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void DeadProcess_IsNotLive_EvenWithAFreshStatus()
    {
        using var exited = Process.Start("true")!;
        exited.WaitForExit();
        WriteStatus(ready: true, state: AgentState.Active, age: TimeSpan.FromSeconds(1), pid: exited.Id);

        var live = Probe("live", "--state-dir", StateDirectory);
        var ready = Probe("ready", "--state-dir", StateDirectory);

        Assert.Equal(1, live.Code);
        Assert.Equal($"lease-agent: not live: the agent's process {exited.Id} is not running", live.Stderr.Trim());
        Assert.Equal(1, ready.Code);
    }

    [Fact]
    public void MissingStatusFile_IsNotLive_AndSaysWhereItLooked()
    {
        var (code, stdout, stderr) = Probe("ready", "--state-dir", StateDirectory);

        Assert.Equal(1, code);
        Assert.Empty(stdout);
        Assert.StartsWith($"lease-agent: not live: no status file at {Path.Combine(StateDirectory, "status.json")};", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void CorruptStatusFile_IsNotLive()
    {
        File.WriteAllText(StatusFile.In(StateDirectory), "{\"state\": ");

        var (code, _, stderr) = Probe("live", "--state-dir", StateDirectory);

        Assert.Equal(1, code);
        Assert.Contains("is not a status file of lease-agent", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutStateDir_FindsTheStatusNextToOutputFile_LikeRun()
    {
        var publisher = new CredentialPublisher(new OutputOptions { File = OutputFile, StateDirectory = Path.Combine(_directory.FullName, ".lease-agent") });
        publisher.Prepare();
        StatusFile.Write(StatusFile.In(Path.Combine(_directory.FullName, ".lease-agent")), Status(ready: true, state: AgentState.Active, age: TimeSpan.Zero));

        Assert.Equal(0, Probe("ready", "--output-file", OutputFile).Code);
        Assert.Equal(1, Probe("ready", "--output-file", Path.Combine(StateDirectory, "db.json")).Code);
    }

    [Fact]
    public void SecretsOnly_FindsTheStatusWhereRunWritesIt_BesideTheFirstSecretFile()
    {
        // run with only SECRETS keeps its state beside the first mapped file, not beside the default OUTPUT_FILE.
        var secrets = $"apps/config -> {Path.Combine(_directory.FullName, "app", "config.json")}\napps/db#password -> /elsewhere/password";
        var run = AgentConfiguration.Load(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SCAIVAULT_URL"] = "https://scaivault.example",
            ["SECRETS"] = secrets,
        }).Build());
        var publisher = new CredentialPublisher(run.Output);
        publisher.Prepare(publishesCredential: false);
        StatusFile.Write(StatusFile.In(run.Output.StateDirectory), Status(ready: true, state: AgentState.Active, age: TimeSpan.Zero));

        var (code, _, stderr) = Probe("ready", "--secrets", secrets);

        Assert.True(code == 0, stderr);
    }

    [Fact]
    public void AcceptsTheAgentsOwnFlags_ButNeedsNoneOfRunsRequiredKeys()
    {
        WriteStatus(ready: true, state: AgentState.Renewing, age: TimeSpan.Zero);

        // No SCAIVAULT_URL, LEASE_ENGINE or DB_HOST: the probe reads only what places the state directory.
        var (code, _, stderr) = Probe("ready", "--lease-ttl", "90s", "--db-port=5433", "--state-dir", StateDirectory);

        Assert.True(code == 0, stderr);
    }

    [Theory]
    [InlineData(new string[0], "say what to check")]
    [InlineData(new[] { "sideways" }, "unknown check 'sideways'")]
    [InlineData(new[] { "live", "--max-age", "soon" }, "--max-age 'soon' is not a positive duration")]
    [InlineData(new[] { "live", "--max-age", "0s" }, "--max-age '0s' is not a positive duration")]
    [InlineData(new[] { "live", "--max-age" }, "--max-age '' is not a positive duration")]
    [InlineData(new[] { "ready", "--verbose" }, "unknown argument '--verbose'")]
    public void BadUsage_ExitsTwoWithUsage(string[] args, string message)
    {
        var (code, stdout, stderr) = Probe(args);

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.Contains(ProbeCommand.Usage, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingConfigFile_ExitsTwoNamingTheKey()
    {
        var (code, _, stderr) = Probe("live", "--lease-agent-config", Path.Combine(_directory.FullName, "nope.json"));

        Assert.Equal(2, code);
        Assert.StartsWith("lease-agent: LEASE_AGENT_CONFIG:", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Output_NeverShowsTheLeaseIdOrUsername()
    {
        WriteStatus(ready: false, state: AgentState.Active, lastError: "renew_failed", age: TimeSpan.FromSeconds(2));

        var ready = Probe("ready", "--state-dir", StateDirectory);
        var live = Probe("live", "--state-dir", StateDirectory);

        foreach (var text in new[] { ready.Stdout, ready.Stderr, live.Stdout, live.Stderr })
        {
            Assert.DoesNotContain("dyn_secret_lease", text, StringComparison.Ordinal);
            Assert.DoesNotContain("v_readonly_user", text, StringComparison.Ordinal);
        }

        Assert.Contains("renew_failed", ready.Stderr, StringComparison.Ordinal);
    }

    private (int Code, string Stdout, string Stderr) Probe(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = ProbeCommand.Run(args, stdout, stderr, _time);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private void WriteStatus(bool ready, AgentState state, TimeSpan age, int generation = 1, string? lastError = null, int? pid = null) =>
        StatusFile.Write(StatusFile.In(StateDirectory), Status(ready, state, age, generation, lastError, pid));

    private static AgentStatus Status(bool ready, AgentState state, TimeSpan age, int generation = 1, string? lastError = null, int? pid = null) => new()
    {
        State = state,
        Ready = ready,
        Generation = generation,
        LeaseId = "dyn_secret_lease",
        Username = "v_readonly_user",
        LastError = lastError,
        Pid = pid ?? Environment.ProcessId,
        UpdatedAt = Now - age,
    };
}
