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

    [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "Injecting fault '{Route}' into {Method} {Path}")]
    private static partial void LogFaultInjected(ILogger logger, string route, string method, string path);
}
