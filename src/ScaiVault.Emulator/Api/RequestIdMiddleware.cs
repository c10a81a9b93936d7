using System.Diagnostics;
using System.Security.Cryptography;
using ScaiVault.Emulator.Auth;

namespace ScaiVault.Emulator.Api;

/// <summary>
/// Gives every request a <c>req_…</c> id (the trace identifier, so it is also in every log
/// scope), sends it as <c>X-Request-ID</c> on every response, and writes one access-log line.
/// </summary>
internal sealed partial class RequestIdMiddleware(RequestDelegate next, ILogger<RequestIdMiddleware> logger)
{
    public const string HeaderName = "X-Request-ID";

    public async Task InvokeAsync(HttpContext context)
    {
        var requestId = "req_" + RandomNumberGenerator.GetHexString(24, lowercase: true);
        context.TraceIdentifier = requestId;
        context.Response.Headers[HeaderName] = requestId;
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            if (logger.IsEnabled(LogLevel.Information))
            {
                // Only the path: no query string, headers or bodies, so no token or password can reach the log.
                var status = context.RequestAborted.IsCancellationRequested ? 499 : context.Response.StatusCode;
                var elapsedMs = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                var identity = context.Features.Get<Caller>()?.IdentityId ?? "-";
                LogRequest(logger, context.Request.Method, context.Request.Path.Value ?? "/", status, elapsedMs, identity, requestId);
            }
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information,
        Message = "{Method} {Path} -> {StatusCode} in {ElapsedMs} ms identity={Identity} request_id={RequestId}")]
    private static partial void LogRequest(ILogger logger, string method, string path, int statusCode, long elapsedMs, string identity, string requestId);
}
