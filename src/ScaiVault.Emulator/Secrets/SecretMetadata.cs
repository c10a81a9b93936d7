using System.Text.Json;
using System.Text.Json.Nodes;
using ScaiVault.Emulator.Api;

namespace ScaiVault.Emulator.Secrets;

/// <summary>
/// A secret's <c>metadata</c>: "description, tags, owner, custom key-values. Not secret" (core-concepts/secrets).
/// The three documented keys are typed and always present in an answer; other keys are kept as written.
/// </summary>
internal static class SecretMetadata
{
    private const string Description = "description";
    private const string Tags = "tags";
    private const string Owner = "owner";

    /// <summary>Refuses documented keys of the wrong type (<c>400 invalid_request</c>, <c>details.field</c>), before anything is written.</summary>
    public static void Validate(JsonElement metadata)
    {
        foreach (var property in metadata.EnumerateObject())
        {
            var valid = property.Name switch
            {
                Description or Owner => property.Value.ValueKind is JsonValueKind.String or JsonValueKind.Null,
                Tags => property.Value.ValueKind is JsonValueKind.Null
                    || (property.Value.ValueKind is JsonValueKind.Array && property.Value.EnumerateArray().All(t => t.ValueKind is JsonValueKind.String)),
                _ => true,
            };
            if (!valid)
            {
                throw ApiException.BadRequest(
                    ErrorCodes.InvalidRequest,
                    property.Name == Tags ? "'metadata.tags' must be an array of strings." : $"'metadata.{property.Name}' must be a string.",
                    new JsonObject { ["field"] = "metadata." + property.Name });
            }
        }
    }

    /// <summary>
    /// The answer's form: <c>description</c>, <c>tags</c> and <c>owner</c> first (<c>null</c>, <c>[]</c>, <c>null</c>
    /// when never written), then the custom keys.
    /// </summary>
    public static JsonElement ForAnswer(JsonElement stored)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            WriteOrDefault(writer, stored, Description, w => w.WriteNullValue());
            WriteOrDefault(writer, stored, Tags, w =>
            {
                w.WriteStartArray();
                w.WriteEndArray();
            });
            WriteOrDefault(writer, stored, Owner, w => w.WriteNullValue());
            foreach (var property in stored.EnumerateObject())
            {
                if (property.Name is not (Description or Tags or Owner))
                {
                    property.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.ToArray());
        return document.RootElement.Clone();
    }

    private static void WriteOrDefault(Utf8JsonWriter writer, JsonElement stored, string name, Action<Utf8JsonWriter> writeDefault)
    {
        writer.WritePropertyName(name);
        if (stored.TryGetProperty(name, out var value) && !(name == Tags && value.ValueKind is JsonValueKind.Null))
        {
            value.WriteTo(writer);
        }
        else
        {
            writeDefault(writer);
        }
    }
}
