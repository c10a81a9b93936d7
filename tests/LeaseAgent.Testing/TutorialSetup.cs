using System.Net.Http.Json;
using Npgsql;

namespace LeaseAgent.Testing;

/// <summary>
/// ScaiVault's "Dynamic Postgres credentials" tutorial as the test harnesses set it up through the emulator's
/// admin API: the root credentials stored as a secret, the database engine that uses them, and roles whose
/// lease users get their grants through a group role and are ended, sessions and all, on revocation. One copy
/// for the integration tests, the chaos suite and the benchmarks, so they all exercise the same contract.
/// </summary>
public static class TutorialSetup
{
    public const string RootCredentialsPath = "infra/postgres/reporting/root";

    /// <summary>The tutorial's table: ten rows, so a query through a lease user can tell what it read (idempotent: engines may share a database).</summary>
    public const string ReportTableSql =
        "CREATE TABLE IF NOT EXISTS report (id int PRIMARY KEY, amount numeric NOT NULL); INSERT INTO report SELECT g, g * 10 FROM generate_series(1, 10) g ON CONFLICT DO NOTHING;";

    /// <summary>The group role a lease role's users join: it holds the grants, so revoking a user never touches one.</summary>
    public static string GroupRoleSql(string group) => $"""CREATE ROLE "{group}" NOLOGIN; GRANT SELECT ON report TO "{group}";""";

    /// <summary>Stores <paramref name="root"/> as the root credentials (at <paramref name="rootCredentialsPath"/>, by default the tutorial's) and creates the engine on its database.</summary>
    public static async Task CreateEngineAsync(
        this HttpClient admin, string engine, NpgsqlConnectionStringBuilder root, string defaultTtl, string maxTtl, string rootCredentialsPath = RootCredentialsPath)
    {
        await EnsureSuccessAsync(await admin.PutAsJsonAsync(
            "/v1/secrets/" + rootCredentialsPath,
            new { data = new { username = root.Username, password = root.Password }, secret_type = "json", metadata = new { } }));

        await EnsureSuccessAsync(await admin.PostAsJsonAsync("/v1/dynamic/engines", new
        {
            name = engine,
            type = "database",
            config = new
            {
                plugin = "postgresql",
                connection_url = $"postgresql://{{{{username}}}}:{{{{password}}}}@{root.Host}:{root.Port}/{root.Database}",
                root_credentials_path = rootCredentialsPath,
            },
            default_ttl = defaultTtl,
            max_ttl = maxTtl,
        }));
    }

    /// <summary>A role whose users log in until their lease ends, as members of <paramref name="group"/> (which must exist).</summary>
    public static async Task CreateRoleAsync(this HttpClient admin, string engine, string role, string group, string defaultTtl, string maxTtl) =>
        await EnsureSuccessAsync(await admin.PostAsJsonAsync($"/v1/dynamic/engines/{engine}/roles", new
        {
            name = role,
            creation_statements = new[]
            {
                $"CREATE ROLE \"{{{{name}}}}\" WITH LOGIN PASSWORD '{{{{password}}}}' VALID UNTIL '{{{{expiration}}}}' IN ROLE \"{group}\";",
            },
            renew_statements = new[] { "ALTER ROLE \"{{name}}\" VALID UNTIL '{{expiration}}';" },
            revocation_statements = new[]
            {
                "ALTER ROLE \"{{name}}\" NOLOGIN;",
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{{name}}';",
                "DROP OWNED BY \"{{name}}\";",
                "DROP ROLE IF EXISTS \"{{name}}\";",
            },
            default_ttl = defaultTtl,
            max_ttl = maxTtl,
        }));

    /// <summary>Throws with the emulator's error envelope when an admin call did not succeed.</summary>
    public static async Task EnsureSuccessAsync(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"emulator answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }
}
