using LeaseAgent.Configuration;
using LeaseAgent.Hosting;
using LeaseAgent.Tests.ScaiVault;
using Microsoft.Extensions.Configuration;

namespace LeaseAgent.Tests.Hosting;

/// <summary>Configuration weaker than the defaults is accepted, and said once at start with a stable event id.</summary>
public sealed class StartupWarningsTests
{
    [Fact]
    public void Defaults_WarnAboutNothing() => Assert.Empty(Warnings());

    [Theory]
    [InlineData("disable")]
    [InlineData("allow")]
    [InlineData("prefer")]
    public void SslModeWithoutTls_IsWarnedAbout(string sslMode)
    {
        var warning = Assert.Single(Warnings(("DB_SSLMODE", sslMode)));

        Assert.Equal(9200, warning.Id);
        Assert.Contains($"DB_SSLMODE={sslMode}", warning.Message, StringComparison.Ordinal);
        Assert.Contains("db.internal", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SslModeWithoutTls_OfACredentialsLine_IsWarnedAbout_OncePerDatabase()
    {
        var warning = Assert.Single(Warnings(
            ("LEASE_ENGINE", ""),
            ("LEASE_ROLE", ""),
            ("CREDENTIALS", "reporting-db/readonly -> /run/a/db.json\nreporting-db/readwrite -> /run/a/rw.json\nbilling-db/readwrite -> /run/b/db.json host=billing.internal sslmode=disable")));

        Assert.Equal(9200, warning.Id);
        Assert.Contains("billing.internal", warning.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("require")]
    [InlineData("verify-full")]
    public void SslModeWithTls_IsNot(string sslMode) => Assert.Empty(Warnings(("DB_SSLMODE", sslMode)));

    [Theory]
    [InlineData("scram-sha-256,md5")]
    [InlineData("password")]
    [InlineData("none,scram-sha-256")]
    public void AuthMethodsThatGiveThePasswordAway_AreWarnedAbout(string methods) =>
        Assert.Equal(9201, Assert.Single(Warnings(("DB_REQUIRE_AUTH", methods))).Id);

    [Fact]
    public void InsecureHttpOptIn_IsWarnedAbout_OnlyWhereItIsUsed()
    {
        var warning = Assert.Single(Warnings(("SCAIVAULT_URL", "http://scaivault-emulator:8200/"), ("SCAIVAULT_ALLOW_INSECURE_HTTP", "true")));
        Assert.Equal(9202, warning.Id);
        Assert.Contains("scaivault-emulator:8200", warning.Message, StringComparison.Ordinal);

        Assert.Empty(Warnings(("SCAIVAULT_URL", "http://127.0.0.1:8200/"), ("SCAIVAULT_ALLOW_INSECURE_HTTP", "true")));
    }

    private static List<(int Id, string Message)> Warnings(params (string Key, string Value)[] overrides)
    {
        var values = new Dictionary<string, string?>
        {
            ["SCAIVAULT_URL"] = "https://scaivault.example",
            ["LEASE_ENGINE"] = "reporting-db",
            ["LEASE_ROLE"] = "readonly",
            ["DB_HOST"] = "db.internal",
            ["DB_NAME"] = "reporting",
        };
        foreach (var (key, value) in overrides)
        {
            values[key] = value;
        }

        var logger = new CapturingLogger<StartupWarningsTests>();
        StartupWarnings.Log(AgentConfiguration.Load(new ConfigurationBuilder().AddInMemoryCollection(values).Build()), logger);
        return [.. logger.Entries.Where(e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning).Select(e => (e.Id.Id, e.Message))];
    }
}
