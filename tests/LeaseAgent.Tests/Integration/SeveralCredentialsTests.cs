using System.Text.Json.Nodes;
using LeaseAgent.Testing;
using Npgsql;

namespace LeaseAgent.Tests.Integration;

/// <summary>
/// <c>CREDENTIALS</c> against the real binary: two credentials of two engines on two databases, each with the whole
/// lifecycle on its own, one token exchange, one journal and one lock for the agent.
/// </summary>
public sealed class SeveralCredentialsTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task TwoCredentials_AreBothPublished_AndEachLogsInToItsOwnDatabase()
    {
        await using var scenario = await TwoCredentialsScenario.StartAsync();
        var agent = await scenario.StartAgentAsync();

        var (reporting, billing) = await scenario.WaitForBothAsync(Generous);

        Assert.Equal((scenario.Reporting.Engine.Connection.Database, 10L), await ReadReportAsync(reporting));
        Assert.Equal((scenario.Billing.Engine.Connection.Database, 10L), await ReadReportAsync(billing));
        Assert.Equal([reporting["username"]!.GetValue<string>()], await scenario.Reporting.LeaseUsersAsync());
        Assert.Equal([billing["username"]!.GetValue<string>()], await scenario.Billing.LeaseUsersAsync());

        // One token exchange for the agent, not one per credential.
        Assert.Single(agent.Lines, l => l.Contains("Exchanged the service-account token", StringComparison.Ordinal));
        agent.Terminate();
        Assert.Equal(0, await agent.WaitForExitAsync(Generous));
    }

    [Fact]
    public async Task KillThenRestart_AdoptsBothCredentials_WithoutANewUserForEither()
    {
        await using var scenario = await TwoCredentialsScenario.StartAsync();
        var first = await scenario.StartAgentAsync();
        var (reporting, billing) = await scenario.WaitForBothAsync(Generous);
        var journal = await AgentScenario.ReadJsonFileAsync(Path.Combine(scenario.StateDirectory, "journal.json"));
        Assert.Equal(2, journal["version"]!.GetValue<int>());
        Assert.Equal(2, journal["credentials"]!.AsObject().Count);

        first.Kill();
        await first.WaitForExitAsync(Generous);
        File.Delete(scenario.ReportingFile); // the app's view of one is gone too: the restarted agent must republish it

        var second = await scenario.StartAgentAsync();
        var adoptedReporting = await TwoCredentialsScenario.WaitForCredentialAsync(scenario.ReportingFile, _ => true, Generous, "the adopted reporting credential");
        var adoptedBilling = await TwoCredentialsScenario.WaitForCredentialAsync(
            scenario.BillingFile, d => second.Lines.Count(l => l.Contains("Adopting -> Probing", StringComparison.Ordinal)) == 2, Generous, "the adopted billing credential");

        Assert.Equal(reporting["lease_id"]!.GetValue<string>(), adoptedReporting["lease_id"]!.GetValue<string>());
        Assert.Equal(billing["lease_id"]!.GetValue<string>(), adoptedBilling["lease_id"]!.GetValue<string>());
        Assert.Equal([reporting["username"]!.GetValue<string>()], await scenario.Reporting.LeaseUsersAsync());
        Assert.Equal([billing["username"]!.GetValue<string>()], await scenario.Billing.LeaseUsersAsync());
        Assert.Equal((scenario.Reporting.Engine.Connection.Database, 10L), await ReadReportAsync(adoptedReporting));
        Assert.Equal((scenario.Billing.Engine.Connection.Database, 10L), await ReadReportAsync(adoptedBilling));

        second.Terminate();
        Assert.Equal(0, await second.WaitForExitAsync(Generous));
        Assert.Empty(await scenario.LeaseUsersAsync());
    }

    [Fact]
    public async Task Sigterm_RevokesBothCredentials_AndLeavesNoJournal()
    {
        await using var scenario = await TwoCredentialsScenario.StartAsync();
        var agent = await scenario.StartAgentAsync();
        await scenario.WaitForBothAsync(Generous);
        Assert.Equal(2, (await scenario.LeaseUsersAsync()).Count);

        agent.Terminate();

        Assert.Equal(0, await agent.WaitForExitAsync(Generous));
        Assert.Empty(await scenario.LeaseUsersAsync());
        Assert.Empty(await scenario.Emulator.ActiveLeasesAsync(scenario.Reporting));
        Assert.Empty(await scenario.Emulator.ActiveLeasesAsync(scenario.Billing));
        Assert.False(File.Exists(scenario.ReportingFile));
        Assert.False(File.Exists(scenario.BillingFile));
        Assert.False(File.Exists(Path.Combine(scenario.StateDirectory, "journal.json")), "a clean shutdown leaves no journal");
        Assert.Equal(2, agent.Lines.Count(l => l.Contains("Shutdown complete", StringComparison.Ordinal)));
    }

    /// <summary>Logs in with a published document and reads the tutorial's table: which database, how many rows.</summary>
    private static async Task<(string Database, long Rows)> ReadReportAsync(JsonObject document)
    {
        var builder = new NpgsqlConnectionStringBuilder(document["connection_string"]!.GetValue<string>()) { Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT current_database(), (SELECT count(*) FROM report)", connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetString(0), reader.GetInt64(1));
    }
}
