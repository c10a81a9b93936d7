using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ScaiVault.Emulator.Api;

/// <summary>
/// Reads JSON request bodies by hand rather than through parameter binding, so that malformed
/// JSON, a missing body and an optional body each get a precise <c>400 invalid_request</c> in
/// the envelope, and clients that forget the Content-Type header still work.
/// </summary>
internal static class JsonBody
{
    private const int MaxBytes = 1024 * 1024;

    public static async Task<T> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> typeInfo)
        where T : class =>
        await ReadOptionalAsync(request, typeInfo)
        ?? throw ApiException.InvalidRequest("A JSON object body is required.");

    public static async Task<T?> ReadOptionalAsync<T>(HttpRequest request, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        if (request.ContentLength > MaxBytes)
        {
            throw TooLarge();
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBytes)
            {
                throw TooLarge();
            }
        }

        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        if (bytes.Trim(" \t\r\n"u8).IsEmpty)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(bytes, typeInfo);
        }
        catch (JsonException e)
        {
            // System.Text.Json messages name the path and position, never the offending value.
            throw ApiException.InvalidRequest($"The request body is not valid JSON for this endpoint: {e.Message}");
        }
    }

    private static ApiException TooLarge() =>
        new(StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge, "The request body is larger than 1 MiB.");
}
