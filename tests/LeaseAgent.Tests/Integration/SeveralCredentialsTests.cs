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
        Assert.Equal(2, journal["credentials"]!.AsArray().Count);

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

    [Fact]
    public async Task OneRotatingOnItsOwnSchedule_WhileAnAppReadsBothFilesAndQueriesBothDatabases_NoQueryFails()
    {
        // Billing's max TTL ends every 12 s and it rotates; reporting's lease lives two minutes and stays.
        await using var scenario = await TwoCredentialsScenario.StartAsync(ttl: "30s", maxTtl: "120s", billingTtl: "4s", billingMaxTtl: "12s");
        var agent = await scenario.StartAgentAsync();
        var (reporting, _) = await scenario.WaitForBothAsync(Generous);
        using var stop = new CancellationTokenSource();
        var app = Task.Run(() => QueryBothUntilStoppedAsync(scenario, stop.Token));

        var rotated = await TwoCredentialsScenario.WaitForCredentialAsync(scenario.BillingFile, d => d["generation"]!.GetValue<int>() >= 3, TimeSpan.FromSeconds(90), "two rotations of billing");
        await stop.CancelAsync();
        var (queries, failures) = await app;

        Assert.True(failures.Count == 0, $"{failures.Count} of {queries} queries failed: {string.Join("; ", failures.Take(5))}");
        Assert.True(queries >= 20, $"the app ran only {queries} queries");
        var reportingNow = await AgentScenario.ReadJsonFileAsync(scenario.ReportingFile);
        Assert.Equal((1, reporting["lease_id"]!.GetValue<string>()), (reportingNow["generation"]!.GetValue<int>(), reportingNow["lease_id"]!.GetValue<string>()));
        Assert.Equal([rotated["username"]!.GetValue<string>()], await Eventually.ReturnsAsync(scenario.Billing.LeaseUsersAsync, users => users.Count == 1, Generous, "the superseded billing users revoked"));
        agent.Terminate();
        Assert.Equal(0, await agent.WaitForExitAsync(Generous));
    }

    [Fact]
    public async Task AScaiVaultFaultOnOneCredentialsRole_LeavesTheOtherPublishedAndRenewing()
    {
        await using var scenario = await TwoCredentialsScenario.StartAsync(ttl: "4s", maxTtl: "120s");
        scenario.Fault.Set(on: true);
        var agent = await scenario.StartAgentAsync();

        var reporting = await TwoCredentialsScenario.WaitForCredentialAsync(scenario.ReportingFile, _ => true, Generous, "the reporting credential");
        var reportingSupervisor = $"LeaseSupervisor[{scenario.Reporting.Engine.Name}/{scenario.Reporting.Name}]";
        await Eventually.TrueAsync(() => agent.Lines.Count(l => l.Contains(reportingSupervisor, StringComparison.Ordinal) && l.Contains("Renewed lease", StringComparison.Ordinal)) >= 2, Generous, "two renewals of reporting while billing fails");
        var status = await AgentScenario.ReadJsonFileAsync(Path.Combine(scenario.StateDirectory, "status.json"));
        var billingName = $"{scenario.Billing.Engine.Name}/{scenario.Billing.Name}";

        Assert.True(scenario.Fault.Refused >= 2, $"the fault refused {scenario.Fault.Refused} billing request(s)");
        Assert.False(File.Exists(scenario.BillingFile));
        Assert.False(status["ready"]!.GetValue<bool>(), "ready needs every credential");
        var credentials = status["credentials"]!.AsArray();
        Assert.False(credentials.Single(c => c!["name"]!.GetValue<string>() == billingName)!["ready"]!.GetValue<bool>());
        Assert.True(credentials.Single(c => c!["name"]!.GetValue<string>() == $"{scenario.Reporting.Engine.Name}/{scenario.Reporting.Name}")!["ready"]!.GetValue<bool>());
        Assert.Equal((scenario.Reporting.Engine.Connection.Database, 10L), await ReadReportAsync(reporting));

        // The fault ends: billing catches up, reporting keeps the lease it had.
        scenario.Fault.Set(on: false);
        var billing = await TwoCredentialsScenario.WaitForCredentialAsync(scenario.BillingFile, _ => true, Generous, "the billing credential once its role answers");
        Assert.Equal((scenario.Billing.Engine.Connection.Database, 10L), await ReadReportAsync(billing));
        Assert.Equal(reporting["lease_id"]!.GetValue<string>(), (await AgentScenario.ReadJsonFileAsync(scenario.ReportingFile))["lease_id"]!.GetValue<string>());
        await Eventually.ReturnsAsync(
            () => AgentScenario.ReadJsonFileAsync(Path.Combine(scenario.StateDirectory, "status.json")), s => s["ready"]!.GetValue<bool>(), Generous, "the agent ready once both are published");
        agent.Terminate();
        Assert.Equal(0, await agent.WaitForExitAsync(Generous));
        Assert.Empty(await scenario.LeaseUsersAsync());
    }

    [Fact]
    public async Task SupervisorMode_ChildStartsOnceEveryFileIsPublished_WithTheFirstCredentialsVariables()
    {
        await using var scenario = await TwoCredentialsScenario.StartAsync();
        var results = Path.Combine(Path.GetDirectoryName(scenario.ReportingFile)!, "results");
        var script = $"""
            test -f "{scenario.ReportingFile}" && test -f "{scenario.BillingFile}" && echo both > "{results}.files"
            echo "$PGDATABASE $PGUSER" > "{results}.pg"
            exit 5
            """;

        var agent = await scenario.StartAgentAsync("run", "--", "/bin/sh", "-c", script);
        var exitCode = await agent.WaitForExitAsync(Generous);

        Assert.True(exitCode == 5, agent.Output);
        Assert.Equal("both", (await File.ReadAllTextAsync(results + ".files")).Trim());
        var pg = (await File.ReadAllTextAsync(results + ".pg")).Trim().Split(' ');
        Assert.Equal(scenario.Reporting.Engine.Connection.Database, pg[0]);
        Assert.StartsWith($"v_{scenario.Reporting.Name}_", pg[1], StringComparison.Ordinal);
        Assert.Empty(await scenario.LeaseUsersAsync());
    }

    /// <summary>
    /// An app that, every 100 ms, reads each file afresh and queries its database with what it read, as an app that
    /// watches the files does. A login refused with a credential the file no longer holds is retried once with the
    /// file's new one (the file can be replaced between the read and the login, and a well-behaved app reloads then);
    /// any other failure, or a failed retry, is recorded.
    /// </summary>
    private static async Task<(int Queries, List<string> Failures)> QueryBothUntilStoppedAsync(TwoCredentialsScenario scenario, CancellationToken stop)
    {
        var (queries, failures) = (0, new List<string>());
        while (!stop.IsCancellationRequested)
        {
            foreach (var (file, database) in new[] { (scenario.ReportingFile, scenario.Reporting.Engine.Connection.Database), (scenario.BillingFile, scenario.Billing.Engine.Connection.Database) })
            {
                queries++;
                var used = "";
                try
                {
                    var document = await AgentScenario.ReadJsonFileAsync(file);
                    used = document["username"]!.GetValue<string>();
                    (string, long) answer;
                    try
                    {
                        answer = await ReadReportAsync(document);
                    }
                    catch (PostgresException)
                    {
                        var now = await AgentScenario.ReadJsonFileAsync(file);
                        if (now["username"]!.GetValue<string>() == used)
                        {
                            throw;
                        }

                        used = now["username"]!.GetValue<string>();
                        answer = await ReadReportAsync(now);
                    }

                    if (answer != (database, 10L))
                    {
                        failures.Add($"{file}: {answer}");
                    }
                }
                catch (Exception e) when (e is NpgsqlException or IOException or System.Text.Json.JsonException)
                {
                    failures.Add($"{file} as {used}: {e.Message}");
                }
            }

            try
            {
                await Task.Delay(100, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return (queries, failures);
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
