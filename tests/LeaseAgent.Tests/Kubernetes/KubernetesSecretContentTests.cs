using System.Text;
using LeaseAgent.Configuration;
using LeaseAgent.Kubernetes;
using LeaseAgent.Secrets;
using ScaiVault.Client;

namespace LeaseAgent.Tests.Kubernetes;

public sealed class KubernetesSecretContentTests
{
    private static readonly Dictionary<string, SecretValue> Values = new()
    {
        ["apps/config"] = new SecretValue("apps/config", 1, """{"api_key":"k-1","retries":3,"nested":{"a":1}}"""u8.ToArray()),
        ["apps/other"] = new SecretValue("apps/other", 1, """{"api_key":"k-2"}"""u8.ToArray()),
    };

    private static List<KubernetesSecretContent> Plan(string secrets) =>
        KubernetesSecretContent.Plan(SecretMappingParser.ParseAll(secrets).KubernetesSecrets, Values);

    [Fact]
    public void Plan_CombinesMappingsIntoOneSecret_RenderingEachKeyAsItsFile()
    {
        var secret = Assert.Single(Plan("apps/config -> secret:s\napps/other#api_key -> secret:s/other-key"));

        Assert.Equal(["api_key", "nested", "other-key", "retries"], secret.Data.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("k-1"u8.ToArray(), secret.Data["api_key"]); // raw, as the path#field file
        Assert.Equal(Values["apps/config"].Render("nested"), secret.Data["nested"]);
        Assert.Equal("apps/other#api_key", secret.Sources["other-key"]);
        Assert.Equal("apps/config#retries", secret.Sources["retries"]);
    }

    [Fact]
    public void Plan_WholeSecretExpandingOntoAnExplicitKey_IsAConfigurationError_NamingBothLines()
    {
        var error = Assert.Throws<ConfigurationException>(() => Plan("apps/config -> secret:s\napps/other#api_key -> secret:s/api_key"));

        Assert.Equal("SECRETS", error.Key);
        Assert.Contains("both write key 'api_key' of Secret s", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("k-1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_MissingField_NamesTheMapping()
    {
        var error = Assert.Throws<SecretFieldMissingException>(() => Plan("apps/config#nope -> secret:s/k"));

        Assert.Contains("apps/config#nope -> secret:s/k", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Encoding.UTF8.GetString(Values["apps/config"].Render(null)), error.Message, StringComparison.Ordinal);
    }
}
