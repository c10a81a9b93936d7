using LeaseAgent.Diagnostics;
using LeaseAgent.Publishing;
using LeaseAgent.Testing;
using Microsoft.Extensions.Time.Testing;

namespace LeaseAgent.Tests.Diagnostics;

/// <summary>docs/metrics.md names every metric family and every state that <c>/metrics</c> can show.</summary>
public sealed class MetricsDocumentationTests
{
    [Fact]
    public async Task EveryExportedMetricAndState_IsDocumented()
    {
        var documentation = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Path, "docs", "metrics.md"));
        var health = new AgentHealth();
        health.Report(new AgentStatus { State = "Active", Ready = true, UpdatedAt = DateTimeOffset.UnixEpoch }, new LeaseSnapshot(1, 2, 1, "Active"));
        using var metrics = new LeaseMetrics(health, new FakeTimeProvider());
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
        Assert.All(LeaseMetrics.States, state => Assert.True(documentation.Contains($"`{state}`", StringComparison.Ordinal), $"docs/metrics.md does not list the state {state}"));
    }
}
