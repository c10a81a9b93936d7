using System.Globalization;
using System.Text.Json.Serialization;
using Npgsql;
using ScaiVault.Emulator.Api;
using ScaiVault.Emulator.Faults;

namespace ScaiVault.Emulator.Hosting;

/// <summary><c>GET /v1/health</c>: <c>{"status": "healthy", "timestamp"}</c> (reference/system).</summary>
internal sealed record HealthResponse(string Status, DateTimeOffset Timestamp);

/// <summary>
/// <c>GET /v1/health/ready</c>: <c>{"status": "ready" | "not_ready", "checks": {name: "ok" | "error"}, "errors": {name: reason}}</c>
/// (reference/system); <c>errors</c> only when not ready.
/// </summary>
internal sealed record ReadinessResponse(
    string Status,
    IReadOnlyDictionary<string, string> Checks,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string>? Errors);

/// <summary>
/// <c>/v1/health</c> (the process is up) and <c>/v1/health/ready</c>. Readiness checks only what the emulator
/// has: its state database. ScaiVault's <c>redis</c> and <c>encryption</c> checks have nothing to check here
/// and are left out rather than reported "ok".
/// </summary>
internal static partial class HealthEndpoints
{
    private const string DatabaseCheck = "database";
    private static readonly TimeSpan ReadinessTimeout = TimeSpan.FromSeconds(2);

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/health", (TimeProvider time) => Results.Json(new HealthResponse("healthy", time.UtcNowMs()), Wire.Json.HealthResponse))
            .WithFaultRoute(FaultRoutes.Health);
        app.MapGet("/v1/health/ready", ReadyAsync).WithFaultRoute(FaultRoutes.Health);
    }

    private static async Task<IResult> ReadyAsync(NpgsqlDataSource db, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReadinessTimeout);
        try
        {
            await using var command = db.CreateCommand("SELECT 1 FROM scaivault.leases LIMIT 1");
            await command.ExecuteNonQueryAsync(timeout.Token);
            return Results.Json(
                new ReadinessResponse("ready", new Dictionary<string, string> { [DatabaseCheck] = "ok" }, null),
                Wire.Json.ReadinessResponse);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // ScaiVault's documented 503 body, not the error envelope: probes and dashboards read "checks".
            var reason = Describe(e);
            LogNotReady(loggers.CreateLogger(typeof(HealthEndpoints).FullName!), DatabaseCheck, reason);
            return Results.Json(
                new ReadinessResponse(
                    "not_ready",
                    new Dictionary<string, string> { [DatabaseCheck] = "error" },
                    new Dictionary<string, string> { [DatabaseCheck] = reason }),
                Wire.Json.ReadinessResponse,
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    /// <summary>The server's own message (never the connection string, which holds the password), or the time-out.</summary>
    private static string Describe(Exception e) => e switch
    {
        PostgresException postgres => $"{postgres.SqlState}: {postgres.MessageText}",
        OperationCanceledException or TimeoutException =>
            string.Create(CultureInfo.InvariantCulture, $"no answer within {ReadinessTimeout.TotalSeconds:0} s"),
        _ => e.Message,
    };

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "Not ready: the {Check} check failed: {Reason}")]
    private static partial void LogNotReady(ILogger logger, string check, string reason);
}
