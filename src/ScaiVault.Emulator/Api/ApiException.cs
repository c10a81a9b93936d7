using System.Text.Json.Nodes;

namespace ScaiVault.Emulator.Api;

/// <summary>
/// An error the API reports to the client in the standard envelope. Handlers throw it; the
/// error-handling middleware turns it into the response, so every error path looks the same.
/// </summary>
internal sealed class ApiException : Exception
{
    public ApiException(int statusCode, string code, string message, JsonObject? details = null)
        : base(message)
    {
        StatusCode = statusCode;
        Code = code;
        Details = details;
    }

    public int StatusCode { get; }

    public string Code { get; }

    public JsonObject? Details { get; }

    /// <summary>Extra response headers, such as <c>Retry-After</c>.</summary>
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    public static ApiException BadRequest(string code, string message, JsonObject? details = null) =>
        new(StatusCodes.Status400BadRequest, code, message, details);

    public static ApiException InvalidRequest(string message) =>
        BadRequest(ErrorCodes.InvalidRequest, message);

    public static ApiException Unauthorized(string code, string message) =>
        new(StatusCodes.Status401Unauthorized, code, message);

    public static ApiException Forbidden(string code, string message, JsonObject? details = null) =>
        new(StatusCodes.Status403Forbidden, code, message, details);

    /// <summary><c>422 validation_error</c>, naming the offending field in <c>details.field</c>.</summary>
    public static ApiException Validation(string field, string message) =>
        new(StatusCodes.Status422UnprocessableEntity, ErrorCodes.ValidationError, message, new JsonObject { ["field"] = field });

    public static ApiException NotFound(string code, string message) =>
        new(StatusCodes.Status404NotFound, code, message);

    public static ApiException Conflict(string code, string message) =>
        new(StatusCodes.Status409Conflict, code, message);

    public static ApiException Unavailable(string message, JsonObject? details = null) =>
        new(StatusCodes.Status503ServiceUnavailable, ErrorCodes.ServiceUnavailable, message, details);

    public static ApiException Internal(string message, JsonObject? details = null) =>
        new(StatusCodes.Status500InternalServerError, ErrorCodes.InternalError, message, details);
}
