using LeaseAgent.Testing;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Npgsql;

namespace ScaiVault.Emulator.Tests.Infrastructure;

/// <summary>
/// A dynamic engine over the emulator's own database, created through the admin API: root
/// credentials secret, engine, and a role whose users get privileges through a group role.
/// Names carry a random suffix because Postgres roles are cluster-wide and classes run in parallel.
/// </summary>
public sealed class TestEngine
{
    public static readonly string[] ReliabilityRevocation =
    [
        "ALTER ROLE \"{{name}}\" NOLOGIN",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{{name}}'",
        "DROP OWNED BY \"{{name}}\"",
        "DROP ROLE IF EXISTS \"{{name}}\"",
    ];

    private TestEngine(ScaiVaultEmulator host, string suffix)
    {
        Host = host;
        Suffix = suffix;
        Name = $"db-{suffix}";
        GroupRole = $"grp_{suffix}";
        RootSecretPath = $"infra/{suffix}/root";
    }

    public ScaiVaultEmulator Host { get; }

    public string Suffix { get; }

    public string Name { get; }

    public string GroupRole { get; }

    public string RootSecretPath { get; }

    public string CreationStatement =>
        $"CREATE ROLE \"{{{{name}}}}\" WITH LOGIN PASSWORD '{{{{password}}}}' VALID UNTIL '{{{{expiration}}}}' IN ROLE \"{GroupRole}\"";

    public static string NewSuffix() => RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 8);

    /// <param name="dropRolesWithHost">False when the database outlives the host (a restart test drops the roles itself).</param>
    public static async Task<TestEngine> CreateAsync(ScaiVaultEmulator host, string maxTtl = "24h", bool dropRolesWithHost = true)
    {
        var engine = new TestEngine(host, NewSuffix());
        await SqlAsync(host.StateDatabase, $"CREATE ROLE \"{engine.GroupRole}\" NOLOGIN");
        if (dropRolesWithHost)
        {
            host.AfterDispose(engine.DropRolesAsync);
        }
        var builder = new NpgsqlConnectionStringBuilder(host.StateDatabase);
        (await host.Admin.PutAsync(
            new Uri($"v1/secrets/{engine.RootSecretPath}", UriKind.Relative),
            JsonContent.Create(new JsonObject { ["data"] = new JsonObject { ["username"] = builder.Username, ["password"] = builder.Password } })))
            .EnsureSuccessStatusCode();
        var response = await host.Admin.PostAsync(new Uri("v1/dynamic/engines", UriKind.Relative), JsonContent.Create(engine.EngineBody(maxTtl)));
        await response.ShouldBeAsync(HttpStatusCode.Created);
        return engine;
    }

    public JsonObject EngineBody(string maxTtl = "24h", string? name = null, string? connectionUrl = null, string? rootPath = null) => new()
    {
        ["name"] = name ?? Name,
        ["type"] = "database",
        ["config"] = new JsonObject
        {
            ["plugin"] = "postgresql",
            ["connection_url"] = connectionUrl ?? ConnectionUrl(Host.StateDatabase),
            ["root_credentials_path"] = rootPath ?? RootSecretPath,
        },
        ["default_ttl"] = "1h",
        ["max_ttl"] = maxTtl,
    };

    public static string ConnectionUrl(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"postgresql://{{{{username}}}}:{{{{password}}}}@{builder.Host}:{builder.Port}/{builder.Database}";
    }

    /// <summary>Adds a role; statements default to the group-role creation and the reliability revocation.</summary>
    public async Task<string> AddRoleAsync(
        string role, string defaultTtl = "1h", string maxTtl = "8h", string[]? creation = null, string[]? revocation = null)
    {
        var response = await Host.Admin.PostAsync(
            new Uri($"v1/dynamic/engines/{Name}/roles", UriKind.Relative),
            JsonContent.Create(new JsonObject
            {
                ["name"] = role,
                ["creation_statements"] = new JsonArray([.. (creation ?? [CreationStatement]).Select(s => JsonValue.Create(s))]),
                ["revocation_statements"] = new JsonArray([.. (revocation ?? ReliabilityRevocation).Select(s => JsonValue.Create(s))]),
                ["default_ttl"] = defaultTtl,
                ["max_ttl"] = maxTtl,
            }));
        await response.ShouldBeAsync(HttpStatusCode.Created);
        return role;
    }

    /// <summary><c>POST …/creds/{role}</c>: no body when neither <paramref name="ttl"/> nor <paramref name="clientRef"/> is given.</summary>
    public static async Task<HttpResponseMessage> GenerateAsync(HttpClient client, string engine, string role, string? ttl = null, string? clientRef = null)
    {
        var body = new JsonObject();
        if (ttl is not null)
        {
            body["ttl"] = ttl;
        }

        if (clientRef is not null)
        {
            body["client_ref"] = clientRef;
        }

        return await client.PostAsync(
            new Uri($"v1/dynamic/engines/{engine}/creds/{role}", UriKind.Relative),
            body.Count == 0 ? null : JsonContent.Create(body));
    }

    public Task<HttpResponseMessage> GenerateAsync(HttpClient client, string role, string? ttl = null, string? clientRef = null) =>
        GenerateAsync(client, Name, role, ttl, clientRef);

    public async Task<bool> UserExistsAsync(string username) =>
        await ScalarAsync<bool>(Host.StateDatabase, $"SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{username}')");

    public static async Task SqlAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Drops the group role and any lease users left in it (roles outlive the test database).</summary>
    public async Task DropRolesAsync() =>
        await SqlAsync(await LeaseAgent.Testing.TestPostgres.GetAdminConnectionStringAsync(), LeaseAgent.Testing.TestPostgres.DropGroupAndMembersSql(GroupRole));

    /// <summary>Opens a session as the lease's user, proving the credential works.</summary>
    public async Task<NpgsqlConnection> LoginAsync(string username, string password)
    {
        var builder = new NpgsqlConnectionStringBuilder(Host.StateDatabase)
        {
            Username = username,
            Password = password,
            Pooling = false,
        };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }
}
