using System.Globalization;
using System.Text.Json.Nodes;
using ScaiVault.Emulator.Api;

namespace ScaiVault.Emulator.Faults;

/// <summary>
/// Injects the configured faults before authentication (a service that is down does not check
/// tokens first). Never touches <c>/_emulator/*</c>, so faults can always be cleared.
/// </summary>
internal sealed partial class FaultMiddleware(RequestDelegate next, FaultRegistry faults, TimeProvider time, ILogger<FaultMiddleware> logger)
{
    public const string EmulatorPrefix = "/_emulator";

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Request.Path.StartsWithSegments(EmulatorPrefix, StringComparison.OrdinalIgnoreCase))
        {
            await next(context);
            return;
        }

        var route = context.GetEndpoint()?.Metadata.GetMetadata<FaultRouteMetadata>()?.Route;
        var fault = faults.Pick(route);
        if (fault is null)
        {
            await next(context);
            return;
        }

        LogFaultInjected(logger, fault.Route, context.Request.Method, context.Request.Path.Value ?? "/");
        if (fault.AfterHandling)
        {
            await HandleThenLoseAnswerAsync(context, fault);
            return;
        }

        if (fault.LatencyMs > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(fault.LatencyMs), time, context.RequestAborted);
        }

        if (fault.Drop)
        {
            context.Abort();
            return;
        }

        if (fault.Status is not { } status)
        {
            await next(context);
            return;
        }

        var error = new ApiException(
            status,
            fault.Code ?? ErrorCodes.ForStatus(status),
            $"Injected fault on route '{fault.Route}'.",
            new JsonObject { ["injected"] = true });
        if (status == StatusCodes.Status429TooManyRequests || status == StatusCodes.Status503ServiceUnavailable)
        {
            error.Headers["Retry-After"] = fault.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        }

        throw error;
    }

    /// <summary>
    /// Runs the real handler to completion (even if the client goes away meanwhile), then delays or drops
    /// its buffered answer: the state change happened, the client may never see it.
    /// </summary>
    private async Task HandleThenLoseAnswerAsync(HttpContext context, Fault fault)
    {
        var original = context.Response.Body;
        await using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        context.RequestAborted = CancellationToken.None;
        try
        {
            await next(context);
        }
        finally
        {
            context.Response.Body = original;
        }

        if (fault.LatencyMs > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(fault.LatencyMs), time, CancellationToken.None);
        }

        if (fault.Drop)
        {
            context.Abort();
            return;
        }

        buffer.Position = 0;
        await buffer.CopyToAsync(original, CancellationToken.None);
    }

    [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "Injecting fault '{Route}' into {Method} {Path}")]
    private static partial void LogFaultInjected(ILogger logger, string route, string method, string path);
}
