using System.Globalization;
using LeaseAgent.Configuration;
using LeaseAgent.Postgres;
using LeaseAgent.ScaiVault;
using Microsoft.Extensions.Configuration;

namespace LeaseAgent.Tests.Postgres;

/// <summary>
/// The probe never hands a freshly minted password to a server that has not proved itself: a spoofed Postgres
/// that refuses TLS and asks for the password in clear text (or as MD5) gets no PasswordMessage, with the
/// default configuration and even with TLS explicitly turned off.
/// </summary>
public sealed class CredentialProbeTests
{
    private static readonly DatabaseCredential Minted = new("v_reporting_readonly_x1", "S3cret-minted-password");

    [Theory]
    [InlineData(FakeAuthRequest.Cleartext)]
    [InlineData(FakeAuthRequest.Md5)]
    public async Task DefaultConfiguration_SpoofedServerRefusingTls_GetsNoPassword(FakeAuthRequest auth)
    {
        await using var server = FakePostgresServer.Start(auth);

        var result = await ProbeAsync(server);

        Assert.False(result.Passed);
        Assert.Empty(server.Passwords);
        Assert.True(server.SslRequests > 0, "the probe did not even ask for TLS");
        Assert.DoesNotContain(Minted.Password, result.Error ?? string.Empty, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(FakeAuthRequest.Cleartext)]
    [InlineData(FakeAuthRequest.Md5)]
    public async Task TlsTurnedOff_TheDefaultAuthenticationMethods_StillSendNoPassword(FakeAuthRequest auth)
    {
        await using var server = FakePostgresServer.Start(auth);

        var result = await ProbeAsync(server, ("DB_SSLMODE", "disable"));

        Assert.False(result.Passed);
        Assert.Contains(Minted.Username, server.StartupUsers); // it got as far as asking
        Assert.Empty(server.Passwords);
        Assert.Contains("authentication method is not allowed", result.Error, StringComparison.Ordinal);
    }

    /// <summary>The fake is a faithful enough Postgres: explicitly allowing clear text does send the password.</summary>
    [Fact]
    public async Task CleartextExplicitlyAllowed_SendsThePassword()
    {
        await using var server = FakePostgresServer.Start(FakeAuthRequest.Cleartext);

        await ProbeAsync(server, ("DB_SSLMODE", "disable"), ("DB_REQUIRE_AUTH", "scram-sha-256,password"));

        Assert.NotEmpty(server.Passwords);
        Assert.All(server.Passwords, p => Assert.Equal(Minted.Password, p));
    }

    private static Task<ProbeResult> ProbeAsync(FakePostgresServer server, params (string Key, string Value)[] overrides)
    {
        var values = new Dictionary<string, string?>
        {
            ["SCAIVAULT_URL"] = "https://scaivault.example",
            ["LEASE_ENGINE"] = "reporting-db",
            ["LEASE_ROLE"] = "readonly",
            ["DB_HOST"] = "127.0.0.1",
            ["DB_PORT"] = server.Port.ToString(CultureInfo.InvariantCulture),
            ["DB_NAME"] = "reporting",
            ["DB_PROBE_WINDOW"] = "0s",
        };
        foreach (var (key, value) in overrides)
        {
            values[key] = value;
        }

        var database = AgentConfiguration.Load(new ConfigurationBuilder().AddInMemoryCollection(values).Build()).Database!;
        return new CredentialProbe(database, TimeProvider.System).ProbeAsync(Minted, CancellationToken.None);
    }
}
