using System.Globalization;
using LeaseAgent.Testing;
using LeaseAgent.Tests.Postgres;
using LeaseAgent.Tests.ScaiVault;

namespace LeaseAgent.Tests.Integration;

/// <summary>
/// The agent binary next to peers that are not what they claim: a ScaiVault that redirects elsewhere, and a
/// Postgres impostor that refuses TLS and asks for the password in clear text. Neither gets a secret.
/// </summary>
public sealed class HostilePeerTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task RedirectingScaiVault_TheTokenGoesNowhereElse_AndTheAgentSaysWhy()
    {
        await using var scenario = await AgentScenario.StartAsync();
        await using var elsewhere = TinyHttpServer.Start(null, _ => (200, """{"access_token": "stolen", "expires_in": 3600}"""));
        await using var redirecting = TinyHttpServer.Start(
            null, _ => (307, "{}"), new Dictionary<string, string> { ["Location"] = new Uri(elsewhere.BaseAddress, "v1/auth/exchange").AbsoluteUri });
        scenario.Environment["SCAIVAULT_URL"] = redirecting.BaseAddress.ToString();
        var (agent, _) = await scenario.StartAgentAsync();
        await using var __ = agent;

        await Eventually.TrueAsync(() => agent.Logged("unexpected_redirect"), Generous, "the redirect reported", () => agent.Output);

        Assert.Contains($"to host {elsewhere.BaseAddress.Authority}", agent.Output, StringComparison.Ordinal);
        Assert.Empty(elsewhere.Requests);
        Assert.All(redirecting.Requests, r => Assert.StartsWith("POST /v1/auth/exchange HTTP/1.1", r, StringComparison.Ordinal));
        agent.Terminate();
        Assert.Equal(0, await agent.WaitForExitAsync(Generous));
        Assert.False(File.Exists(scenario.OutputFile));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("disable")]
    public async Task PostgresImpostorAskingForCleartext_GetsNoPassword_AndNothingIsPublished(string? sslMode)
    {
        await using var scenario = await AgentScenario.StartAsync(defaultTtl: "30s", maxTtl: "60s");
        await using var impostor = FakePostgresServer.Start(FakeAuthRequest.Cleartext);
        scenario.Environment["DB_HOST"] = "127.0.0.1";
        scenario.Environment["DB_PORT"] = impostor.Port.ToString(CultureInfo.InvariantCulture);
        scenario.Environment["DB_PROBE_WINDOW"] = "1s";
        scenario.Environment.Remove("DB_SSLMODE");
        scenario.Environment.Remove("DB_REQUIRE_AUTH"); // the default, even where the test Postgres made the scenario allow trust
        if (sslMode is not null)
        {
            scenario.Environment["DB_SSLMODE"] = sslMode;
        }

        var (agent, _) = await scenario.StartAgentAsync();
        await using var __ = agent;

        await Eventually.TrueAsync(() => agent.Logged("the lease will not be published"), Generous, "a failed probe", () => agent.Output);

        Assert.Empty(impostor.Passwords);
        Assert.False(File.Exists(scenario.OutputFile), "a credential the probe never proved was published");
        if (sslMode is null)
        {
            Assert.True(impostor.SslRequests > 0, "the default did not ask for TLS");
            Assert.Empty(impostor.StartupUsers); // require: no TLS, no StartupMessage, nothing to ask a password for
        }
        else
        {
            Assert.NotEmpty(impostor.StartupUsers); // it got to ask, and was refused before the password
            Assert.True(agent.Logged("\"EventId\":9200"), "no start warning for DB_SSLMODE=disable");
        }

        agent.Terminate();
        Assert.Equal(0, await agent.WaitForExitAsync(Generous));
        Assert.Empty(impostor.Passwords);
        Assert.False(File.Exists(scenario.OutputFile));
        Assert.Empty(await scenario.Emulator.LeaseUsersAsync()); // every minted user was revoked
    }
}
