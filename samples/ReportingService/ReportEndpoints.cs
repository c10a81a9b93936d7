using System.Globalization;
using Npgsql;

namespace ReportingService;

/// <summary><c>GET /report</c>'s answer: who served it, with which credential generation, and the query's rows.</summary>
public sealed record ReportResponse(string ServedBy, int Generation, IReadOnlyList<Dictionary<string, object?>> Result);

/// <summary><c>GET /healthz</c>'s answer.</summary>
public sealed record HealthResponse(string Status, int? Generation);

/// <summary><c>GET /report</c> and <c>GET /healthz</c>.</summary>
internal static class ReportEndpoints
{
    private const int MaxRows = 100;

    /// <summary>Runs <c>REPORT_QUERY</c> on the current generation's data source, holding it until the answer is read.</summary>
    public static async Task<IResult> ReportAsync(CredentialStore store, ReportingOptions options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        using var lease = store.Acquire();
        if (lease is null)
        {
            return Results.Json(new { error = "no database credential is loaded" }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        try
        {
            await using var command = lease.DataSource.CreateCommand(options.ReportQuery);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var rows = new List<Dictionary<string, object?>>();
            while (rows.Count < MaxRows && await reader.ReadAsync(cancellationToken))
            {
                var row = new Dictionary<string, object?>(reader.FieldCount, StringComparer.Ordinal);
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    row[reader.GetName(i)] = JsonValue(reader.GetValue(i));
                }

                rows.Add(row);
            }

            return Results.Json(new ReportResponse(lease.Credential.Username, lease.Credential.Generation, rows));
        }
        catch (NpgsqlException e)
        {
            var sqlState = (e as PostgresException)?.SqlState;
            Log.ReportFailed(loggers.CreateLogger("ReportingService.Report"), lease.Credential.Generation, lease.Credential.Username, e.Message, sqlState);
            return Results.Json(
                new { error = "the report query failed", sqlstate = sqlState, generation = lease.Credential.Generation },
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    /// <summary>200 while a credential is loaded, 503 otherwise.</summary>
    public static IResult Health(CredentialStore store) =>
        store.Current is { } credential
            ? Results.Json(new HealthResponse("ok", credential.Generation))
            : Results.Json(new HealthResponse("no credential", null), statusCode: StatusCodes.Status503ServiceUnavailable);

    /// <summary>A column value as something JSON can carry: numbers, text, booleans and dates as they are, the rest as text.</summary>
    private static object? JsonValue(object value) => value switch
    {
        DBNull => null,
        string or bool or short or int or long or float or double or decimal or Guid or DateTime or DateTimeOffset => value,
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}
