using System.Text.Json;
using System.Text.RegularExpressions;
using LeaseAgent.Packaging.Tests.Infrastructure;

namespace LeaseAgent.Packaging.Tests;

/// <summary>charts/scaivault-csi-provider: values.schema.json against values.yaml and bad values, and the README's table (as <see cref="ChartValuesTests"/>).</summary>
public sealed partial class CsiProviderChartValuesTests
{
    private static readonly string Directory = ChartRenderer.CsiProviderChartDirectory;

    private static readonly ValuesSchema ValuesSchema = ValuesSchema.Load(Directory);

    private static readonly JsonElement Schema = ValuesSchema.Document;

    [Fact]
    public void Schema_IsAValidDraft07Schema()
    {
        var errors = ValuesSchema.MetaSchemaErrors(ValuesSchema.Text);

        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public void DefaultValues_ValidateAgainstTheSchema()
    {
        var errors = ValuesSchema.Validate(ChartRenderer.DefaultValues(Directory));

        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Theory]
    [InlineData("provider:\n  name: scai.vault", "/provider/name", "pattern")]
    [InlineData("provider:\n  name: abcdefghijklmnopqrstuvwxyz012345", "/provider/name", "pattern")]
    [InlineData("provider:\n  name: \"\"", "/provider/name", "pattern")]
    [InlineData("provider:\n  scaivaultUrl: http://scaivault.internal", "/provider/scaivaultUrl", "pattern")]
    [InlineData("provider:\n  scaivaultUrl: https://scaivault.internal?x=1", "/provider/scaivaultUrl", "pattern")]
    [InlineData("provider:\n  allowedUrls: [scaivault.eu]", "/provider/allowedUrls/0", "pattern")]
    [InlineData("provider:\n  allowedUrls: https://a.example", "/provider/allowedUrls", "type")]
    [InlineData("provider:\n  providersDirectory: var/run/x", "/provider/providersDirectory", "pattern")]
    [InlineData("provider:\n  maxConcurrency: 0", "/provider/maxConcurrency", "minimum")]
    [InlineData("provider:\n  maxConcurrency: \"16\"", "/provider/maxConcurrency", "type")]
    [InlineData("provider:\n  requestTimeout: 45", "/provider/requestTimeout", "type")]
    [InlineData("provider:\n  requestTimeout: 45 seconds", "/provider/requestTimeout", "pattern")]
    [InlineData("provider:\n  maxResponseBytes: 4MiB", "/provider/maxResponseBytes", "type")]
    [InlineData("provider:\n  tokenCacheSize: 0", "/provider/tokenCacheSize", "minimum")]
    [InlineData("provider:\n  logFormat: xml", "/provider/logFormat", "enum")]
    [InlineData("provider:\n  caFile:\n    path: /etc/ca.pem", "/provider/caFile/path", "additionalProperties")]
    [InlineData("provider:\n  extraArgs: [\"-v\"]", "/provider/extraArgs/0", "pattern")]
    [InlineData("provider:\n  audience: x", "/provider/audience", "additionalProperties")]
    [InlineData("provider:\n  scaivaultUrl: null", "/provider", "required")]
    [InlineData("terminationGracePeriodSeconds: 10", "/terminationGracePeriodSeconds", "minimum")]
    [InlineData("updateStrategy:\n  type: Recreate", "/updateStrategy/type", "enum")]
    [InlineData("probes:\n  liveness:\n    timeoutSeconds: 1", "/probes/liveness/timeoutSeconds", "minimum")]
    [InlineData("tolerations: {operator: Exists}", "/tolerations", "type")]
    [InlineData("hostNetwork: true", "/hostNetwork", "additionalProperties")]
    public void BadValues_AreRejectedByTheSchema(string overrides, string location, string keyword)
    {
        var values = ChartRenderer.DefaultValues(Directory);
        ChartValuesTests.Merge(values, YamlDocuments.LoadValues(overrides, "overrides"));

        var errors = ValuesSchema.Validate(values);

        Assert.True(errors.Any(e => e.Location == location && e.Keyword == keyword), $"no {keyword} error at {location}:\n" + string.Join("\n", errors));
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

        var errors = ValuesSchema.Validate(values);

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
