using System.Text.Json;
using Json.Schema;

namespace LeaseAgent.Packaging.Tests.Infrastructure;

/// <summary>One failed keyword: where in the values (a JSON Pointer), which keyword, and the validator's words.</summary>
internal sealed record SchemaError(string Location, string Keyword, string Message)
{
    public override string ToString() => $"{(Location.Length == 0 ? "/" : Location)}: {Keyword}: {Message}";
}

/// <summary>
/// A chart's values.schema.json, evaluated by JsonSchema.Net (a full implementation of the draft the schema
/// names; Helm evaluates the same file before it renders anything).
/// </summary>
internal sealed class ValuesSchema
{
    private static readonly EvaluationOptions ListAllErrors = new() { OutputFormat = OutputFormat.List };

    private readonly JsonSchema _schema;

    private ValuesSchema(string text)
    {
        Text = text;
        Document = JsonDocument.Parse(text).RootElement;
        _schema = JsonSchema.FromText(text);
    }

    /// <summary>The schema as JSON, for tests that read it (enums, patterns, its keys).</summary>
    public JsonElement Document { get; }

    public string Text { get; }

    public static ValuesSchema Load(string chartDirectory) => new(File.ReadAllText(Path.Combine(chartDirectory, "values.schema.json")));

    /// <summary>The schema checked against the meta-schema of the draft it names in <c>$schema</c> (draft-07 here).</summary>
    public static List<SchemaError> MetaSchemaErrors(string schemaText)
    {
        using var document = JsonDocument.Parse(schemaText);
        var draft = document.RootElement.TryGetProperty("$schema", out var uri) ? uri.GetString() : null;
        var metaSchema = draft == MetaSchemas.Draft7Id.OriginalString
            ? MetaSchemas.Draft7
            : throw new InvalidOperationException($"values.schema.json names $schema {draft}; the tests check draft-07 ({MetaSchemas.Draft7Id})");

        return Errors(metaSchema.Evaluate(document.RootElement, ListAllErrors));
    }

    /// <summary>Every keyword the values fail (none when they are valid).</summary>
    public List<SchemaError> Validate(Dictionary<string, object?> values) =>
        Errors(_schema.Evaluate(JsonSerializer.SerializeToElement(values), ListAllErrors));

    private static List<SchemaError> Errors(EvaluationResults results) =>
        results.IsValid
            ? []
            : [.. (results.Details ?? [results])
                .Where(detail => detail.Errors is not null)
                .SelectMany(detail => detail.Errors!.Select(error => new SchemaError(detail.InstanceLocation.ToString(), Keyword(detail, error.Key), error.Value)))];

    // A false schema (additionalProperties: false) fails without a keyword of its own: name the keyword that holds it.
    private static string Keyword(EvaluationResults detail, string key) =>
        key.Length > 0 ? key : detail.EvaluationPath.ToString().Split('/')[^1];
}
