using System.Text.Json;
using System.Text.RegularExpressions;
using LeaseAgent.Packaging.Tests.Infrastructure;
using LeaseAgent.Packaging.Tests.Templates;

namespace LeaseAgent.Packaging.Tests;

/// <summary>charts/scaivault-csi-provider: values.yaml against values.schema.json, and the README's table (as <see cref="ChartValuesTests"/>).</summary>
public sealed partial class CsiProviderChartValuesTests
{
    private static readonly string Directory = ChartRenderer.CsiProviderChartDirectory;

    private static readonly JsonElement Schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "values.schema.json"))).RootElement;

    [Fact]
    public void DefaultValues_ValidateAgainstTheSchema()
    {
        var errors = JsonSchemaSubset.Validate(Schema, ChartRenderer.DefaultValues(Directory));

        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Theory]
    [InlineData("provider:\n  name: scai.vault", "$.provider.name: \"scai.vault\" does not match")]
    [InlineData("provider:\n  name: abcdefghijklmnopqrstuvwxyz012345", "$.provider.name: \"abcdefghijklmnopqrstuvwxyz012345\" does not match")]
    [InlineData("provider:\n  name: \"\"", "$.provider.name: \"\" does not match")]
    [InlineData("provider:\n  scaivaultUrl: http://scaivault.internal", "$.provider.scaivaultUrl: \"http://scaivault.internal\" does not match")]
    [InlineData("provider:\n  scaivaultUrl: https://scaivault.internal?x=1", "$.provider.scaivaultUrl: \"https://scaivault.internal?x=1\" does not match")]
    [InlineData("provider:\n  allowedUrls: [scaivault.eu]", "$.provider.allowedUrls[0]: \"scaivault.eu\" does not match")]
    [InlineData("provider:\n  allowedUrls: https://a.example", "$.provider.allowedUrls: \"https://a.example\" is not of type array")]
    [InlineData("provider:\n  providersDirectory: var/run/x", "$.provider.providersDirectory: \"var/run/x\" does not match")]
    [InlineData("provider:\n  maxConcurrency: 0", "$.provider.maxConcurrency: 0 is below the minimum 1")]
    [InlineData("provider:\n  maxConcurrency: \"16\"", "$.provider.maxConcurrency: \"16\" is not of type integer or null")]
    [InlineData("provider:\n  requestTimeout: 45", "$.provider.requestTimeout: 45 is not of type string")]
    [InlineData("provider:\n  requestTimeout: 45 seconds", "$.provider.requestTimeout: \"45 seconds\" does not match")]
    [InlineData("provider:\n  maxResponseBytes: 4MiB", "$.provider.maxResponseBytes: \"4MiB\" is not of type integer or null")]
    [InlineData("provider:\n  tokenCacheSize: 0", "$.provider.tokenCacheSize: 0 is below the minimum 1")]
    [InlineData("provider:\n  logFormat: xml", "$.provider.logFormat: \"xml\" is not one of")]
    [InlineData("provider:\n  caFile:\n    path: /etc/ca.pem", "$.provider.caFile: unknown key 'path'")]
    [InlineData("provider:\n  extraArgs: [\"-v\"]", "$.provider.extraArgs[0]: \"-v\" does not match")]
    [InlineData("provider:\n  audience: x", "$.provider: unknown key 'audience'")]
    [InlineData("provider:\n  scaivaultUrl: null", "$.provider: required key 'scaivaultUrl' is missing")]
    [InlineData("terminationGracePeriodSeconds: 10", "$.terminationGracePeriodSeconds: 10 is below the minimum 25")]
    [InlineData("updateStrategy:\n  type: Recreate", "$.updateStrategy.type: \"Recreate\" is not one of")]
    [InlineData("probes:\n  liveness:\n    timeoutSeconds: 1", "$.probes.liveness.timeoutSeconds: 1 is below the minimum 4")]
    [InlineData("tolerations: {operator: Exists}", "$.tolerations: an object is not of type array")]
    [InlineData("hostNetwork: true", "$: unknown key 'hostNetwork'")]
    public void BadValues_AreRejectedByTheSchema(string overrides, string expected)
    {
        var values = ChartRenderer.DefaultValues(Directory);
        ChartValuesTests.Merge(values, YamlDocuments.LoadValues(overrides, "overrides"));

        var errors = JsonSchemaSubset.Validate(Schema, values);

        Assert.Contains(errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("provider:\n  allowedUrls: [https://vault.eu.example, https://vault.eu.example:8443/base]")]
    [InlineData("provider:\n  maxConcurrency: 64\n  tokenCacheSize: 10000\n  maxResponseBytes: 8388608\n  requestTimeout: 1m")]
    [InlineData("provider:\n  caFile:\n    secret: scaivault-ca\n    key: ca.pem")]
    [InlineData("updateStrategy:\n  type: OnDelete")]
    public void GoodValues_PassTheSchema(string overrides)
    {
        var values = ChartRenderer.DefaultValues(Directory);
        ChartValuesTests.Merge(values, YamlDocuments.LoadValues(overrides, "overrides"));

        var errors = JsonSchemaSubset.Validate(Schema, values);

        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public void SchemaAndValues_HaveTheSameKeys()
    {
        var valueKeys = ChartValuesTests.LeavesBySchema(ChartRenderer.DefaultValues(Directory), Schema, "").ToHashSet();
        var schemaKeys = ChartValuesTests.SchemaLeaves(Schema, "").ToHashSet();

        // The schema may type an optional key values.yaml leaves out: the readiness probe's initialDelaySeconds.
        var optional = new[] { "probes.readiness.initialDelaySeconds" };
        Assert.Empty(valueKeys.Except(schemaKeys).Order(StringComparer.Ordinal));
        Assert.Empty(schemaKeys.Except(valueKeys).Except(optional).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Readme_DocumentsEveryValue()
    {
        var readme = File.ReadAllText(Path.Combine(Directory, "README.md"));
        var documented = TableKey().Matches(readme).Select(m => m.Groups["key"].Value).ToHashSet();
        var expected = ChartValuesTests.Leaves(ChartRenderer.DefaultValues(Directory), "", wholeMaps: ["resources", "probes.readiness", "probes.liveness", "updateStrategy", "nodeSelector"]).ToList();

        Assert.True(expected.All(documented.Contains), "values without a row in the chart README: " + string.Join(", ", expected.Where(k => !documented.Contains(k))));
        Assert.True(documented.All(expected.Contains), "README rows for keys values.yaml does not have: " + string.Join(", ", documented.Where(k => !expected.Contains(k))));
    }

    [GeneratedRegex("^\\| `(?<key>[A-Za-z0-9_.]+)` \\|", RegexOptions.Multiline)]
    private static partial Regex TableKey();
}
