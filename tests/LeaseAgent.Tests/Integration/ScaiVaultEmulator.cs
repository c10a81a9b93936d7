using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using LeaseAgent.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using ScaiVault.Emulator.Hosting;

namespace LeaseAgent.Tests.Integration;

/// <summary>
/// A real ScaiVault emulator, in process, over its own fresh database of the test Postgres, set up the way
/// the tutorial does it: root credentials stored as a secret, an engine, and a role whose users get their
/// privileges through a group role and whose revocation blocks logins, ends sessions and drops the user.
/// </summary>
public sealed class ScaiVaultEmulator : IAsyncDisposable
{
    public const string AdminToken = "test-admin-token";

    private readonly WebApplication _app;
    private readonly RateLimitCounter _rateLimited = new();

    private ScaiVaultEmulator(WebApplication app, Uri baseAddress, string databaseConnectionString, string roleName)
    {
        _app = app;
        BaseAddress = baseAddress;
        DatabaseConnectionString = databaseConnectionString;
        RoleName = roleName;
        Admin = new HttpClient { BaseAddress = baseAddress };
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        app.Services.GetRequiredService<ILoggerFactory>().AddProvider(_rateLimited);
    }

    /// <summary>The identities (or client addresses) of the requests the emulator refused with <c>429 rate_limited</c> (its warning 150).</summary>
    public IReadOnlyList<string> RateLimitedRequests => _rateLimited.Keys;

    public Uri BaseAddress { get; }

    /// <summary>Superuser connection string to the database the leased users log in to.</summary>
    public string DatabaseConnectionString { get; }

    public NpgsqlConnectionStringBuilder Database => new(DatabaseConnectionString);

    /// <summary>The role name in ScaiVault; lease users are named <c>v_{RoleName}_…</c>.</summary>
    public string RoleName { get; }

    public const string EngineName = "reporting-db";

    public HttpClient Admin { get; }

    /// <summary>Starts an emulator with an engine and a role of the given TTLs.</summary>
    public static async Task<ScaiVaultEmulator> StartAsync(string defaultTtl = "4s", string maxTtl = "12s", string sweepInterval = "500ms")
    {
        var database = await TestPostgres.CreateDatabaseAsync("agent");
        var app = EmulatorApp.Build(["--urls", "http://127.0.0.1:0", "--postgres", database, "--admin-token", AdminToken, "--dev", "--sweep-interval", sweepInterval, "--log-level", "Warning"]);
        await app.StartAsync();
        var roleName = "ro_" + Guid.NewGuid().ToString("N")[..8];
        var emulator = new ScaiVaultEmulator(app, app.GetBaseAddress(), database, roleName);
        await emulator.SetUpTutorialRoleAsync(defaultTtl, maxTtl);
        return emulator;
    }

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Mints a workload JWT as the kubelet would project it, through the emulator's dev endpoint.</summary>
    public async Task<string> MintWorkloadTokenAsync(string subject = "system:serviceaccount:reporting:reporting-service", string ttl = "1h")
    {
        var response = await Admin.PostAsJsonAsync("/_emulator/tokens", new { sub = subject, aud = "scaivault", ttl });
        await EnsureAsync(response);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        return body!["token"]!.GetValue<string>();
    }

    /// <summary>Writes the minted token where the agent expects the projected token file.</summary>
    public async Task<string> WriteTokenFileAsync(string directory)
    {
        var path = Path.Combine(directory, "token");
        await File.WriteAllTextAsync(path, await MintWorkloadTokenAsync());
        return path;
    }

    public async Task<IReadOnlyList<JsonObject>> ActiveLeasesAsync()
    {
        var response = await Admin.GetAsync($"/v1/dynamic/leases?engine={EngineName}&role={RoleName}&state=active");
        await EnsureAsync(response);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        return body!["leases"]!.AsArray().Select(l => l!.AsObject()).ToList();
    }

    /// <summary>The lease users of this test's role that exist in Postgres.</summary>
    public async Task<IReadOnlyList<string>> LeaseUsersAsync()
    {
        await using var connection = new NpgsqlConnection(DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT rolname FROM pg_roles WHERE rolname LIKE @prefix ORDER BY rolname", connection);
        command.Parameters.AddWithValue("prefix", $"v\\_{RoleName}\\_%");
        var users = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            users.Add(reader.GetString(0));
        }

        return users;
    }

    /// <summary>Every identity's subscriptions, from the emulator's state (the API shows each identity only its own).</summary>
    public async Task<long> SubscriptionCountAsync() =>
        await TestPostgres.ScalarAsync<long>(DatabaseConnectionString, "SELECT count(*) FROM scaivault.subscriptions");

    public async Task RevokeAsync(string leaseId) =>
        await EnsureAsync(await Admin.PostAsync($"/v1/dynamic/leases/{leaseId}/revoke", null));

    /// <summary>Writes a new version of a static secret (as the admin).</summary>
    public async Task PutSecretAsync(string path, object data) =>
        await EnsureAsync(await Admin.PutAsJsonAsync($"/v1/secrets/{path}", new { data, secret_type = "kv" }));

    public async Task SetFaultAsync(object fault) =>
        await EnsureAsync(await Admin.PutAsJsonAsync("/_emulator/faults", fault));

    public async Task ClearFaultsAsync() =>
        await EnsureAsync(await Admin.DeleteAsync("/_emulator/faults"));

    private async Task SetUpTutorialRoleAsync(string defaultTtl, string maxTtl)
    {
        var group = RoleName + "_group";
        await TestPostgres.ScalarAsync<object>(DatabaseConnectionString, TutorialSetup.ReportTableSql + TutorialSetup.GroupRoleSql(group));
        await Admin.CreateEngineAsync(EngineName, Database, defaultTtl, maxTtl);
        await Admin.CreateRoleAsync(EngineName, RoleName, group, defaultTtl, maxTtl);
    }

    private static Task EnsureAsync(HttpResponseMessage response) => TutorialSetup.EnsureSuccessAsync(response);

    public static async Task<JsonObject> ReadJsonFileAsync(string path) =>
        JsonSerializer.Deserialize<JsonObject>(await File.ReadAllTextAsync(path))!;

    /// <summary>Counts the emulator's "Rate limited" warnings (event 150); its first argument is the identity or address.</summary>
    private sealed class RateLimitCounter : ILoggerProvider, ILogger
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _keys = new();

        public IReadOnlyList<string> Keys => [.. _keys];

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == 150 && state is IReadOnlyList<KeyValuePair<string, object?>> values
                && values.FirstOrDefault(v => v.Key == "Key").Value is string key)
            {
                _keys.Enqueue(key);
            }
        }

        public void Dispose()
        {
        }
    }
}
