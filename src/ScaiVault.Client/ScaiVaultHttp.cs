using System.Globalization;
using System.Net;
using System.Security.Authentication;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ScaiVault.Client;

/// <summary>
/// One HTTP attempt against ScaiVault (or ScaiKey, its token issuer) and the mapping of everything that can go
/// wrong with it onto <see cref="ScaiVaultException"/>, so callers deal with error codes only. The peer names
/// the server in messages, so that an operator reading "cannot reach ScaiKey" knows which URL to check, and the
/// caller's settings, so that the message says which one to fix.
/// </summary>
internal static class ScaiVaultHttp
{
    private const string ScaiVault = ScaiVaultPeer.ScaiVaultName;

    /// <summary>Answers larger than this are hostile or broken; a lease answer is a few hundred bytes.</summary>
    private const int MaxBodyBytes = 1 << 20;

    public static Uri Combine(Uri baseUrl, string path) =>
        new(baseUrl.AbsoluteUri.TrimEnd('/') + path, UriKind.Absolute);

    /// <summary>Sends the request and returns a successful response, or throws the mapped error.</summary>
    public static async Task<HttpResponseMessage> SendAsync(HttpClient http, Func<HttpRequestMessage> createRequest, ScaiVaultPeer peer, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        using var request = createRequest();
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new ScaiVaultException(null, ErrorCodes.ConnectionFailed, $"cannot reach {peer.Name}: {e.HttpRequestError}{TlsDetail(e, peer)}", inner: e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ScaiVaultException(null, ErrorCodes.Timeout, $"{peer.Name} did not answer in time", inner: e);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            throw await ToExceptionAsync(response, peer, cancellationToken);
        }
    }

