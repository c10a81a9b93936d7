using Npgsql;
using Testcontainers.PostgreSql;

namespace LeaseAgent.Testing;

/// <summary>
/// The real Postgres every integration test runs against: the server named by
/// <c>LEASEAGENT_TEST_POSTGRES</c> (CI starts one) or, when that is unset, a Testcontainers
/// container started once per test process (a laptop with Docker).
/// </summary>
public static class TestPostgres
{
    public const string EnvironmentVariable = "LEASEAGENT_TEST_POSTGRES";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _adminConnectionString;
    private static PostgreSqlContainer? _container;

    /// <summary>A superuser connection string to the server's maintenance database.</summary>
    public static async Task<string> GetAdminConnectionStringAsync()
    {
        if (_adminConnectionString is not null)
        {
            return _adminConnectionString;
        }

        await Gate.WaitAsync();
        try
        {
            if (_adminConnectionString is null)
            {
                var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
                if (!string.IsNullOrWhiteSpace(configured))
                {
                    _adminConnectionString = configured;
                }
                else
                {
                    _container = new PostgreSqlBuilder("postgres:15-alpine").Build();
                    await _container.StartAsync();
                    AppDomain.CurrentDomain.ProcessExit += (_, _) => _container.DisposeAsync().AsTask().GetAwaiter().GetResult();
                    _adminConnectionString = _container.GetConnectionString();
                }
            }

            return _adminConnectionString;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>
    /// Creates an empty database with a unique name and returns a superuser connection string to it,
    /// so that tests sharing one server never see each other's tables.
    /// </summary>
    public static async Task<string> CreateDatabaseAsync(string prefix)
    {
        var admin = await GetAdminConnectionStringAsync();
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 33, 63)].ToLowerInvariant();
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(admin) { Database = name, Pooling = false }.ConnectionString;
    }

    /// <summary>Runs one scalar query as the superuser against the given database.</summary>
    public static async Task<T?> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }
}
