using System.Text.Json.Nodes;

namespace LeaseAgent.Tests.Integration;

/// <summary>
/// <c>lease-agent init</c> as a process against the emulator: both mapping forms and a probed dynamic credential
/// written at once; fail closed (nothing written, nothing left leased) and fail open.
/// </summary>
public sealed class InitModeTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private static async Task<AgentScenario> ScenarioWithSecretsAsync(params string[] mappings)
    {
        var scenario = await AgentScenario.StartAsync();
        await scenario.Emulator.PutSecretAsync("apps/reporting/config", new { api_key = "k-1234567890abcdef", endpoint = "https://reports.example", retries = 3 });
        AgentScenario.AllSecrets["k-1234567890abcdef"] = true;
        scenario.Environment["SECRETS"] = "# the reporting service's static secrets\n\n" + string.Join('\n', mappings.Select(m => m.Replace("{dir}", scenario.Directory, StringComparison.Ordinal)));
        scenario.Environment["INIT_TIMEOUT"] = "4s";
        return scenario;
    }

    private static List<string> FilesIn(AgentScenario scenario) =>
        [.. Directory.EnumerateFiles(scenario.Directory, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(scenario.Directory, f)).Where(f => f != "token").Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Init_WritesBothMappingForms_AndOneProbedCredential_ThenExitsZero()
    {
        await using var scenario = await ScenarioWithSecretsAsync(
            "apps/reporting/config -> {dir}/config.json",
            "apps/reporting/config#api_key -> {dir}/keys/api-key");

        var (agent, _) = await scenario.StartAgentAsync("init");
        var exitCode = await agent.WaitForExitAsync(Generous);

        Assert.True(exitCode == 0, agent.Output);
        var config = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(scenario.Directory, "config.json")))!;
        Assert.Equal("https://reports.example", config["endpoint"]!.GetValue<string>());
        Assert.Equal(3, config["retries"]!.GetValue<int>());
        Assert.Equal("k-1234567890abcdef", await File.ReadAllTextAsync(Path.Combine(scenario.Directory, "keys", "api-key"))); // raw, no quotes
        var document = await AgentScenario.ReadJsonFileAsync(scenario.OutputFile);
        AgentScenario.AllSecrets[document["password"]!.GetValue<string>()] = true;
        var (user, rows) = await AgentScenario.QueryAsAsync(document);
        Assert.Equal(document["username"]!.GetValue<string>(), user);
        Assert.Equal(10, rows);
        foreach (var file in new[] { "config.json", "keys/api-key", "db.json" })
        {
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(Path.Combine(scenario.Directory, file)));
        }

        // Not renewed, not revoked: the credential lives on until its TTL for the app the init container started.
        Assert.Single(await scenario.Emulator.ActiveLeasesAsync());
        Assert.DoesNotContain(FilesIn(scenario), f => f.EndsWith(".tmp", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Init_WhenAFieldIsMissing_WritesNothing_AndRevokesTheCredentialItGenerated()
    {
        await using var scenario = await ScenarioWithSecretsAsync(
            "apps/reporting/config -> {dir}/config.json",
            "apps/reporting/config#no_such_field -> {dir}/missing");

        var (agent, _) = await scenario.StartAgentAsync("init");
        var exitCode = await agent.WaitForExitAsync(Generous);

        Assert.Equal(1, exitCode);
        Assert.Contains("no field 'no_such_field'", agent.Output, StringComparison.Ordinal);
        Assert.Empty(FilesIn(scenario));
        Assert.Empty(await scenario.Emulator.ActiveLeasesAsync());
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 0)]
    public async Task Init_WhenScaiVaultStaysDown_RetriesUntilInitTimeout_ThenFailsClosedOrOpen(bool failOpen, int expectedExit)
    {
        await using var scenario = await ScenarioWithSecretsAsync("apps/reporting/config -> {dir}/config.json");
        scenario.Environment["FAIL_OPEN"] = failOpen ? "true" : "false";
        await scenario.Emulator.SetFaultAsync(new { route = "*", status = 503, rate = 1.0 });

        var (agent, sinceStart) = await scenario.StartAgentAsync("init");
        var exitCode = await agent.WaitForExitAsync(Generous);

        Assert.True(exitCode == expectedExit, agent.Output);
        Assert.Contains("failed (service_unavailable); retrying", agent.Output, StringComparison.Ordinal);
        Assert.Contains(failOpen ? "FAIL_OPEN=true, starting the pod without the files" : "giving up, no file written", agent.Output, StringComparison.Ordinal);
        Assert.InRange(sinceStart.Elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30)); // retried, then bounded by INIT_TIMEOUT
        Assert.Empty(FilesIn(scenario));
        await scenario.Emulator.ClearFaultsAsync();
        Assert.Empty(await scenario.Emulator.ActiveLeasesAsync());
    }
}
