using LeaseAgent.Diagnostics;
using LeaseAgent.Status;
using Microsoft.Extensions.Logging.Abstractions;
using LeaseAgent.Tests.Status;
using Microsoft.Extensions.Time.Testing;

namespace LeaseAgent.Tests.Diagnostics;

/// <summary>With several credentials, each one's readiness, degradation and state is a series of its own.</summary>
public sealed class CredentialGaugesTests : IDisposable
{
    private const string Reporting = "reporting-db/readonly";
    private const string Billing = "billing-db/readwrite";

    private readonly FakeTimeProvider _time = new();
    private readonly DirectoryInfo _stateDirectory = Directory.CreateTempSubdirectory("credential-gauges-");
    private readonly StatusReporter _status;
    private readonly LeaseMetrics _metrics;

    public CredentialGaugesTests()
    {
        _status = new StatusReporter(new StatusOptions(_stateDirectory.FullName, [Reporting, Billing], Secrets: false, FailOpen: false), _time, NullLogger<StatusReporter>.Instance);
        _metrics = new LeaseMetrics(_status, _time);
    }

    public void Dispose()
    {
        _metrics.Dispose();
        _stateDirectory.Delete(recursive: true);
    }

    private async Task<string[]> ScrapeAsync()
    {
        using var exposition = new MemoryStream();
        await _metrics.WriteAsync(exposition, CancellationToken.None);
        return System.Text.Encoding.UTF8.GetString(exposition.ToArray()).Split('\n');
    }

    private static PublishedCredential Published(FakeTimeProvider time) =>
        new(StatusReporterTests.TestDocument("v_user", "lease-1"), time.GetTimestamp() + (60 * time.TimestampFrequency), long.MaxValue);

    [Fact]
    public async Task OneCredentialDegraded_AndOneStillAcquiring_AreToldApart()
    {
        _status.Report(new LeaseStatus(Reporting, AgentState.Renewing) { Generation = 2, Degraded = true, Published = Published(_time) });
        _status.Report(new LeaseStatus(Billing, AgentState.Probing));

        var lines = await ScrapeAsync();

        foreach (var expected in new[]
        {
            $"leaseagent_credential_ready{{credential=\"{Reporting}\"}} 1",
            $"leaseagent_credential_ready{{credential=\"{Billing}\"}} 0",
            $"leaseagent_credential_degraded{{credential=\"{Reporting}\"}} 1",
            $"leaseagent_credential_degraded{{credential=\"{Billing}\"}} 0",
            $"leaseagent_credential_state{{credential=\"{Reporting}\",state=\"Renewing\"}} 1",
            $"leaseagent_credential_state{{credential=\"{Reporting}\",state=\"Probing\"}} 0",
            $"leaseagent_credential_state{{credential=\"{Billing}\",state=\"Probing\"}} 1",
            $"leaseagent_credential_state{{credential=\"{Billing}\",state=\"Renewing\"}} 0",
            "leaseagent_ready 0", // the agent is ready only when every credential is
        })
        {
            Assert.True(lines.Contains(expected), $"missing line '{expected}' in:\n{string.Join('\n', lines)}");
        }
    }

    [Fact]
    public async Task ACredentialsState_FollowsItsStatus()
    {
        _status.Report(new LeaseStatus(Billing, AgentState.Active) { Generation = 1, Published = Published(_time) });
        Assert.Contains($"leaseagent_credential_state{{credential=\"{Billing}\",state=\"Active\"}} 1", await ScrapeAsync());

        _status.Report(new LeaseStatus(Billing, AgentState.Lost) { LastError = "lease_expired" });
        var lines = await ScrapeAsync();

        Assert.Contains($"leaseagent_credential_state{{credential=\"{Billing}\",state=\"Active\"}} 0", lines);
        Assert.Contains($"leaseagent_credential_state{{credential=\"{Billing}\",state=\"Lost\"}} 1", lines);
        Assert.Contains($"leaseagent_credential_ready{{credential=\"{Billing}\"}} 0", lines);
    }
}
