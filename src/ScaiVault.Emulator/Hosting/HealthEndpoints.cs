using Npgsql;
using ScaiVault.Emulator.Api;
using ScaiVault.Emulator.Faults;

namespace ScaiVault.Emulator.Hosting;

internal sealed record HealthResponse(string Status);

/// <summary><c>/v1/health</c> (the process is up) and <c>/v1/health/ready</c> (its Postgres answers).</summary>
internal static class HealthEndpoints
{
    private static readonly TimeSpan ReadinessTimeout = TimeSpan.FromSeconds(2);

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/health", () => Results.Json(new HealthResponse("healthy"), Wire.Json.HealthResponse))
            .WithFaultRoute(FaultRoutes.Health);
        app.MapGet("/v1/health/ready", ReadyAsync).WithFaultRoute(FaultRoutes.Health);
    }

    private static async Task<IResult> ReadyAsync(NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReadinessTimeout);
        try
        {
            await using var command = db.CreateCommand("SELECT 1 FROM scaivault.leases LIMIT 1");
            await command.ExecuteNonQueryAsync(timeout.Token);
            return Results.Json(new HealthResponse("ready"), Wire.Json.HealthResponse);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw ApiException.Unavailable("The emulator's state database is unreachable.");
        }
    }
}
