using System.Diagnostics;
using System.Text.Json.Nodes;
using LeaseAgent.Testing;

namespace LeaseAgent.Tests.Integration;

/// <summary>
/// <c>lease-agent run</c> with <c>SECRETS</c> and no dynamic credential: files rewritten when a new version is put,
/// one reload signal per refresh cycle however many files changed, none for a cycle that changed nothing.
/// </summary>
public sealed class SecretRefreshTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    /// <summary>An agent with only <c>SECRETS</c> (no dynamic credential) over one secret mapped twice.</summary>
    internal static async Task<AgentScenario> SecretsOnlyScenarioAsync(string refreshInterval, bool subscribe = false)
    {
        var scenario = await AgentScenario.StartAsync();
        foreach (var key in new[] { "LEASE_ENGINE", "LEASE_ROLE", "DB_HOST", "DB_PORT", "DB_NAME", "DB_SSLMODE", "DB_REQUIRE_AUTH" })
        {
            scenario.Environment.Remove(key);
        }

        await scenario.Emulator.PutSecretAsync("apps/reporting/config", new { api_key = "key-version-1", endpoint = "https://v1.example" });
        scenario.Environment["SECRETS"] = $"apps/reporting/config -> {scenario.Directory}/config.json\napps/reporting/config#api_key -> {scenario.Directory}/api-key";
        scenario.Environment["REFRESH_INTERVAL"] = refreshInterval;
        scenario.Environment["SUBSCRIBE"] = subscribe ? "true" : "false";
        return scenario;
    }

    private static string StatusFile(AgentScenario scenario) => Path.Combine(scenario.Directory, ".lease-agent", "status.json");

    private static async Task<JsonObject?> StatusAsync(AgentScenario scenario)
    {
        try
        {
            return File.Exists(StatusFile(scenario)) ? await AgentScenario.ReadJsonFileAsync(StatusFile(scenario)) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static async Task<string> ReadAsync(AgentScenario scenario, string file) =>
        File.Exists(Path.Combine(scenario.Directory, file)) ? await File.ReadAllTextAsync(Path.Combine(scenario.Directory, file)) : "";

    /// <summary>A stand-in app that counts the SIGHUPs it gets, one line each; the agent finds it by its pid file.</summary>
    private sealed class SignalCounter : IDisposable
    {
        private readonly Process _app;
        private readonly string _count;

        public SignalCounter(AgentScenario scenario)
        {
            _count = Path.Combine(scenario.Directory, "hups");
            Trapped = Path.Combine(scenario.Directory, "app-ready");
            _app = Process.Start(DefaultSighup.StartInfo("/bin/sh", ["-c", $"trap 'echo hup >> {_count}' HUP; touch {Trapped}; while true; do sleep 0.05; done"]))!;
            var pidFile = Path.Combine(scenario.Directory, "app.pid");
            File.WriteAllText(pidFile, _app.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            scenario.Environment["RELOAD_PID_FILE"] = pidFile;
        }

        /// <summary>Exists once the trap is installed (a SIGHUP before it would end the shell).</summary>
        public string Trapped { get; }

        public int Count => File.Exists(_count) ? File.ReadAllLines(_count).Length : 0;

        public void Dispose()
        {
            _app.Kill();
            _app.WaitForExit();
            _app.Dispose();
        }
    }

    [Fact]
    public async Task NewVersion_RewritesTheChangedFiles_WithOneSignalPerCycle_AndNoneWhenNothingChanged()
    {
        await using var scenario = await SecretsOnlyScenarioAsync("1s");
        using var signals = new SignalCounter(scenario);
        await Eventually.TrueAsync(() => File.Exists(signals.Trapped), Generous, "the stand-in app's trap installed");
        var (agent, _) = await scenario.StartAgentAsync("run");
        var status = await Eventually.ReturnsAsync(() => StatusAsync(scenario), s => s?["ready"]?.GetValue<bool>() == true, Generous, "ready once the secrets are written");
        Assert.Equal("key-version-1", await ReadAsync(scenario, "api-key"));
        Assert.Equal(0, signals.Count); // the first write is what the app starts with: no signal

        // A new version changes both files: one cycle, one signal.
        await scenario.Emulator.PutSecretAsync("apps/reporting/config", new { api_key = "key-version-2", endpoint = "https://v2.example" });
        await Eventually.TrueAsync(async () => await ReadAsync(scenario, "api-key") == "key-version-2", Generous, "the field file rewritten");
        Assert.Equal("https://v2.example", JsonNode.Parse(await ReadAsync(scenario, "config.json"))!["endpoint"]!.GetValue<string>());
        await Eventually.TrueAsync(() => signals.Count == 1, Generous, "one SIGHUP for the cycle", () => agent.Output);

        // Cycles that change nothing: no signal. The refresher's reports are the heartbeat of an agent with only
        // SECRETS, so the status is rewritten every 10 s: two heartbeats span many 1 s cycles.
        for (var heartbeat = 0; heartbeat < 2; heartbeat++)
        {
            var before = status!["updated_at"]!.GetValue<DateTimeOffset>();
            status = await Eventually.ReturnsAsync(() => StatusAsync(scenario), s => s?["updated_at"]?.GetValue<DateTimeOffset>() > before, Generous, "another heartbeat");
        }

        Assert.Equal(1, signals.Count);

        // Only the whole-object file changes now: still exactly one more signal.
        await scenario.Emulator.PutSecretAsync("apps/reporting/config", new { api_key = "key-version-2", endpoint = "https://v3.example" });
        await Eventually.TrueAsync(() => signals.Count == 2, Generous, "one SIGHUP for the second change", () => agent.Output);
        Assert.Equal("https://v3.example", JsonNode.Parse(await ReadAsync(scenario, "config.json"))!["endpoint"]!.GetValue<string>());
        // The console log is written asynchronously: the line may come a moment after the signal.
        await Eventually.TrueAsync(() => agent.Output.Contains("1 secret file(s) changed", StringComparison.Ordinal), Generous, "the second cycle logged", () => agent.Output);
        Assert.Contains("2 secret file(s) changed", agent.Output, StringComparison.Ordinal);

        agent.Terminate();
        Assert.True(await agent.WaitForExitAsync(Generous) == 0, agent.Output);
    }

    [Fact]
    public async Task Subscribe_RefreshesOnTheEvent_LongBeforeTheRefreshInterval()
    {
        await using var scenario = await SecretsOnlyScenarioAsync("1h", subscribe: true);
        var (agent, _) = await scenario.StartAgentAsync("run");
        await Eventually.ReturnsAsync(() => StatusAsync(scenario), s => s?["ready"]?.GetValue<bool>() == true, Generous, "ready once the secrets are written");
        await Eventually.TrueAsync(() => agent.Output.Contains("Subscribed to changes of 1 secret path(s)", StringComparison.Ordinal), Generous, "subscribed");

        await scenario.Emulator.PutSecretAsync("apps/reporting/config", new { api_key = "key-version-2", endpoint = "https://v2.example" });
        await Eventually.TrueAsync(async () => await ReadAsync(scenario, "api-key") == "key-version-2", Generous, "rewritten on the event, with the next poll an hour away");

        Assert.Contains("secret.updated apps/reporting/config", agent.Output, StringComparison.Ordinal);
        agent.Terminate();
        Assert.True(await agent.WaitForExitAsync(Generous) == 0, agent.Output);
    }

    /// <summary>
    /// RATE allows 20 subscription operations per identity per minute, and the emulator counts every ack there: a burst
    /// of 40 versions in 10 s must leave the file at the last one, the emulator without a single 429 for the agent, and
    /// every event acknowledged (the agent's acks coalesce).
    /// </summary>
    [Fact]
    public async Task Subscribe_ABurstOfUpdates_EndsAtTheLatestVersion_WithoutA429_AndEveryEventAcknowledged()
    {
        await using var scenario = await SecretsOnlyScenarioAsync("1h", subscribe: true);
        var (agent, _) = await scenario.StartAgentAsync("run");
        await Eventually.ReturnsAsync(() => StatusAsync(scenario), s => s?["ready"]?.GetValue<bool>() == true, Generous, "ready once the secrets are written");
        await Eventually.TrueAsync(() => agent.Output.Contains("Subscribed to changes of 1 secret path(s)", StringComparison.Ordinal), Generous, "subscribed");

        // Paced, not hurried: one version every 250 ms lets the agent handle (and, uncoalesced, ack) nearly each on its own.
        for (var version = 2; version <= 41; version++)
        {
            await scenario.Emulator.PutSecretAsync("apps/reporting/config", new { api_key = $"key-version-{version}", endpoint = "https://v.example" });
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }

        await Eventually.TrueAsync(async () => await ReadAsync(scenario, "api-key") == "key-version-41", Generous, "the last version written", () => agent.Output);
        await Eventually.TrueAsync(
            async () => await TestPostgres.ScalarAsync<long>(scenario.Emulator.StateDatabase, "SELECT count(*) FROM scaivault.subscription_events WHERE acked_at IS NULL") == 0,
            Generous,
            "every event acknowledged",
            () => agent.Output);
        Assert.Empty(scenario.Emulator.RateLimitedRequests);
        Assert.DoesNotContain("rate_limited", agent.Output, StringComparison.Ordinal);

        agent.Terminate();
        Assert.True(await agent.WaitForExitAsync(Generous) == 0, agent.Output);
    }

    /// <summary>Review §20: a subscription replaced after a failed poll, and the last one at shutdown, are deleted at the server.</summary>
    [Fact]
    public async Task Subscribe_AfterAFailedPoll_ReplacesTheSubscription_AndDeletesTheOldOne_AndTheLastAtShutdown()
    {
        // 3 s: the agent long-polls only for whole seconds left before the next refresh.
        await using var scenario = await SecretsOnlyScenarioAsync("3s", subscribe: true);
        var (agent, _) = await scenario.StartAgentAsync("run");
        await Eventually.TrueAsync(() => Subscriptions(agent) == 1, Generous, "subscribed", () => agent.Output);
        Assert.Equal(1, await scenario.Emulator.SubscriptionCountAsync());

        // Every poll fails (through the client's retries) until the fault is cleared; the agent then subscribes anew.
        await scenario.Emulator.SetFaultAsync(new { route = "poll", status = 500, code = "internal_error", rate = 1.0 });
        await Eventually.TrueAsync(() => agent.Output.Contains("Subscription failed (internal_error", StringComparison.Ordinal), Generous, "a failed poll", () => agent.Output);
        await scenario.Emulator.ClearFaultsAsync();
        await Eventually.TrueAsync(() => Subscriptions(agent) == 2, Generous, "subscribed again", () => agent.Output);
        Assert.Equal(1, await scenario.Emulator.SubscriptionCountAsync());

        agent.Terminate();
        Assert.True(await agent.WaitForExitAsync(Generous) == 0, agent.Output);
        Assert.Equal(0, await scenario.Emulator.SubscriptionCountAsync());

        static int Subscriptions(AgentProcess agent) => agent.Output.Split("Subscribed to changes of 1 secret path(s)").Length - 1;
    }

    [Fact]
    public async Task Subscribe_WhenSubscriptionsFail_FallsBackToPolling()
    {
        await using var scenario = await SecretsOnlyScenarioAsync("1s", subscribe: true);
        await scenario.Emulator.SetFaultAsync(new { route = "subscriptions", status = 503, rate = 1.0 });
        var (agent, _) = await scenario.StartAgentAsync("run");
        await Eventually.TrueAsync(() => agent.Output.Contains("Subscription failed (service_unavailable", StringComparison.Ordinal), Generous, "the subscription refused");

        await scenario.Emulator.PutSecretAsync("apps/reporting/config", new { api_key = "key-version-2", endpoint = "https://v2.example" });
        await Eventually.TrueAsync(async () => await ReadAsync(scenario, "api-key") == "key-version-2", Generous, "rewritten by polling");

        agent.Terminate();
        Assert.True(await agent.WaitForExitAsync(Generous) == 0, agent.Output);
    }
}
