using LeaseAgent.Configuration;

namespace LeaseAgent.Tests.Configuration;

/// <summary>Tests that change the process environment; nothing else may read it meanwhile.</summary>
[CollectionDefinition(nameof(ProcessEnvironment), DisableParallelization = true)]
public sealed class ProcessEnvironment;

/// <summary>Finding 16: a secret never comes from a flag, and a static token does not stay in the environment.</summary>
[Collection(nameof(ProcessEnvironment))]
public sealed class SecretInputTests
{
    [Theory]
    [InlineData("--scaivault-token", "x")]
    [InlineData("--scaivault-token=x")]
    [InlineData("--SCAIVAULT_TOKEN", "x")]
    [InlineData("/scaivault_token", "x")]
    public void Build_SecretAsAFlag_IsRefusedNamingTheKey(params string[] args)
    {
        var error = Assert.Throws<ConfigurationException>(() => AgentConfiguration.Build(["--lease-ttl", "2m", .. args]));

        Assert.Equal("SCAIVAULT_TOKEN", error.Key);
        Assert.Contains("not accepted as a flag", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("x'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_StaticTokenFromTheEnvironment_IsRemovedFromTheProcessEnvironment()
    {
        const string token = "static-token-for-a-test";
        Environment.SetEnvironmentVariable("SCAIVAULT_TOKEN", token);
        Environment.SetEnvironmentVariable("SCAIVAULT_URL", "https://scaivault.example");
        Environment.SetEnvironmentVariable("SECRETS", "apps/reporting/config -> /run/secrets/config.json");
        try
        {
            var options = AgentConfiguration.Load(AgentConfiguration.Build([]));

            Assert.Equal(token, options.ScaiVault.StaticToken);
            Assert.Null(Environment.GetEnvironmentVariable("SCAIVAULT_TOKEN"));
            Assert.DoesNotContain("SCAIVAULT_TOKEN", new System.Diagnostics.ProcessStartInfo("true").Environment.Keys);
        }
        finally
        {
            Environment.SetEnvironmentVariable("SCAIVAULT_TOKEN", null);
            Environment.SetEnvironmentVariable("SCAIVAULT_URL", null);
            Environment.SetEnvironmentVariable("SECRETS", null);
        }
    }
}