    public static async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken, string peer = ScaiVault)
    {
        var bytes = await ReadBodyAsync(response, cancellationToken, peer);
        try
        {
            return JsonSerializer.Deserialize(bytes, typeInfo)
                ?? throw new ScaiVaultException(response.StatusCode, ErrorCodes.MalformedResponse, $"{peer} answered with an empty JSON document", RequestId(response));
        }
        catch (JsonException)
        {
            throw new ScaiVaultException(response.StatusCode, ErrorCodes.MalformedResponse, $"{peer}'s answer is not the expected JSON", RequestId(response));
        }
    }

    public static async Task<byte[]> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken, string peer = ScaiVault)
    {
        if (response.Content.Headers.ContentLength > MaxBodyBytes)
        {
            throw new ScaiVaultException(response.StatusCode, ErrorCodes.MalformedResponse, $"{peer}'s answer is too large", RequestId(response));
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
                    throw new ScaiVaultException(response.StatusCode, ErrorCodes.MalformedResponse, $"{peer}'s answer is too large", RequestId(response));
                }

                buffer.Write(chunk, 0, read);
            }

            return buffer.ToArray();
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            throw new ScaiVaultException(response.StatusCode, ErrorCodes.ConnectionFailed, $"the connection to {peer} broke while reading its answer", RequestId(response), inner: e);
        }
    }

    public static string? RequestId(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-Request-ID", out var values) ? values.FirstOrDefault() : null;

    /// <summary>
    /// A rejected certificate is the one connection failure an operator fixes with configuration, so it says so.
    /// The framework's message names the chain problem (e.g. UntrustedRoot) and carries no secret.
    /// </summary>
    private static string TlsDetail(HttpRequestException e, ScaiVaultPeer peer)
    {
        for (Exception? inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is AuthenticationException)
            {
                return $" ({peer.Name}'s TLS certificate was not accepted: {Sanitize(inner.Message)}; if a private CA signed it, point {peer.CaFileSetting} at that CA's PEM bundle)";
            }
        }

        return string.Empty;
    }

    private static async Task<ScaiVaultException> ToExceptionAsync(HttpResponseMessage response, ScaiVaultPeer peer, CancellationToken cancellationToken)
    {
        if ((int)response.StatusCode is >= 300 and < 400)
        {
            return Redirected(response, peer);
        }

        string? code = null;
        string? message = null;
        string? requestId = RequestId(response);
        try
        {
            var bytes = await ReadBodyAsync(response, cancellationToken, peer.Name);
            (code, message, var bodyRequestId) = ParseError(bytes);
            requestId ??= bodyRequestId;
        }
        catch (ScaiVaultException)
        {
            // The body could not be read: the status code alone decides.
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
        var (retryAfter, capNote) = RetryAfter(response);
        return new ScaiVaultException(
            response.StatusCode,
            code,
            $"{peer.Name} answered {(int)response.StatusCode} {code}{detail}{capNote}",
            requestId,
            retryAfter);
    }

    /// <summary>
    /// The client never follows a redirect (<see cref="ScaiVaultHttpClient"/>), and retrying one would not help:
    /// it is a configuration or proxy problem, so it is not transient. The message names only the Location's host
    /// (its path and query could carry anything), so the operator can tell a moved service from a hostile proxy.
    /// </summary>
    private static ScaiVaultException Redirected(HttpResponseMessage response, ScaiVaultPeer peer)
    {
        var location = response.Headers.Location;
        var target = location is null ? "no Location" : location.IsAbsoluteUri ? "to host " + location.Authority : "within the same host";
        return new ScaiVaultException(
            response.StatusCode,
            ErrorCodes.UnexpectedRedirect,
            $"{peer.Name} answered {(int)response.StatusCode} {ErrorCodes.UnexpectedRedirect} ({Sanitize(target)}); redirects are never followed, because "
                + $"they would carry the token or the client secret elsewhere: set {peer.UrlSetting} to the address that answers without one",
            RequestId(response));
    }

    /// <summary>
    /// Reads either ScaiVault's envelope <c>{"error": {"code", "message", "request_id"}}</c> or, from the token
    /// URL, an RFC 6749 §5.2 body <c>{"error": "invalid_client", "error_description": "…"}</c>. Anything else
    /// (a proxy's HTML page, say) yields nothing, and the status code decides.
    /// </summary>
    internal static (string? Code, string? Message, string? RequestId) ParseError(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("error", out var error))
            {
                return default;
            }

            return error.ValueKind switch
            {
                JsonValueKind.Object => (Code(String(error, "code")), String(error, "message"), String(error, "request_id")),
                JsonValueKind.String => (Code(error.GetString()), String(root, "error_description"), null),
                _ => default,
            };
        }
        catch (JsonException)
        {
            return default;
        }
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : null;

    /// <summary>Codes are identifiers; a server that sends prose (or a megabyte) as a code gets its status code used instead.</summary>
    private static string? Code(string? code) =>
        code is { Length: > 0 and <= 64 } && code.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.') ? code : null;

    /// <summary>
    /// The server's <c>Retry-After</c>, at most <see cref="ScaiVaultResilience.LongestRetryAfter"/>: any proxy on
    /// the way can send one, and a day-long one would keep the agent from its credential for a day. When the
    /// cap applies, the note goes into the error's message, so the log line of the failure says so.
    /// </summary>
    private static (TimeSpan? Wait, string CapNote) RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        TimeSpan wait;
        if (header?.Delta is { } delta)
        {
            wait = delta;
        }
        else if (header?.Date is { } date)
        {
            wait = date - DateTimeOffset.UtcNow;
            wait = wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
        else
        {
            return (null, string.Empty);
        }

        var cap = ScaiVaultResilience.LongestRetryAfter;
        return wait <= cap
            ? (wait, string.Empty)
            : (cap, string.Create(CultureInfo.InvariantCulture, $" (Retry-After of {wait.TotalSeconds:0} s capped at {cap.TotalSeconds:0} s)"));
    }

    private static string Sanitize(string message)
    {
        var oneLine = message.ReplaceLineEndings(" ");
        return oneLine.Length <= 200 ? oneLine : oneLine[..200] + "…";
    }
}
