using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace LeaseAgent.ScaiVault;

/// <summary>
/// One HTTP attempt against ScaiVault and the mapping of everything that can go wrong with it onto
/// <see cref="ScaiVaultException"/>, so callers deal with error codes only.
/// </summary>
internal static class ScaiVaultHttp
{
    /// <summary>Answers larger than this are hostile or broken; a lease answer is a few hundred bytes.</summary>
    private const int MaxBodyBytes = 1 << 20;

    public static Uri Combine(Uri baseUrl, string path) =>
        new(baseUrl.AbsoluteUri.TrimEnd('/') + path, UriKind.Absolute);

    public static string Expand(string template, string? engine = null, string? role = null, string? leaseId = null) =>
        template
            .Replace("{engine}", Uri.EscapeDataString(engine ?? string.Empty), StringComparison.Ordinal)
            .Replace("{role}", Uri.EscapeDataString(role ?? string.Empty), StringComparison.Ordinal)
            .Replace("{lease_id}", Uri.EscapeDataString(leaseId ?? string.Empty), StringComparison.Ordinal);

    /// <summary>Sends the request and returns a successful response, or throws the mapped error.</summary>
    public static async Task<HttpResponseMessage> SendAsync(HttpClient http, Func<HttpRequestMessage> createRequest, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        using var request = createRequest();
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new ScaiVaultException(null, ErrorCodes.ConnectionFailed, $"cannot reach ScaiVault: {e.HttpRequestError}", inner: e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ScaiVaultException(null, ErrorCodes.Timeout, "ScaiVault did not answer in time", inner: e);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            throw await ToExceptionAsync(response, cancellationToken);
        }
    }

    public static async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        var bytes = await ReadBodyAsync(response, cancellationToken);
        try
        {
            return JsonSerializer.Deserialize(bytes, typeInfo)
                ?? throw new ScaiVaultException(response.StatusCode, ErrorCodes.MalformedResponse, "ScaiVault answered with an empty JSON document", RequestId(response));
        }
        catch (JsonException)
        {
            throw new ScaiVaultException(response.StatusCode, ErrorCodes.MalformedResponse, "ScaiVault's answer is not the expected JSON", RequestId(response));
        }
    }

    public static async Task<byte[]> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength > MaxBodyBytes)
        {
            throw new ScaiVaultException(response.StatusCode, ErrorCodes.MalformedResponse, "ScaiVault's answer is too large", RequestId(response));
        }

        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            using var buffer = new MemoryStream();
            var chunk = new byte[8192];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > MaxBodyBytes)
                {
                    throw new ScaiVaultException(response.StatusCode, ErrorCodes.MalformedResponse, "ScaiVault's answer is too large", RequestId(response));
                }

                buffer.Write(chunk, 0, read);
            }

            return buffer.ToArray();
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            throw new ScaiVaultException(response.StatusCode, ErrorCodes.ConnectionFailed, "the connection to ScaiVault broke while reading its answer", RequestId(response), inner: e);
        }
    }

    public static string? RequestId(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-Request-ID", out var values) ? values.FirstOrDefault() : null;

    private static async Task<ScaiVaultException> ToExceptionAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string? code = null;
        string? message = null;
        string? requestId = RequestId(response);
        try
        {
            var bytes = await ReadBodyAsync(response, cancellationToken);
            var envelope = JsonSerializer.Deserialize(bytes, ScaiVaultJsonContext.Default.ErrorEnvelope);
            code = envelope?.Error?.Code;
            message = envelope?.Error?.Message;
            requestId ??= envelope?.Error?.RequestId;
        }
        catch (Exception e) when (e is JsonException or ScaiVaultException)
        {
            // Not the error envelope (a proxy's HTML page, say): the status code alone decides.
        }

        code ??= response.StatusCode switch
        {
            HttpStatusCode.TooManyRequests => ErrorCodes.RateLimited,
            HttpStatusCode.ServiceUnavailable or HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout => ErrorCodes.ServiceUnavailable,
            HttpStatusCode.InternalServerError => ErrorCodes.InternalError,
            HttpStatusCode.Unauthorized => "authentication_required",
            _ => "http_" + ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture),
        };

        // The server's message is logged as-is, so keep it to one short line.
        var detail = message is null ? string.Empty : ": " + Sanitize(message);
        return new ScaiVaultException(
            response.StatusCode,
            code,
            $"ScaiVault answered {(int)response.StatusCode} {code}{detail}",
            requestId,
            RetryAfter(response));
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    private static string Sanitize(string message)
    {
        var oneLine = message.ReplaceLineEndings(" ");
        return oneLine.Length <= 200 ? oneLine : oneLine[..200] + "…";
    }
}
