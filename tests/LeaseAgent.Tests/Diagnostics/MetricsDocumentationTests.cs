using LeaseAgent.Diagnostics;
using LeaseAgent.Status;
using LeaseAgent.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace LeaseAgent.Tests.Diagnostics;

/// <summary>docs/metrics.md names every metric family and every state that <c>/metrics</c> can show.</summary>
public sealed class MetricsDocumentationTests
{
    [Fact]
    public async Task EveryExportedMetricAndState_IsDocumented()
    {
        var documentation = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Path, "docs", "metrics.md"));
        var time = new FakeTimeProvider();
        var stateDirectory = Directory.CreateTempSubdirectory("metrics-doc-");
        var status = new StatusReporter(new StatusOptions(stateDirectory.FullName, ["e/r"], Secrets: false, FailOpen: false), time, NullLogger<StatusReporter>.Instance);
        status.Report(new LeaseStatus("e/r", AgentState.Active) { Generation = 1 });
        using var metrics = new LeaseMetrics(status, time);
        using var exposition = new MemoryStream();
        await metrics.WriteAsync(exposition, CancellationToken.None);

        var families = System.Text.Encoding.UTF8.GetString(exposition.ToArray())
            .Split('\n')
            .Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal))
            .Select(l => l.Split(' ')[2])
            .ToList();

        Assert.Contains("leaseagent_renewals_total", families);
        Assert.Contains("process_cpu_seconds_total", families);
        Assert.All(families, family => Assert.True(documentation.Contains($"`{family}`", StringComparison.Ordinal), $"docs/metrics.md does not describe {family}"));
        stateDirectory.Delete(recursive: true);
        Assert.All(LeaseMetrics.States, state => Assert.True(documentation.Contains($"`{state}`", StringComparison.Ordinal), $"docs/metrics.md does not list the state {state}"));
    }
}
