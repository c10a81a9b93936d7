using System.Text.Json.Nodes;

namespace ScaiVault.Emulator.Api;

/// <summary>Writes the error envelope; <c>request_id</c> is the request's trace identifier.</summary>
internal static class ApiErrorWriter
{
    public static Task WriteAsync(HttpContext context, ApiException error)
    {
        foreach (var (name, value) in error.Headers)
        {
            context.Response.Headers[name] = value;
        }

        return WriteAsync(context, error.StatusCode, error.Code, error.Message, error.Details);
    }

    public static Task WriteAsync(HttpContext context, int status, string code, string message, JsonObject? details = null)
    {
        context.Response.StatusCode = status;
        var envelope = new ErrorEnvelope(new ErrorBody(code, message, details ?? [], context.TraceIdentifier));
        return context.Response.WriteAsJsonAsync(
            envelope,
            Wire.Json.ErrorEnvelope,
            contentType: "application/json; charset=utf-8",
            cancellationToken: context.RequestAborted);
    }

    /// <summary>For responses that left the pipeline with an error status and no body (no route, wrong method).</summary>
    public static Task WriteForBareStatusAsync(HttpContext context)
    {
        var status = context.Response.StatusCode;
        var message = status switch
        {
            404 => $"No route matches {context.Request.Method} {context.Request.Path}.",
            405 => $"{context.Request.Method} is not allowed on {context.Request.Path}.",
            _ => $"The request failed with HTTP {status}.",
        };
        return WriteAsync(context, status, ErrorCodes.ForStatus(status), message);
    }
}
