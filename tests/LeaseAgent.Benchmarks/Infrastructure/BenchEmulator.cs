using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LeaseAgent.Testing;
using Microsoft.AspNetCore.Builder;
using Npgsql;
using ScaiVault.Emulator.Hosting;

namespace LeaseAgent.Benchmarks.Infrastructure;

/// <summary>
/// A ScaiVault emulator in this process, over its own fresh database of the test Postgres, set up as the tests
/// and the tutorial do (root secret, engine <c>reporting-db</c>, roles whose users get <c>SELECT</c> on a
/// <c>report</c> table through a group role). Disposing it stops it, drops the database, the group and any
/// lease user left behind.
/// </summary>
public sealed class BenchEmulator : IAsyncDisposable
{
    public const string EngineName = "reporting-db";
    private const string AdminToken = "bench-admin-token";

    private readonly WebApplication _app;
    private readonly string _adminConnectionString;
    private readonly string _group;
    private readonly List<string> _roles = [];

    private BenchEmulator(WebApplication app, string adminConnectionString, string databaseConnectionString, string group)
    {
        _app = app;
        _adminConnectionString = adminConnectionString;
        _group = group;
        DatabaseConnectionString = databaseConnectionString;
        BaseAddress = app.GetBaseAddress();
        Admin = new HttpClient { BaseAddress = BaseAddress };
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
    }

    public Uri BaseAddress { get; }

    /// <summary>Superuser connection string to the database the lease users log in to.</summary>
    public string DatabaseConnectionString { get; }

    public NpgsqlConnectionStringBuilder Database => new(DatabaseConnectionString);

    public HttpClient Admin { get; }

    /// <summary><c>DB_REQUIRE_AUTH</c> for the agents, null for the default: see <see cref="TestPostgres.AgentRequireAuthAsync"/>.</summary>
    public string? RequireAuth { get; private init; }

    /// <param name="rateLimitGenerate">Generations per identity per minute; 0 turns the limit off.</param>
    /// <param name="rateLimitLeaseOperations">Renewals plus revocations per identity per minute; 0 turns the limit off.</param>
    /// <param name="statePoolSize">Bounds the emulator's pool of state connections (a fleet would otherwise open up to 100).</param>
    public static async Task<BenchEmulator> StartAsync(int rateLimitGenerate, int rateLimitLeaseOperations, int statePoolSize = 100)
    {
        var admin = await TestPostgres.GetAdminConnectionStringAsync();
        var database = await TestPostgres.CreateDatabaseAsync("bench");
        var state = new NpgsqlConnectionStringBuilder(database) { MaxPoolSize = statePoolSize }.ConnectionString;
        var app = EmulatorApp.Build([
            "--urls", "http://127.0.0.1:0",
            "--postgres", state,
            "--admin-token", AdminToken,
            "--dev",
            "--rate-limit-generate", rateLimitGenerate.ToString(CultureInfo.InvariantCulture),
            "--rate-limit-lease-ops", rateLimitLeaseOperations.ToString(CultureInfo.InvariantCulture),

            // Off: figure 9's Mounts of one service account read one secret faster than 1,000 times a minute, and
            // exchange (unauthenticated requests, limited per address) faster than 10,000 times a minute.
            "--rate-limit-reads", "0",
            "--rate-limit-other", "0",
            "--log-level", "Warning",
        ]);
        await app.StartAsync();
        var emulator = new BenchEmulator(app, admin, database, "bench_" + Guid.NewGuid().ToString("N")[..10])
        {
            RequireAuth = await TestPostgres.AgentRequireAuthAsync(database),
        };
        await emulator.SetUpEngineAsync();
        return emulator;
    }

    /// <summary>Creates a role with the given TTLs and returns its name (lease users are <c>v_{name}_…</c>).</summary>
    public async Task<string> CreateRoleAsync(string defaultTtl, string maxTtl)
    {
        var name = "b" + Guid.NewGuid().ToString("N")[..8];
        await Admin.CreateRoleAsync(EngineName, name, _group, defaultTtl, maxTtl);
        _roles.Add(name);
        return name;
    }

