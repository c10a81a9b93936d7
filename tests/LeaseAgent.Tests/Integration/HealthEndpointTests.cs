using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using LeaseAgent.Testing;
using Xunit.Abstractions;

namespace LeaseAgent.Tests.Integration;

/// <summary>
/// The published binary with <c>HEALTH_ADDRESS</c>: <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c> while a lease
/// is active, <c>lease-agent probe</c> against the same <c>STATE_DIR</c>, and a port in use stopping the agent.
/// </summary>
public sealed class HealthEndpointTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task PublishedBinary_ServesHealthReadinessAndMetrics_AndProbeAgrees()
    {
        await using var scenario = await AgentScenario.StartAsync(defaultTtl: "6s", maxTtl: "5m");
        var port = FreePort();
        scenario.Environment["HEALTH_ADDRESS"] = $"127.0.0.1:{port}";
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };

        var beforeStart = await ProbeAsync(scenario, "ready");
        Assert.Equal(1, beforeStart.Code);
        Assert.Contains("not live: no status file at", beforeStart.Stderr, StringComparison.Ordinal);

        var (agent, _) = await scenario.StartAgentAsync();
        await using var _ = agent;
        var document = await scenario.WaitForCredentialAsync(_ => true, Generous, "the first credential");
        var leaseId = document["lease_id"]!.GetValue<string>();
        var username = document["username"]!.GetValue<string>();

        var ready = await Eventually.ReturnsAsync(() => GetAsync(http, "/readyz"), r => r.Status == HttpStatusCode.OK, Generous, "/readyz to answer 200");
        Assert.StartsWith("ready: state ", ready.Body, StringComparison.Ordinal);
        var healthz = await GetAsync(http, "/healthz");
        Assert.Equal((HttpStatusCode.OK, "ok\n"), (healthz.Status, healthz.Body));

        // A renewal lands in the counter; the gauges describe the lease that is in service, labelled by its credential.
        var credential = $"credential=\"{scenario.Emulator.Role.Engine.Name}/{scenario.Emulator.Role.Name}\"";
        var metrics = await Eventually.ReturnsAsync(
            () => GetAsync(http, "/metrics"),
            m => m.Status == HttpStatusCode.OK && Value(m.Body.Split('\n'), $"leaseagent_renewals_total{{{credential},result=\"ok\"}}") >= 1,
            Generous,
            "a renewal to be counted");
        var lines = metrics.Body.Split('\n');
        Assert.Contains("leaseagent_ready 1", lines);
        Assert.Contains($"leaseagent_generation{{{credential}}} 1", lines);
        Assert.Contains(lines, l => l is "leaseagent_state{state=\"Active\"} 1" or "leaseagent_state{state=\"Renewing\"} 1");
        var timeLeft = Value(lines, $"leaseagent_lease_time_left_seconds{{{credential}}}");
        Assert.InRange(timeLeft, 0.0, 6.0);
        Assert.InRange(Value(lines, $"leaseagent_lease_time_to_hard_end_seconds{{{credential}}}"), 200.0, 300.0);
        Assert.Contains(lines, l => l.StartsWith("process_cpu_seconds_total ", StringComparison.Ordinal));
        foreach (var secret in new[] { leaseId, username, document["password"]!.GetValue<string>() })
        {
            Assert.DoesNotContain(secret, metrics.Body, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, ready.Body, StringComparison.Ordinal);
        }

        var probeReady = await ProbeAsync(scenario, "ready");
        Assert.True(probeReady.Code == 0, probeReady.Stderr);
        Assert.StartsWith("ready: state ", probeReady.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, (await ProbeAsync(scenario, "live")).Code);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(http, "/")).Status);

        agent.Terminate();
        Assert.Equal(0, await agent.WaitForExitAsync(Generous));

        var afterExit = await ProbeAsync(scenario, "live");
        Assert.Equal(1, afterExit.Code);
        Assert.Contains($"process {agent.Pid} is not running", afterExit.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, (await ProbeAsync(scenario, "ready")).Code);
        output.WriteLine(metrics.Body);
    }

    /// <summary>
    /// An agent with only <c>SECRETS</c> reports the state <c>Secrets</c> in its status: <c>leaseagent_state</c> must
    /// show it too, rather than 0 for every label.
    /// </summary>
    [Fact]
    public async Task PublishedBinary_SecretsOnly_MetricsShowTheSecretsStateAndReadiness()
    {
        await using var scenario = await SecretRefreshTests.SecretsOnlyScenarioAsync("1m");
        var port = FreePort();
        scenario.Environment["HEALTH_ADDRESS"] = $"127.0.0.1:{port}";
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };

        var (agent, _) = await scenario.StartAgentAsync();
        await using var _ = agent;
        var ready = await Eventually.ReturnsAsync(() => GetAsync(http, "/readyz"), r => r.Status == HttpStatusCode.OK, Generous, "/readyz to answer 200", () => agent.Output);
        Assert.Equal("ready: state Secrets\n", ready.Body);

        var lines = (await GetAsync(http, "/metrics")).Body.Split('\n');
        Assert.Contains("leaseagent_ready 1", lines);
        Assert.True(lines.Contains("leaseagent_state{state=\"Secrets\"} 1"), $"no leaseagent_state label at 1 in:\n{string.Join('\n', lines.Where(l => l.StartsWith("leaseagent_state", StringComparison.Ordinal)))}");
        Assert.Single(lines, l => l.StartsWith("leaseagent_state{", StringComparison.Ordinal) && l.EndsWith("} 1", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("leaseagent_lease_time_left_seconds ", StringComparison.Ordinal));

        agent.Terminate();
        Assert.True(await agent.WaitForExitAsync(Generous) == 0, agent.Output);
    }

    [Fact]
    public async Task PublishedBinary_HealthPortInUse_ExitsTwoBeforeLeasingAnything()
    {
        await using var scenario = await AgentScenario.StartAsync();
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;
        scenario.Environment["HEALTH_ADDRESS"] = $"127.0.0.1:{port}";

        var (agent, _) = await scenario.StartAgentAsync();
        await using var _ = agent;
        var exitCode = await agent.WaitForExitAsync(Generous);

        Assert.True(exitCode == 2, $"exit code {exitCode}; output:\n{agent.Output}");
        Assert.Contains(agent.Lines, l => l.StartsWith($"lease-agent: HEALTH_ADDRESS: cannot listen on 127.0.0.1:{port}:", StringComparison.Ordinal));
        Assert.Contains(agent.Lines, l => l.Contains("\"EventId\":911", StringComparison.Ordinal));
        Assert.False(File.Exists(scenario.OutputFile));
        Assert.Empty(await scenario.Emulator.ActiveLeasesAsync());
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static double Value(string[] lines, string metric)
    {
        var line = lines.SingleOrDefault(l => l.StartsWith(metric + " ", StringComparison.Ordinal));
        return line is null ? double.NaN : double.Parse(line[(metric.Length + 1)..], CultureInfo.InvariantCulture);
    }

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(HttpClient http, string path)
    {
        try
        {
            using var response = await http.GetAsync(path);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        catch (HttpRequestException e)
        {
            return (0, e.Message);
        }
    }

    /// <summary>Runs <c>lease-agent probe</c> as a kubelet exec probe would: same binary, the agent's OUTPUT_FILE, nothing else.</summary>
    private static async Task<(int Code, string Stdout, string Stderr)> ProbeAsync(AgentScenario scenario, string check)
    {
        var start = new ProcessStartInfo(await AgentScenario.BinaryAsync(), ["probe", check])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment.Clear();
        start.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        start.Environment["OUTPUT_FILE"] = scenario.OutputFile;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Generous);
        return (process.ExitCode, await stdout, await stderr);
    }
}
