using System.Text.Json;
using System.Text.RegularExpressions;
using LeaseAgent.Packaging.Tests.Infrastructure;

namespace LeaseAgent.Packaging.Tests;

/// <summary>values.schema.json (a valid draft-07 schema) against values.yaml and bad values, with JsonSchema.Net; and the README's table.</summary>
public sealed partial class ChartValuesTests
{
    private static readonly ValuesSchema ValuesSchema = ValuesSchema.Load(ChartRenderer.ChartDirectory);

    private static readonly JsonElement Schema = ValuesSchema.Document;

    [Fact]
    public void Schema_IsAValidDraft07Schema()
    {
        var errors = ValuesSchema.MetaSchemaErrors(ValuesSchema.Text);

        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Theory]
    [InlineData("\"type\": \"object\"", "\"type\": \"map\"", "/type")]
    [InlineData("\"additionalProperties\": false", "\"additionalProperties\": \"no\"", "/additionalProperties")]
    [InlineData("\"minimum\": 10", "\"minimum\": \"10\"", "/properties/terminationGracePeriodSeconds/minimum")]
    public void MetaSchema_RefusesABrokenSchema(string good, string bad, string location)
    {
        Assert.Contains(good, ValuesSchema.Text, StringComparison.Ordinal);

        var errors = ValuesSchema.MetaSchemaErrors(ReplaceFirst(ValuesSchema.Text, good, bad));

        Assert.True(errors.Any(e => e.Location == location), $"no error at {location}:\n" + string.Join("\n", errors));
    }

    [Fact]
    public void DefaultValues_ValidateAgainstTheSchema()
    {
        var errors = ValuesSchema.Validate(ChartRenderer.DefaultValues());

        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Theory]
    [InlineData("mode: sidecar", "/mode", "enum")]
    [InlineData("agent:\n  output:\n    format: yaml", "/agent/output/format", "enum")]
    [InlineData("agent:\n  log:\n    format: xml", "/agent/log/format", "enum")]
    [InlineData("agent:\n  output:\n    mode: 0600", "/agent/output/mode", "type")]
    [InlineData("agent:\n  lease:\n    ttl: 1 hour", "/agent/lease/ttl", "pattern")]
    [InlineData("agent:\n  db:\n    port: \"5432\"", "/agent/db/port", "type")]
    [InlineData("agent:\n  db:\n    requireAuth: kerberos", "/agent/db/requireAuth", "pattern")]
    [InlineData("agent:\n  db:\n    requireAuth: \"!md5\"", "/agent/db/requireAuth", "pattern")]
    [InlineData("agent:\n  subscribe: \"yes\"", "/agent/subscribe", "type")]
    [InlineData("terminationGracePeriodSeconds: 5", "/terminationGracePeriodSeconds", "minimum")]
    [InlineData("agent:\n  scaivaultUrl: scaivault.internal", "/agent/scaivaultUrl", "pattern")]
    [InlineData("agent:\n  leaseEngine: x", "/agent/leaseEngine", "additionalProperties")]
    [InlineData("token:\n  audience: null", "/token", "required")]
    [InlineData("agent:\n  credentials:\n    - { engine: a, role: r }", "/agent/credentials/0", "required")]
    [InlineData("agent:\n  credentials:\n    - { engine: a, role: r, file: a.json, colour: blue }", "/agent/credentials/0/colour", "additionalProperties")]
    [InlineData("agent:\n  credentials:\n    - { engine: a, role: r, file: sub/a.json }", "/agent/credentials/0/file", "pattern")]
    [InlineData("agent:\n  credentials:\n    - { engine: a, role: r, file: a.json, format: yaml }", "/agent/credentials/0/format", "enum")]
    [InlineData("agent:\n  credentials:\n    - { engine: a, role: r, file: a.json, ttl: \"\" }", "/agent/credentials/0/ttl", "minLength")]
    [InlineData("agent:\n  credentials:\n    - { engine: a, role: r, file: a.json, database: \"a->b\" }", "/agent/credentials/0/database", "pattern")]
    [InlineData("agent:\n  credentials:\n    - { engine: \"#a\", role: r, file: a.json }", "/agent/credentials/0/engine", "pattern")]
    [InlineData("agent:\n  credentials:\n    - { engine: a, role: r, file: a.json, name: \"a b\" }", "/agent/credentials/0/name", "pattern")]
    [InlineData("monitoring:\n  podMonitor:\n    interval: 30 seconds", "/monitoring/podMonitor/interval", "pattern")]
    [InlineData("monitoring:\n  serviceMonitor:\n    enabled: \"true\"", "/monitoring/serviceMonitor/enabled", "type")]
    [InlineData("monitoring:\n  prometheusRule:\n    runbookUrl: docs/operations.md", "/monitoring/prometheusRule/runbookUrl", "pattern")]
    [InlineData("monitoring:\n  prometheusRule:\n    selector: \"{namespace=\\\"x\\\"}\"", "/monitoring/prometheusRule/selector", "pattern")]
    [InlineData("monitoring:\n  prometheusRule:\n    expiringSeconds: 0", "/monitoring/prometheusRule/expiringSeconds", "minimum")]
    [InlineData("monitoring:\n  grafanaDashboard:\n    labelValue: 1", "/monitoring/grafanaDashboard/labelValue", "type")]
    [InlineData("monitoring:\n  grafanaDashboard:\n    folder: x", "/monitoring/grafanaDashboard/folder", "additionalProperties")]
    public void BadValues_AreRejectedByTheSchema(string overrides, string location, string keyword)
    {
        var values = ChartRenderer.DefaultValues();
        Merge(values, YamlDocuments.LoadValues(overrides, "overrides"));

        var errors = ValuesSchema.Validate(values);

        Assert.True(errors.Any(e => e.Location == location && e.Keyword == keyword), $"no {keyword} error at {location}:\n" + string.Join("\n", errors));
    }

