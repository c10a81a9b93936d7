using System.Text.Json;
using System.Text.RegularExpressions;
using LeaseAgent.Packaging.Tests.Infrastructure;
using LeaseAgent.Packaging.Tests.Templates;

namespace LeaseAgent.Packaging.Tests;

/// <summary>values.yaml against values.schema.json (the keywords of <see cref="JsonSchemaSubset"/>), and the README's table.</summary>
public sealed partial class ChartValuesTests
{
    private static readonly JsonElement Schema =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(ChartRenderer.ChartDirectory, "values.schema.json"))).RootElement;

    [Fact]
    public void DefaultValues_ValidateAgainstTheSchema()
    {
        var errors = JsonSchemaSubset.Validate(Schema, ChartRenderer.DefaultValues());

        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Theory]
    [InlineData("mode: sidecar", "$.mode: \"sidecar\" is not one of")]
    [InlineData("agent:\n  output:\n    format: yaml", "$.agent.output.format: \"yaml\" is not one of")]
    [InlineData("agent:\n  log:\n    format: xml", "$.agent.log.format: \"xml\" is not one of")]
    [InlineData("agent:\n  output:\n    mode: 0600", "$.agent.output.mode: 384 is not of type string")]
    [InlineData("agent:\n  lease:\n    ttl: 1 hour", "$.agent.lease.ttl: \"1 hour\" does not match")]
    [InlineData("agent:\n  db:\n    port: \"5432\"", "$.agent.db.port: \"5432\" is not of type integer")]
    [InlineData("agent:\n  db:\n    requireAuth: kerberos", "$.agent.db.requireAuth: \"kerberos\" does not match")]
    [InlineData("agent:\n  db:\n    requireAuth: \"!md5\"", "$.agent.db.requireAuth: \"!md5\" does not match")]
    [InlineData("agent:\n  subscribe: \"yes\"", "$.agent.subscribe: \"yes\" is not of type boolean")]
    [InlineData("terminationGracePeriodSeconds: 5", "$.terminationGracePeriodSeconds: 5 is below the minimum 10")]
    [InlineData("agent:\n  scaivaultUrl: scaivault.internal", "$.agent.scaivaultUrl: \"scaivault.internal\" does not match")]
    [InlineData("agent:\n  leaseEngine: x", "$.agent: unknown key 'leaseEngine'")]
    [InlineData("token:\n  audience: null", "$.token: required key 'audience' is missing")]
    public void BadValues_AreRejectedByTheSchema(string overrides, string expected)
    {
        var values = ChartRenderer.DefaultValues();
        Merge(values, YamlDocuments.LoadValues(overrides, "overrides"));

        var errors = JsonSchemaSubset.Validate(Schema, values);

        Assert.Contains(errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Validator_ReportsSchemaKeywordsItDoesNotImplement()
    {
        var schema = JsonDocument.Parse("""{"type": "object", "oneOf": [{"required": ["a"]}]}""").RootElement;

        Assert.Contains(JsonSchemaSubset.Validate(schema, new Dictionary<string, object?>()), e => e.Contains("'oneOf' is not implemented", StringComparison.Ordinal));
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

    [GeneratedRegex("^\\| `(?<key>[A-Za-z0-9_.]+)` \\|", RegexOptions.Multiline)]
    private static partial Regex TableKey();
}
