using ScaiVault.Emulator.Api;

namespace ScaiVault.Emulator.Faults;

/// <summary><c>PUT</c>, <c>GET</c> and <c>DELETE /_emulator/faults</c>.</summary>
internal static partial class FaultEndpoints
{
    private const int MaxLatencyMs = 600_000;

    public static void Map(IEndpointRouteBuilder emulator)
    {
        emulator.MapPut("/faults", SetAsync);
        emulator.MapGet("/faults", (FaultRegistry faults) => List(faults));
        emulator.MapDelete("/faults", Clear);
    }

    private static async Task<IResult> SetAsync(HttpRequest request, FaultRegistry faults, ILogger<FaultRegistry> logger)
    {
        var body = await JsonBody.ReadAsync(request, Wire.Json.FaultRequest);
        var route = body.Route ?? "";
        if (!FaultRoutes.All.Contains(route, StringComparer.Ordinal))
        {
            throw ApiException.InvalidRequest($"'route' must be one of {string.Join(", ", FaultRoutes.All)}.");
        }

        if (body.Status is { } status && status is < 400 or > 599)
        {
            throw ApiException.InvalidRequest("'status' must be an HTTP error status, 400-599.");
        }

        if (body.Rate is { } rate && (double.IsNaN(rate) || rate is < 0 or > 1))
        {
            throw ApiException.InvalidRequest("'rate' must be between 0 and 1.");
        }

        if (body.LatencyMs is < 0 or > MaxLatencyMs)
        {
            throw ApiException.InvalidRequest($"'latency_ms' must be between 0 and {MaxLatencyMs}.");
        }

        if (body.Count is < 1)
        {
            throw ApiException.InvalidRequest("'count' must be at least 1 when given.");
        }

        if (body.RetryAfter is < 1)
        {
            throw ApiException.InvalidRequest("'retry_after' must be at least 1 (seconds).");
        }

        if (body.Status is null && body.Drop is not true && body.LatencyMs is null or 0)
        {
            throw ApiException.InvalidRequest("A fault needs at least one of 'status', 'latency_ms' or 'drop'.");
        }

        if (body.After is true && body.Status is not null)
        {
            throw ApiException.InvalidRequest("'after' delays or drops the real answer; it cannot go with 'status'.");
        }

        var fault = new Fault(
            route,
            body.Drop is true ? null : body.Status,
            body.Code,
            body.Rate ?? 1.0,
            body.LatencyMs ?? 0,
            body.Drop ?? false,
            body.Count,
            body.RetryAfter ?? 1,
            body.After ?? false);
        faults.Set(fault);
        LogFaultSet(logger, route, fault.Status, fault.Rate, fault.LatencyMs, fault.Drop);
        return List(faults);
    }

    private static IResult Clear(HttpRequest request, FaultRegistry faults, ILogger<FaultRegistry> logger)
    {
        var route = request.Query["route"].ToString();
        faults.Clear(route.Length == 0 ? null : route);
        LogFaultsCleared(logger, route.Length == 0 ? "all" : route);
        return Results.NoContent();
    }

    private static IResult List(FaultRegistry faults) =>
        Results.Json(new FaultListResponse(faults.Snapshot()), Wire.Json.FaultListResponse);

    [LoggerMessage(EventId = 601, Level = LogLevel.Information,
        Message = "Fault set on '{Route}': status {Status}, rate {Rate}, latency {LatencyMs} ms, drop {Drop}")]
    private static partial void LogFaultSet(ILogger logger, string route, int? status, double rate, int latencyMs, bool drop);

    [LoggerMessage(EventId = 602, Level = LogLevel.Information, Message = "Faults cleared: {Route}")]
    private static partial void LogFaultsCleared(ILogger logger, string route);
}
