namespace LeaseAgent.Tests.Integration;

/// <summary>
/// <c>lease-agent run -- CMD</c>: the child starts after the publish with the credential in libpq's variables, its exit
/// code becomes the agent's, SIGTERM reaches it, and the lease is revoked once it has exited.
/// </summary>
public sealed class SupervisorModeTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    private static string Psql =>
        new[] { "/usr/bin/psql" }.Concat(Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin", "psql")) : [])
            .FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("these tests run psql as the child: install postgresql-client");

    [Fact]
    public async Task Child_QueriesWithThePgVariablesAndDatabaseUrl_ItsExitCodeIsTheAgents_AndTheLeaseIsRevoked()
    {
        await using var scenario = await AgentScenario.StartAsync();
        var results = Path.Combine(scenario.Directory, "results");
        var script = $"""
            set -e
            "{Psql}" -tAc "SELECT current_user || ' ' || (SELECT count(*) FROM report)" > "{results}.pg"
            "{Psql}" "$DATABASE_URL" -tAc "SELECT current_user" > "{results}.url"
            env | grep -c '^SCAIVAULT_' > "{results}.withheld" || true
            exit 7
            """;

        var (agent, _) = await scenario.StartAgentAsync("run", "--", "/bin/sh", "-c", script);
        var exitCode = await agent.WaitForExitAsync(Generous);

        Assert.True(exitCode == 7, agent.Output);
        var pg = (await File.ReadAllTextAsync(results + ".pg")).Trim().Split(' ');
        Assert.StartsWith("v_", pg[0], StringComparison.Ordinal);
        Assert.Equal("10", pg[1]);
        Assert.Equal(pg[0], (await File.ReadAllTextAsync(results + ".url")).Trim());
        Assert.Equal("0", (await File.ReadAllTextAsync(results + ".withheld")).Trim()); // no ScaiVault setting reaches the child
        Assert.Contains($"with the credential of user {pg[0]}", agent.Output, StringComparison.Ordinal);
        Assert.Empty(await scenario.Emulator.ActiveLeasesAsync());
        Assert.Empty(await scenario.Emulator.LeaseUsersAsync());
        Assert.False(File.Exists(scenario.OutputFile));
    }

    [Fact]
    public async Task Sigterm_IsForwardedToTheChild_ThenEverythingIsRevoked()
    {
        await using var scenario = await AgentScenario.StartAsync();
        var started = Path.Combine(scenario.Directory, "started");
        var terminated = Path.Combine(scenario.Directory, "terminated");
        var script = $"""
            trap 'echo "$PGUSER" > "{terminated}"; exit 0' TERM
            touch "{started}"
            while true; do sleep 0.1; done
            """;
        var (agent, _) = await scenario.StartAgentAsync("run", "--", "/bin/sh", "-c", script);
        await LeaseAgent.Testing.Eventually.TrueAsync(() => File.Exists(started), Generous, "the child started");

        agent.Terminate();
        var exitCode = await agent.WaitForExitAsync(Generous);

        Assert.True(exitCode == 0, agent.Output);
        Assert.StartsWith("v_", (await File.ReadAllTextAsync(terminated)).Trim(), StringComparison.Ordinal);
        Assert.Contains("Forwarding SIGTERM to child", agent.Output, StringComparison.Ordinal);
        Assert.Empty(await scenario.Emulator.ActiveLeasesAsync());
        Assert.Empty(await scenario.Emulator.LeaseUsersAsync());
    }

    [Fact]
    public async Task ACommandThatCannotStart_Exits127_AndRevokes()
    {
        await using var scenario = await AgentScenario.StartAsync();

        var (agent, _) = await scenario.StartAgentAsync("run", "--", "/nonexistent/reporting-job");
        var exitCode = await agent.WaitForExitAsync(Generous);

        Assert.True(exitCode == 127, agent.Output);
        Assert.Contains("Cannot start /nonexistent/reporting-job", agent.Output, StringComparison.Ordinal);
        Assert.Empty(await scenario.Emulator.ActiveLeasesAsync());
    }

    [Fact]
    public async Task WithoutADynamicCredential_ExitsTwo_BeforeStartingAnything()
    {
        await using var scenario = await AgentScenario.StartAsync();
        scenario.Environment.Remove("LEASE_ENGINE");
        scenario.Environment.Remove("LEASE_ROLE");
        scenario.Environment["SECRETS"] = $"apps/reporting/config -> {scenario.Directory}/config.json";
        var marker = Path.Combine(scenario.Directory, "started");

        var (agent, _) = await scenario.StartAgentAsync("run", "--", "/usr/bin/touch", marker);
        var exitCode = await agent.WaitForExitAsync(Generous);

        Assert.True(exitCode == 2, agent.Output);
        Assert.Contains("LEASE_ENGINE: is required by run -- CMD", agent.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public async Task Child_OfANonRootAgent_GetsNoConfigFile_CannotReadTheAgentsEnviron_ButCanReadTheTokenFile()
    {
        await using var scenario = await AgentScenario.StartAsync();
        var config = Path.Combine(scenario.Directory, "agent.json");
        await File.WriteAllTextAsync(config, """{ "LOG_LEVEL": "debug" }""");
        scenario.Environment["LEASE_AGENT_CONFIG"] = config;
        var results = Path.Combine(scenario.Directory, "results");
        var script = $"""
            env | grep -c '^LEASE_AGENT_CONFIG=' > "{results}.config" || true
            if grep -c SCAIVAULT "/proc/$PPID/environ" > /dev/null 2>&1; then echo readable; else echo denied; fi > "{results}.environ"
            if cat "{scenario.TokenFile}" > /dev/null 2>&1; then echo readable; else echo denied; fi > "{results}.token"
            """;

        var agent = await scenario.StartAgentAsNobodyAsync("run", "--", "/bin/sh", "-c", script);
        var exitCode = await agent.WaitForExitAsync(Generous);

        Assert.True(exitCode == 0, agent.Output);
        Assert.Equal("0", (await File.ReadAllTextAsync(results + ".config")).Trim());
        Assert.Equal("denied", (await File.ReadAllTextAsync(results + ".environ")).Trim()); // the agent is not dumpable
        // What README "Supervisor mode" says: the child runs as the agent's uid and is as trusted as the agent.
        Assert.Equal("readable", (await File.ReadAllTextAsync(results + ".token")).Trim());
    }

    /// <summary>
    /// Finding 18. No code of the agent's does this: .NET's System.Native reaps every child, not only the ones it
    /// started, when the process is PID 1 (<c>reapAll = g_pid == 1 || …</c> in pal_signal.c), peeking with
    /// <c>waitid(WNOWAIT)</c> so that its own Process objects keep their exit codes. This pins that behaviour.
    /// </summary>
    [Fact]
    public async Task AsPid1_AnOrphanedGrandchild_IsReaped()
    {
        await using var scenario = await AgentScenario.StartAsync();
        var results = Path.Combine(scenario.Directory, "results");
        // The subshell exits at once, so its "sleep 0.2" is orphaned to PID 1, the agent, and is a zombie once it ends.
        var script = $"""
            (sleep 0.2 & echo $! > "{results}.orphan")
            orphan=$(cat "{results}.orphan")
            i=0
            while [ -e "/proc/$orphan" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
            if [ -e "/proc/$orphan" ]; then echo "left: state and parent $(cut -d' ' -f3,4 "/proc/$orphan/stat")"; else echo reaped; fi > "{results}.outcome"
            """;

        // unshare (util-linux, as root) starts the agent as PID 1 of a new PID namespace with its own /proc.
        Assert.True(Environment.UserName == "root", "this test starts the agent in a new PID namespace with unshare: run it as root (CI does)");
        var agent = await scenario.StartAgentUnderAsync(["/usr/bin/unshare", "--fork", "--pid", "--mount-proc"], "run", "--", "/bin/sh", "-c", script);
        var exitCode = await agent.WaitForExitAsync(Generous);

        Assert.True(exitCode == 0, agent.Output);
        Assert.Equal("reaped", (await File.ReadAllTextAsync(results + ".outcome")).Trim());
    }
}
