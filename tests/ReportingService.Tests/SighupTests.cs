using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using LeaseAgent.Testing;
using ReportingService.Tests.Support;
using Xunit.Abstractions;

namespace ReportingService.Tests;

/// <summary>
/// The SIGHUP path alone, for real: the built service runs as a child process with the directory watch and
/// the periodic re-check turned off, so only the signal (sent with <c>kill -HUP</c>, as lease-agent's
/// <c>RELOAD_SIGNAL</c> does) can make it read the file again.
/// </summary>
public sealed class SighupTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Sighup_ReloadsTheCredential_IgnoresAnInvalidDocument_AndDoesNotKillTheService()
    {
        await using var database = await ReportingDatabase.CreateAsync();
        using var directory = new TempDirectory();
        var file = directory.File("db.json");
        var a = await database.CreateUserAsync("a");
        var b = await database.CreateUserAsync("b");
        await CredentialFile.PublishAsync(file, database, a, generation: 1);

        await using var service = ServiceProcess.Start(new Dictionary<string, string>
        {
            ["DB_CREDENTIALS_FILE"] = file,
            ["DB_CREDENTIALS_WATCH"] = "false",
            ["DB_CREDENTIALS_RECHECK_SECONDS"] = "0",
            ["LOG_FORMAT"] = "text",
        });
        try
        {
            using var http = new HttpClient { BaseAddress = await service.WaitForAddressAsync(Deadline), Timeout = TimeSpan.FromSeconds(30) };
            Assert.Equal(a.Name, await RotationTests.ServedByAsync(http));
            Assert.Equal((HttpStatusCode.OK, 1), await RotationTests.HealthAsync(http));
            Assert.Contains("SIGHUP reloads the credential", service.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("Watching", service.Output, StringComparison.Ordinal);

            // The control: with the watch and the re-check off, a new file alone changes nothing...
            await CredentialFile.PublishAsync(file, database, b, generation: 2);
            for (var i = 0; i < 20; i++)
            {
                Assert.Equal(a.Name, await RotationTests.ServedByAsync(http));
            }

            // ...until the signal.
            service.Signal("HUP");
            await Eventually.ReturnsAsync(() => RotationTests.ServedByAsync(http), user => user == b.Name, Deadline, $"answers from {b} after SIGHUP");
            Assert.False(service.HasExited, "SIGHUP killed the service");
            Assert.Equal((HttpStatusCode.OK, 2), await RotationTests.HealthAsync(http));
            Assert.Contains("Received SIGHUP", service.Output, StringComparison.Ordinal);

            // The old pool closed, so A can be revoked as ScaiVault does while B keeps answering.
            await Eventually.TrueAsync(async () => await database.SessionsOfAsync(a) == 0, Deadline, $"no session of {a} left");
            await database.RevokeAsync(a);
            Assert.Equal(b.Name, await RotationTests.ServedByAsync(http));

            // A half-written document plus SIGHUP is ignored: B stays.
            var ignoredBefore = Ignored(service.Output);
            await CredentialFile.ReplaceAsync(file, CredentialFile.Document(database, a, generation: 3)[..40]);
            service.Signal("HUP");
            await Eventually.TrueAsync(() => Ignored(service.Output) > ignoredBefore, Deadline, "the service to ignore the partial document");
            Assert.False(service.HasExited, "SIGHUP killed the service");
            Assert.Equal(b.Name, await RotationTests.ServedByAsync(http));
            Assert.Equal((HttpStatusCode.OK, 2), await RotationTests.HealthAsync(http));

            // SIGTERM still stops it cleanly (the SIGHUP handler took nothing else over).
            service.Signal("TERM");
            Assert.Equal(0, await service.WaitForExitAsync(Deadline));
            RotationTests.AssertNoSecretLogged(service.Output, [a, b]);
        }
        finally
        {
            output.WriteLine(service.Output);
        }
    }

    private static int Ignored(string log) => Regex.Count(log, "Ignored the document");
}
