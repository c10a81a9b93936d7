using LeaseAgent.Configuration;
using LeaseAgent.Secrets;
using Microsoft.Extensions.Configuration;

namespace LeaseAgent.Tests.Secrets;

public sealed class SecretMappingParserTests
{
    [Fact]
    public void Parse_BothFormsCommentsAndBlankLines()
    {
        var mappings = SecretMappingParser.Parse("""
            # database root for the migration job
            infra/postgres/reporting/root -> /run/secrets/root.json

              apps/reporting/api#token -> /run/secrets/api-token
            /leading/slash/ -> /run/secrets/x
            """);

        Assert.Equal(
            [
                new SecretMapping("infra/postgres/reporting/root", null, "/run/secrets/root.json"),
                new SecretMapping("apps/reporting/api", "token", "/run/secrets/api-token"),
                new SecretMapping("leading/slash", null, "/run/secrets/x"),
            ],
            mappings);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  \n# only a comment\n")]
    public void Parse_NothingToMap_IsEmpty(string? text) => Assert.Empty(SecretMappingParser.Parse(text));

    [Theory]
    [InlineData("a/b /run/x", 1)]
    [InlineData("ok/path -> /run/ok\nbroken line", 2)]
    [InlineData("a/b -> relative/file", 1)]
    [InlineData("a/b -> /run/dir/", 1)]
    [InlineData(" -> /run/x", 1)]
    [InlineData("a/b# -> /run/x", 1)]
    [InlineData("a/b -> /run/x -> /run/y", 1)]
    [InlineData("a b -> /run/x", 1)]
    public void Parse_MalformedLine_NamesTheLine(string text, int line)
    {
        var error = Assert.Throws<ConfigurationException>(() => SecretMappingParser.Parse(text));

        Assert.Equal("SECRETS", error.Key);
        Assert.Contains($"line {line} ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData("apps/../../../v1/dynamic/leases -> /run/x")] // escaped /v1/secrets/ and sent the bearer token to another API
    [InlineData("apps/./config -> /run/x")]
    [InlineData("apps//config -> /run/x")]
    [InlineData("../config#password -> /run/x")]
    [InlineData("apps/config -> /run/secrets/../../etc/passwd")]
    [InlineData("apps/config -> /run/./x")]
    [InlineData("apps/config -> /run//x")]
    [InlineData("apps/config -> /run/..")]
    public void Parse_DotOrEmptySegment_IsRefused(string text)
    {
        var error = Assert.Throws<ConfigurationException>(() => SecretMappingParser.Parse(text));

        Assert.Equal("SECRETS", error.Key);
        Assert.Contains("line 1 ", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/run/secrets/db.json", "the credential file")] // OUTPUT_FILE
    [InlineData("/run/secrets/.lease-agent/journal.json", "STATE_DIR")]
    [InlineData("/run/secrets/.lease-agent/lock", "STATE_DIR")]
    [InlineData("/run/secrets/.lease-agent", "STATE_DIR")]
    public void Load_TargetThatIsTheCredentialFileOrInsideStateDir_IsRefused(string file, string named)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SCAIVAULT_URL"] = "https://scaivault.example",
            ["LEASE_ENGINE"] = "reporting-db",
            ["LEASE_ROLE"] = "readonly",
            ["DB_HOST"] = "db.internal",
            ["DB_NAME"] = "reporting",
            ["SECRETS"] = $"apps/config -> /run/secrets/config.json\napps/other -> {file}",
        }).Build();

        var error = Assert.Throws<ConfigurationException>(() => AgentConfiguration.Load(config));

        Assert.Equal("SECRETS", error.Key);
        Assert.Contains(file, error.Message, StringComparison.Ordinal);
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SecretsOnly_TargetInsideTheDefaultStateDir_IsRefused()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SCAIVAULT_URL"] = "https://scaivault.example",
            ["SECRETS"] = "apps/config -> /etc/app/config.json\napps/other -> /etc/app/.lease-agent/status.json",
        }).Build();

        var error = Assert.Throws<ConfigurationException>(() => AgentConfiguration.Load(config));

        Assert.Equal("SECRETS", error.Key);
    }

    [Fact]
    public void Parse_TwoMappingsToOneFile_IsRefused()
    {
        var error = Assert.Throws<ConfigurationException>(() => SecretMappingParser.Parse("a -> /run/x\nb -> /run/x"));

        Assert.Contains("/run/x", error.Message, StringComparison.Ordinal);
    }
}
