using System.Text;
using System.Text.Json;

namespace LeaseAgent.Secrets;

/// <summary>A static secret as read from ScaiVault: its version and its <c>data</c> object (raw JSON).</summary>
public sealed class SecretValue(string path, int version, byte[] data)
{
    public string Path { get; } = path;

    public int Version { get; } = version;

    /// <summary>What a mapping publishes: the whole <c>data</c> object, or one field's raw value.</summary>
    public byte[] Render(SecretMapping mapping)
    {
        using var document = JsonDocument.Parse(data);
        if (mapping.Field is null)
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                document.RootElement.WriteTo(writer);
            }

            buffer.WriteByte((byte)'\n');
            return buffer.ToArray();
        }

        if (!document.RootElement.TryGetProperty(mapping.Field, out var field))
        {
            throw new SecretFieldMissingException(mapping);
        }

        // A string is written as its raw value (a password file holds the password, not a JSON string);
        // anything else as its JSON text.
        return field.ValueKind == JsonValueKind.String
            ? Encoding.UTF8.GetBytes(field.GetString()!)
            : Encoding.UTF8.GetBytes(field.GetRawText());
    }

    public override string ToString() => $"SecretValue {{ Path = {Path}, Version = {Version} }}";
}

/// <summary>A mapping names a field the secret does not have.</summary>
public sealed class SecretFieldMissingException(SecretMapping mapping)
    : Exception($"secret {mapping.Path} has no field '{mapping.Field}' (mapping '{mapping}')")
{
    public SecretMapping Mapping { get; } = mapping;
}