    /// <summary>Mints a workload JWT for <paramref name="subject"/> and writes it where an agent reads its token file.</summary>
    public async Task<string> WriteTokenFileAsync(string path, string subject)
    {
        await File.WriteAllTextAsync(path, (await MintTokenAsync(subject)).Jwt);
        return path;
    }

    /// <summary>A workload JWT for <paramref name="subject"/> (audience <c>scaivault</c>, 2 h) and its expiry, as the kubelet projects it.</summary>
    public async Task<(string Jwt, DateTimeOffset ExpiresAt)> MintTokenAsync(string subject)
    {
        var response = await Admin.PostAsJsonAsync("/_emulator/tokens", new { sub = subject, aud = "scaivault", ttl = "2h" });
        await EnsureAsync(response);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        return (body!["token"]!.GetValue<string>(), DateTimeOffset.Parse(body["expires_at"]!.GetValue<string>(), CultureInfo.InvariantCulture));
    }

    /// <summary>Writes a version of a static (kv) secret as the admin.</summary>
    public async Task PutSecretAsync(string path, object data) =>
        await EnsureAsync(await Admin.PutAsJsonAsync($"/v1/secrets/{path}", new { data, secret_type = "kv" }));

    /// <summary>The ids of the role's active leases.</summary>
    public async Task<IReadOnlyList<string>> ActiveLeaseIdsAsync(string role)
    {
        var response = await Admin.GetAsync($"/v1/dynamic/leases?engine={EngineName}&role={role}&state=active");
        await EnsureAsync(response);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        return body!["leases"]!.AsArray().Select(l => l!["lease_id"]!.GetValue<string>()).ToList();
    }

    /// <summary><c>scaivault_leases_generated_total</c> of the role, from <c>/v1/metrics</c>.</summary>
    public async Task<long> GeneratedTotalAsync(string role)
    {
        var text = await Admin.GetStringAsync("/v1/metrics");
        var prefix = $"scaivault_leases_generated_total{{engine=\"{EngineName}\",role=\"{role}\"}}";
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? 0 : (long)double.Parse(line[prefix.Length..].Trim(), CultureInfo.InvariantCulture);
    }

    public async Task RevokeAsync(string leaseId) =>
        await EnsureAsync(await Admin.PostAsync($"/v1/dynamic/leases/{leaseId}/revoke", null));

    public async ValueTask DisposeAsync()
    {
        foreach (var role in _roles)
        {
            foreach (var lease in await ActiveLeaseIdsAsync(role))
            {
                await RevokeAsync(lease);
            }
        }

        Admin.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await DropAsync();
    }

    private async Task DropAsync()
    {
        var name = Database.Database!;
        await using var connection = new NpgsqlConnection(_adminConnectionString);
        await connection.OpenAsync();
        // Direct members of the group only (pg_has_role would count a superuser as a member of everything).
        var leftovers = new List<string>();
        await using (var find = new NpgsqlCommand("SELECT m.rolname FROM pg_auth_members a JOIN pg_roles m ON m.oid = a.member JOIN pg_roles g ON g.oid = a.roleid WHERE g.rolname = @group", connection))
        {
            find.Parameters.AddWithValue("group", _group);
            await using var reader = await find.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                leftovers.Add(reader.GetString(0));
            }
        }

        await using var drop = new NpgsqlCommand(
            $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE);" + string.Concat(leftovers.Select(u => $"DROP ROLE IF EXISTS \"{u}\";")) + $"DROP ROLE IF EXISTS \"{_group}\";",
            connection);
        await drop.ExecuteNonQueryAsync();
    }

    private async Task SetUpEngineAsync()
    {
        await TestPostgres.ScalarAsync<object>(DatabaseConnectionString, TutorialSetup.ReportTableSql + TutorialSetup.GroupRoleSql(_group));
        await Admin.CreateEngineAsync(EngineName, Database, "1h", "24h");
    }

    private static async Task EnsureAsync(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync();
            throw new HarnessException($"emulator answered {(int)response.StatusCode}: {body}");
        }
    }
}
