using System.Text;
using System.Text.Json;

namespace ScaiVault.Client;

/// <summary>A static secret as read from ScaiVault: its version and its <c>data</c> object (raw JSON).</summary>
public sealed class SecretValue(string path, int version, byte[] data)
{
    public string Path { get; } = path;

    public int Version { get; } = version;

    /// <summary>
    /// The bytes of a <c>path[#field]</c> file, the same for every executable that writes or mounts one: without a
    /// field the whole <c>data</c> object as indented JSON and a newline; with one, a string field's raw value (a
    /// password file holds the password, not a JSON string) and any other field's JSON text.
    /// </summary>
    /// <param name="usedBy">Names what asked for the field in the error, e.g. <c>mapping 'a#b -> /f'</c>.</param>
    /// <exception cref="SecretFieldMissingException">The secret has no field <paramref name="field"/>.</exception>
    public byte[] Render(string? field, string? usedBy = null)
    {
        using var document = JsonDocument.Parse(data);
        if (field is null)
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                document.RootElement.WriteTo(writer);
            }

            buffer.WriteByte((byte)'\n');
            return buffer.ToArray();
        }

        if (!document.RootElement.TryGetProperty(field, out var value))
        {
            throw new SecretFieldMissingException(Path, field, usedBy);
        }

        return value.ValueKind == JsonValueKind.String
            ? Encoding.UTF8.GetBytes(value.GetString()!)
            : Encoding.UTF8.GetBytes(value.GetRawText());
    }

    /// <summary>
    /// A field's value when it is a JSON string, for callers that decode it further (the CSI provider's
    /// <c>encoding: base64</c>); null when the field holds another JSON kind. Never put the result in a message.
    /// </summary>
    /// <exception cref="SecretFieldMissingException">The secret has no field <paramref name="field"/>.</exception>
    public string? StringField(string field, string? usedBy = null)
    {
        ArgumentNullException.ThrowIfNull(field);
        using var document = JsonDocument.Parse(data);
        return !document.RootElement.TryGetProperty(field, out var value) ? throw new SecretFieldMissingException(Path, field, usedBy)
            : value.ValueKind == JsonValueKind.String ? value.GetString()
            : null;
    }

    public override string ToString() => $"SecretValue {{ Path = {Path}, Version = {Version} }}";
}

/// <summary>A <c>path#field</c> names a field the secret does not have. The message names the path and field, never a value.</summary>
public sealed class SecretFieldMissingException(string path, string field, string? usedBy)
    : Exception($"secret {path} has no field '{field}'" + (usedBy is null ? string.Empty : $" ({usedBy})"))
{
    public string Path { get; } = path;

    public string Field { get; } = field;
}
