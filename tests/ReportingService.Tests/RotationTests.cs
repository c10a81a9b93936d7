using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LeaseAgent.Testing;
using ReportingService.Tests.Support;
using Xunit.Abstractions;

namespace ReportingService.Tests;

/// <summary>
/// The service against the real Postgres, in-process on a loopback port: it keeps answering while the
/// credential file is rotated under it, and each old user is revoked the way ScaiVault revokes a lease.
/// </summary>
public sealed class RotationTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task KeepsAnsweringAcrossRotations_EveryUserServes_NoRequestFails()
    {
        const int Rotations = 3;
        const int Clients = 4;
        const int PerPhase = 100; // answers to see from each user, and after each revocation

        await using var database = await ReportingDatabase.CreateAsync();
        using var directory = new TempDirectory();
        var file = directory.File("db.json");
        var users = new List<TestUser> { await database.CreateUserAsync("a") };
        await CredentialFile.PublishAsync(file, database, users[0], generation: 1);

        // No SIGHUP and no periodic re-check: every reload below can only come from the directory watch.
        var logs = new CollectingLoggerProvider(output);
        await using var service = await InProcessService.StartAsync(
            new ReportingOptions { CredentialsFile = file, ReloadOnSighup = false, RecheckInterval = TimeSpan.Zero },
            logs);
        var clock = Stopwatch.StartNew();
        await using var load = ReportLoad.Start(service.BaseAddress, Clients, maxDuration: TimeSpan.FromMinutes(3));
        await Eventually.TrueAsync(() => load.Served(users[0]) >= PerPhase || !load.Failures.IsEmpty, Deadline, $"{PerPhase} answers from {users[0]}");

        for (var generation = 2; generation <= Rotations + 1; generation++)
        {
            var old = users[^1];
            var next = await database.CreateUserAsync(((char)('a' + generation - 1)).ToString());
            users.Add(next);
            await CredentialFile.PublishAsync(file, database, next, generation);

            // New requests move to the new user at once...
            await Eventually.TrueAsync(() => load.Served(next) >= PerPhase, Deadline, $"{PerPhase} answers from {next} (generation {generation})");

            // ...and the old pool closes when its last request is done, so the old user has no session left
            // (what lets lease-agent revoke it before LEASE_DRAIN_TIMEOUT).
            await Eventually.TrueAsync(async () => await database.SessionsOfAsync(old) == 0, Deadline, $"no session of {old} left");

            // Revoke the old user as ScaiVault does; the service must not notice.
            await database.RevokeAsync(old);
            var answered = load.Succeeded;
            await Eventually.TrueAsync(() => load.Succeeded >= answered + PerPhase || !load.Failures.IsEmpty, Deadline, $"{PerPhase} answers after revoking {old}");
            Assert.True(load.Failures.IsEmpty, Describe(load));
        }

        await load.StopAsync();
        clock.Stop();

        Assert.True(load.Failures.IsEmpty, Describe(load));
        for (var i = 0; i < users.Count; i++)
        {
            Assert.True(load.Served(users[i]) > 0, $"{users[i]} served no request");
            Assert.Equal(i + 1, load.GenerationOf(users[i]));
        }

        Assert.Equal(users.Count, load.ServedBy.Count);
        AssertNoSecretLogged(logs.Text, users);
        output.WriteLine(
            $"{load.Succeeded} answers from {Clients} clients in {clock.Elapsed.TotalSeconds:0.0} s across {Rotations} rotations, 0 failed; " +
            string.Join(", ", users.Select(user => $"{user}: {load.Served(user)}")));
    }

    [Fact]
    public async Task Reload_IgnoresBadAndSameGenerationDocuments_ClosesTheOldPoolOnlyWhenReleased_AndARemovedFileMeansNoCredential()
    {
        await using var database = await ReportingDatabase.CreateAsync();
        using var directory = new TempDirectory();
        var file = directory.File("db.json");
        var a = await database.CreateUserAsync("a");
        var b = await database.CreateUserAsync("b");
        await CredentialFile.PublishAsync(file, database, a, generation: 1);

        // Nothing reloads but the test's own calls to the one reload path.
        var logs = new CollectingLoggerProvider(output);
        await using var service = await InProcessService.StartAsync(
            new ReportingOptions { CredentialsFile = file, WatchDirectory = false, ReloadOnSighup = false, RecheckInterval = TimeSpan.Zero },
            logs);
        using var http = new HttpClient { BaseAddress = service.BaseAddress };
        Assert.Equal((HttpStatusCode.OK, 1), await HealthAsync(http));
        Assert.Equal(a.Name, await ServedByAsync(http));

        var complete = CredentialFile.Document(database, b, generation: 2);
        foreach (var cut in new[] { 1, complete.Length / 2, complete.Length - 1 })
        {
            await CredentialFile.ReplaceAsync(file, complete[..cut]);
            Assert.Equal(ReloadOutcome.Invalid, service.Store.Reload("test: partial document"));
        }

        await CredentialFile.PublishAsync(file, database, b, generation: 2, edit: document => document["connection_string"] = ((string)document["connection_string"]!).Replace(b.Name, a.Name, StringComparison.Ordinal));
        Assert.Equal(ReloadOutcome.Invalid, service.Store.Reload("test: mixed document"));
        await CredentialFile.PublishAsync(file, database, b, generation: 2, edit: document => document.Remove("generation"));
        Assert.Equal(ReloadOutcome.Invalid, service.Store.Reload("test: no generation"));
        await CredentialFile.PublishAsync(file, database, a, generation: 1);
        Assert.Equal(ReloadOutcome.Unchanged, service.Store.Reload("test: same generation"));
        Assert.Equal(a.Name, await ServedByAsync(http));
        Assert.Equal((HttpStatusCode.OK, 1), await HealthAsync(http));

        // A request still holding generation 1 when generation 2 is swapped in goes on using it, and the old
        // pool stays open (its session with it) until that request lets go.
        var held = service.Store.Acquire()!;
        await CredentialFile.PublishAsync(file, database, b, generation: 2);
        Assert.Equal(ReloadOutcome.Loaded, service.Store.Reload("test: generation 2"));
        Assert.Equal(b.Name, await ServedByAsync(http));
        Assert.Equal((HttpStatusCode.OK, 2), await HealthAsync(http));
        await using (var command = held.DataSource.CreateCommand("SELECT current_user"))
        {
            Assert.Equal(a.Name, await command.ExecuteScalarAsync());
        }

        Assert.True(await database.SessionsOfAsync(a) >= 1, $"{a}'s pool was closed while a request still held it");
        held.Dispose();
        await Eventually.TrueAsync(async () => await database.SessionsOfAsync(a) == 0, Deadline, $"no session of {a} left once the last request let go");

        // lease-agent removes the file when its lease is lost or revoked: the service stops using that user.
        File.Delete(file);
        Assert.Equal(ReloadOutcome.Removed, service.Store.Reload("test: file removed"));
        Assert.Equal((HttpStatusCode.ServiceUnavailable, (int?)null), await HealthAsync(http));
        using (var response = await http.GetAsync(new Uri("report", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        }

        await Eventually.TrueAsync(async () => await database.SessionsOfAsync(b) == 0, Deadline, $"no session of {b} left");
        Assert.Equal(ReloadOutcome.Missing, service.Store.Reload("test: still no file"));

        var c = await database.CreateUserAsync("c");
        await CredentialFile.PublishAsync(file, database, c, generation: 3);
        Assert.Equal(ReloadOutcome.Loaded, service.Store.Reload("test: generation 3"));
        Assert.Equal(c.Name, await ServedByAsync(http));
        Assert.Equal((HttpStatusCode.OK, 3), await HealthAsync(http));
        AssertNoSecretLogged(logs.Text, [a, b, c]);
    }

    internal static void AssertNoSecretLogged(string log, IEnumerable<TestUser> users)
    {
        Assert.NotEmpty(log);
        foreach (var user in users)
        {
            Assert.DoesNotContain(user.Password, log, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("Password=", log, StringComparison.OrdinalIgnoreCase);
    }

    internal static async Task<string> ServedByAsync(HttpClient http)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri("report", UriKind.Relative)));
        var servedBy = document.RootElement.GetProperty("served_by").GetString()!;
        Assert.Equal(servedBy, document.RootElement.GetProperty("result")[0].GetProperty("served_by").GetString());
        return servedBy;
    }

    internal static async Task<(HttpStatusCode Status, int? Generation)> HealthAsync(HttpClient http)
    {
        using var response = await http.GetAsync(new Uri("healthz", UriKind.Relative));
        var health = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response.StatusCode, health.TryGetProperty("generation", out var generation) && generation.ValueKind == JsonValueKind.Number ? generation.GetInt32() : null);
    }

    private static string Describe(ReportLoad load) =>
        $"{load.Failures.Count} of {load.Requests} requests failed:\n{string.Join('\n', load.Failures.Take(20))}";
}