    [Fact]
    public void SchemaAndValues_HaveTheSameKeys()
    {
        var valueKeys = LeavesBySchema(ChartRenderer.DefaultValues(), Schema, "").ToHashSet();
        var schemaKeys = SchemaLeaves(Schema, "").ToHashSet();

        var notInSchema = valueKeys.Except(schemaKeys).Order(StringComparer.Ordinal).ToList();
        // The schema may type optional keys that values.yaml leaves out (probe settings, and Helm's `global` for
        // when the chart is a dependency); all others match.
        var notInValues = schemaKeys.Except(valueKeys)
            .Where(k => !k.StartsWith("probes.", StringComparison.Ordinal) && k != "global")
            .Order(StringComparer.Ordinal).ToList();

        Assert.True(notInSchema.Count == 0, "values.yaml keys the schema does not describe: " + string.Join(", ", notInSchema));
        Assert.True(notInValues.Count == 0, "schema keys values.yaml does not have: " + string.Join(", ", notInValues));
    }

    [Fact]
    public void Readme_DocumentsEveryValue()
    {
        var readme = File.ReadAllText(Path.Combine(ChartRenderer.ChartDirectory, "README.md"));
        var documented = TableKey().Matches(readme).Select(m => m.Groups["key"].Value).ToHashSet();
        var values = ChartRenderer.DefaultValues();
        // A map whose keys are the chart's own (not free-form like podAnnotations) is documented key by key,
        // except the securityContexts, resources and probe settings, which are documented as a whole.
        var expected = Leaves(values, "", wholeMaps: ["podSecurityContext", "securityContext", "resources", "probes.startup", "probes.readiness", "probes.liveness"]).ToList();

        var undocumented = expected.Where(k => !documented.Contains(k)).ToList();
        var unknown = documented.Where(k => !expected.Contains(k)).Order(StringComparer.Ordinal).ToList();

        Assert.True(undocumented.Count == 0, "values without a row in the chart README: " + string.Join(", ", undocumented));
        Assert.True(unknown.Count == 0, "README rows for keys values.yaml does not have: " + string.Join(", ", unknown));
    }

    [Fact]
    public void Schema_HasEnumsForModeOutputFormatAndLogFormat()
    {
        string[] Enum(params string[] path)
        {
            var node = Schema;
            foreach (var key in path)
            {
                node = node.GetProperty("properties").GetProperty(key);
            }

            return node.GetProperty("enum").EnumerateArray().Select(e => e.GetString()!).ToArray();
        }

        Assert.Equal(new[] { "native-sidecar", "classic-sidecar", "init-only" }, Enum("mode"));
        Assert.Equal(new[] { "json", "env", "pgpass", "uri" }, Enum("agent", "output", "format"));
        Assert.Equal(new[] { "json", "text" }, Enum("agent", "log", "format"));
    }

    /// <summary>Dotted paths of the leaves: scalars, lists, empty maps, and the maps named in <paramref name="wholeMaps"/>.</summary>
    internal static IEnumerable<string> Leaves(Dictionary<string, object?> map, string prefix, string[]? wholeMaps = null)
    {
        foreach (var (key, value) in map)
        {
            var path = prefix + key;
            if (value is Dictionary<string, object?> { Count: > 0 } child && !(wholeMaps ?? []).Contains(path))
            {
                foreach (var leaf in Leaves(child, path + ".", wholeMaps))
                {
                    yield return leaf;
                }
            }
            else
            {
                yield return path;
            }
        }
    }

    /// <summary>Dotted paths of values.yaml, descending into a map only where the schema lists its properties.</summary>
    internal static IEnumerable<string> LeavesBySchema(Dictionary<string, object?> map, JsonElement schema, string prefix)
    {
        foreach (var (key, value) in map)
        {
            var path = prefix + key;
            if (value is Dictionary<string, object?> child
                && schema.TryGetProperty("properties", out var properties)
                && properties.TryGetProperty(key, out var childSchema)
                && childSchema.TryGetProperty("properties", out _))
            {
                foreach (var leaf in LeavesBySchema(child, childSchema, path + "."))
                {
                    yield return leaf;
                }
            }
            else
            {
                yield return path;
            }
        }
    }

    internal static IEnumerable<string> SchemaLeaves(JsonElement schema, string prefix)
    {
        foreach (var property in schema.GetProperty("properties").EnumerateObject())
        {
            var path = prefix + property.Name;
            var isClosedObject = property.Value.TryGetProperty("properties", out _);
            if (isClosedObject)
            {
                foreach (var leaf in SchemaLeaves(property.Value, path + "."))
                {
                    yield return leaf;
                }
            }
            else
            {
                yield return path;
            }
        }
    }

    internal static void Merge(Dictionary<string, object?> target, Dictionary<string, object?> source)
    {
        foreach (var (key, value) in source)
        {
            if (value is null)
            {
                target.Remove(key);
            }
            else if (value is Dictionary<string, object?> map && target.GetValueOrDefault(key) is Dictionary<string, object?> existing)
            {
                Merge(existing, map);
            }
            else
            {
                target[key] = value;
            }
        }
    }

    internal static string ReplaceFirst(string text, string good, string bad)
    {
        var at = text.IndexOf(good, StringComparison.Ordinal);
        return text[..at] + bad + text[(at + good.Length)..];
    }

    [GeneratedRegex("^\\| `(?<key>[A-Za-z0-9_.]+)` \\|", RegexOptions.Multiline)]
    private static partial Regex TableKey();
}
