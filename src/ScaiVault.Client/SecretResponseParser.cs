using System.Text.Json;

namespace ScaiVault.Client;

/// <summary>Reads <c>GET /v1/secrets/{path}</c>: <c>{path, version, data{…}, …}</c>.</summary>
internal static class SecretResponseParser
{
    public static SecretValue Parse(ReadOnlySpan<byte> json, string path)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
            {
                throw Malformed(path, "it has no data object");
            }

            var version = root.TryGetProperty("version", out var v) && v.TryGetInt32(out var n) ? n : 0;
            return new SecretValue(path, version, System.Text.Encoding.UTF8.GetBytes(data.GetRawText()));
        }
        catch (JsonException)
        {
            throw Malformed(path, "it is not JSON");
        }
    }

    private static ScaiVaultException Malformed(string path, string problem) =>
        new(null, ErrorCodes.MalformedResponse, $"ScaiVault's answer for secret {path} cannot be used: {problem}");
}
