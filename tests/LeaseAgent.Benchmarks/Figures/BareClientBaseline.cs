using System.Text.Json.Nodes;
using LeaseAgent.Benchmarks.Infrastructure;

namespace LeaseAgent.Benchmarks.Figures;

/// <summary>
/// The baseline of figures 1, 4 and 6: the bare protocol (<c>tests/LeaseAgent.Benchmarks.BareClient</c>), a Native
/// AOT process started cold with the agent's own environment. From outside, the harness times process start →
/// its file renamed into place, exactly as for the agent; inside, the client times a warm generate + login +
/// write and one revoke.
/// </summary>
public sealed class BareClientBaseline
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Process start → file renamed into place: exchange, generate, login, write (figure 1).</summary>
    public Samples ColdPublish { get; } = new("ms");

    /// <summary>A second generate + login + write in the same, warm process (figure 4).</summary>
    public Samples WarmGenerateLoginWrite { get; } = new("ms");

    /// <summary>One revoke in the warm process (figure 6).</summary>
    public Samples Revoke { get; } = new("ms");

    /// <summary>Where the cold path's time goes, as the client measured it: exchange, generate, login, write.</summary>
    public Dictionary<string, Samples> ColdSteps { get; } = new()
    {
        ["cold_exchange_ms"] = new("ms"),
        ["cold_generate_ms"] = new("ms"),
        ["cold_login_ms"] = new("ms"),
        ["cold_write_ms"] = new("ms"),
    };

    public async Task RunAsync(Bench bench)
    {
        var directory = bench.NewDirectory("bare");
        var output = Path.Combine(directory, "db.json");
        using var watcher = new PublishWatcher(directory);
        await using var client = ChildProcess.Start("bare-client", bench.Binaries.BareClient, bench.AgentEnvironment(bench.LongRole, output), directory);
        var published = await watcher.WaitAsync("db.json", Timeout, client);
        await client.WaitForExitAsync(Timeout);
        if (client.ExitCode != 0)
        {
            throw new HarnessException($"bare-client exited with {client.ExitCode}:\n{client.Output}");
        }

        var timings = JsonNode.Parse(client.Lines.Last().Text)!.AsObject();
        ColdPublish.Add(Measurements.Ms(client.StartTimestamp, published));
        WarmGenerateLoginWrite.Add(timings["warm_generate_login_write_ms"]!.GetValue<double>());
        Revoke.Add(timings["revoke_ms"]!.GetValue<double>());
        foreach (var (step, samples) in ColdSteps)
        {
            samples.Add(timings[step]!.GetValue<double>());
        }
    }

    public string DescribeColdSteps() =>
        string.Join(", ", ColdSteps.Select(s => $"{s.Key["cold_".Length..^"_ms".Length]} {s.Value.Format()}"));
}
