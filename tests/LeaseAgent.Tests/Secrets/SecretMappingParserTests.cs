using LeaseAgent.Configuration;
using LeaseAgent.Kubernetes;
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

    [Fact]
    public void ParseAll_SecretTargets_AllFourForms_BesideFiles()
    {
        var mappings = SecretMappingParser.ParseAll("""
            apps/reporting/config -> secret:reporting-config
            apps/reporting/config#api_key -> secret:reporting-api/api-key
            apps/reporting/config -> secret:reporting-api/config.json
            apps/reporting/tls#ca -> secret:reporting.tls
            apps/reporting/config -> /run/secrets/config.json
            """);

        Assert.Equal([new SecretMapping("apps/reporting/config", null, "/run/secrets/config.json")], mappings.Files);
        Assert.Equal(
            [
                new KubernetesSecretMapping("apps/reporting/config", null, "reporting-config", null),
                new KubernetesSecretMapping("apps/reporting/config", "api_key", "reporting-api", "api-key"),
                new KubernetesSecretMapping("apps/reporting/config", null, "reporting-api", "config.json"),
                new KubernetesSecretMapping("apps/reporting/tls", "ca", "reporting.tls", "ca"), // keyed by the field
            ],
            mappings.KubernetesSecrets);
        Assert.Single(SecretMappingParser.Parse("a -> secret:s\nb -> /run/b")); // Parse: the files only
    }

    [Theory]
    [InlineData("a -> secret:", "names Secret ''")]
    [InlineData("a -> secret:Reporting", "names Secret 'Reporting'")] // upper case
    [InlineData("a -> secret:-reporting", "names Secret '-reporting'")]
    [InlineData("a -> secret:reporting_config", "names Secret 'reporting_config'")]
    [InlineData("a -> secret:reporting/", "writes key ''")]
    [InlineData("a -> secret:reporting/api key", "writes key 'api key'")]
    [InlineData("a -> secret:reporting/..data", "writes key '..data'")] // the kubelet's own directory in a Secret volume
    [InlineData("a -> secret:reporting/.", "writes key '.'")]
    [InlineData("a#b:c -> secret:reporting", "writes key 'b:c'")] // a field that is no key needs an explicit one
    [InlineData("a -> secret:other-namespace/reporting/key", "pod's own namespace")]
    public void Parse_MalformedSecretTarget_NamesTheLineAndTheRule(string text, string problem)
    {
        var error = Assert.Throws<ConfigurationException>(() => SecretMappingParser.Parse(text));

        Assert.Equal("SECRETS", error.Key);
        Assert.Contains("line 1 ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SecretNameOrKeyOfTheMaximumLength_IsAccepted_OneMore_IsRefused()
    {
        var name = string.Join('.', Enumerable.Repeat(new string('a', 63), 4))[..253];
        var key = new string('k', 253);

        Assert.Single(SecretMappingParser.ParseAll($"a -> secret:{name}/{key}").KubernetesSecrets);
        Assert.Throws<ConfigurationException>(() => SecretMappingParser.Parse($"a -> secret:{name}a/k"));
        Assert.Throws<ConfigurationException>(() => SecretMappingParser.Parse($"a -> secret:s/{key}k"));
    }

    [Fact]
    public void Parse_TwoMappingsToOneSecretKey_IsRefused_OtherKeysOfOneSecretAreCombined()
    {
        var error = Assert.Throws<ConfigurationException>(() => SecretMappingParser.Parse("a#x -> secret:s/k\nb#y -> secret:s/k"));

        Assert.Contains("key 'k' of Secret s", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, SecretMappingParser.ParseAll("a#x -> secret:s/k\nb#k -> secret:t\na#y -> secret:s").KubernetesSecrets.Count(m => m.SecretName == "s"));
    }

    [Fact]
    public void Load_OnlySecretTargets_NeedsNoLease_AndReadsTheInClusterSettings()
    {
        var options = AgentConfiguration.Load(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SCAIVAULT_URL"] = "https://scaivault.example",
            ["SECRETS"] = "apps/reporting/config -> secret:reporting-config",
            ["KUBERNETES_SERVICE_HOST"] = "10.96.0.1",
            ["KUBERNETES_SERVICE_PORT"] = "443",
        }).Build());

        Assert.Null(options.Lease);
        Assert.Empty(options.Secrets.Mappings);
        Assert.Single(options.Secrets.KubernetesSecrets);
        Assert.Equal(new Uri("https://10.96.0.1:443/"), options.Kubernetes!.ApiServer);
        Assert.Equal(KubernetesOptions.DefaultServiceAccountDirectory, options.Kubernetes.ServiceAccountDirectory);
    }

    [Fact]
    public void Load_SecretTargetOutsideAPod_NamesKubernetesServiceHost()
    {
        var error = Assert.Throws<ConfigurationException>(() => AgentConfiguration.Load(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SCAIVAULT_URL"] = "https://scaivault.example",
            ["SECRETS"] = "apps/reporting/config -> secret:reporting-config",
        }).Build()));

        Assert.Equal("KUBERNETES_SERVICE_HOST", error.Key);
        Assert.Contains("pre-deploy Job", error.Message, StringComparison.Ordinal);
    }
}
