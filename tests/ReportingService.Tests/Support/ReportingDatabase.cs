using LeaseAgent.Testing;
using Npgsql;

namespace ReportingService.Tests.Support;

/// <summary>A login user made for one test, as ScaiVault's creation statements would make it.</summary>
public sealed record TestUser(string Name, string Password)
{
    public override string ToString() => Name; // never the password
}

/// <summary>
/// A database of its own on the test Postgres with the tutorial's objects: a <c>report</c> table of
/// <see cref="Rows"/> rows and a group role that may read it. Users are made in the group and revoked the
/// way ScaiVault revokes a lease. Disposing drops the database, every user made here and the group (roles
/// are cluster-wide, so their names carry a random suffix).
/// </summary>
public sealed class ReportingDatabase : IAsyncDisposable
{
    public const int Rows = 10;

    private readonly List<string> _users = [];
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..10];

    private ReportingDatabase(string connectionString)
    {
        ConnectionString = connectionString;
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        Host = builder.Host!;
        Port = builder.Port;
        Name = builder.Database!;
        GroupRole = $"rs_readers_{_suffix}";
    }

    /// <summary>A superuser connection string to this database (no pooling).</summary>
    public string ConnectionString { get; }

    public string Host { get; }

    public int Port { get; }

    public string Name { get; }

    public string GroupRole { get; }

    public static async Task<ReportingDatabase> CreateAsync()
    {
        var database = new ReportingDatabase(await TestPostgres.CreateDatabaseAsync("reporting"));
        try
        {
            await database.ExecuteAsync(
                $"""
                CREATE ROLE "{database.GroupRole}" NOLOGIN;
                CREATE TABLE report (id int PRIMARY KEY, amount numeric NOT NULL);
                INSERT INTO report SELECT i, i * 10 FROM generate_series(1, {Rows}) AS i;
                GRANT SELECT ON report TO "{database.GroupRole}";
                """);
            return database;
        }
        catch
        {
            await database.DisposeAsync();
            throw;
        }
    }

    /// <summary>Creates a LOGIN user in the group, like ScaiVault's creation statements.</summary>
    public async Task<TestUser> CreateUserAsync(string tag)
    {
        var user = new TestUser($"v_rs_{_suffix}_{tag}", Guid.NewGuid().ToString("N"));
        _users.Add(user.Name);
        await ExecuteAsync($"""CREATE ROLE "{user.Name}" WITH LOGIN PASSWORD '{user.Password}' IN ROLE "{GroupRole}";""");
        return user;
    }

    /// <summary>ScaiVault's revocation: block logins, end the user's sessions, drop what it owns, drop it.</summary>
    public Task RevokeAsync(TestUser user) =>
        ExecuteAsync(
            $"""
            ALTER ROLE "{user.Name}" NOLOGIN;
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{user.Name}';
            DROP OWNED BY "{user.Name}";
            DROP ROLE IF EXISTS "{user.Name}";
            """);

    /// <summary>How many sessions the user has open on the server.</summary>
    public async Task<long> SessionsOfAsync(TestUser user)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE usename = $1", connection);
        command.Parameters.AddWithValue(user.Name);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public async ValueTask DisposeAsync()
    {
        await using var connection = new NpgsqlConnection(await TestPostgres.GetAdminConnectionStringAsync());
        await connection.OpenAsync();
        var statements = new List<string> { $"""DROP DATABASE IF EXISTS "{Name}" WITH (FORCE)""" };
        statements.AddRange(_users.Select(user => $"""DROP ROLE IF EXISTS "{user}" """));
        statements.Add($"""DROP ROLE IF EXISTS "{GroupRole}" """);
        foreach (var statement in statements)
        {
            await using var command = new NpgsqlCommand(statement, connection);
            await command.ExecuteNonQueryAsync();
        }
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
