using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LeaseAgent.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using ScaiVault.Emulator.Hosting;

namespace LeaseAgent.ChaosTests.Harness;

/// <summary>
/// A ScaiVault emulator in process on a fixed loopback port (so it can be restarted where the agents expect it),
/// keeping its state in its own database of the test Postgres, with the tutorial's engine. The database the lease
/// users log in to is that same database, or one on another server (the throwaway Postgres that gets restarted).
/// It logs errors only (the faults it is made to inject would flood the test output with warnings); they are kept
/// in a bounded buffer for the report of a failing iteration. Disposing drops its databases.
/// </summary>
public sealed class ChaosEmulator : IAsyncDisposable
{
    public const string AdminToken = "chaos-admin-token";
    public const string EngineName = "reporting-db";
    private const int LogLines = 4000;

    private readonly string _targetServerAdmin;
    private readonly SecretLedger _ledger;
    private readonly ConcurrentQueue<string> _log = new();
    private WebApplication? _app;

    private ChaosEmulator(string stateDatabase, string targetDatabase, string targetServerAdmin, int port, SecretLedger ledger)
    {
        StateDatabase = stateDatabase;
        TargetDatabase = targetDatabase;
        _targetServerAdmin = targetServerAdmin;
        _ledger = ledger;
        Port = port;
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        Admin = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
    }

    public int Port { get; }

    public Uri BaseAddress { get; }

    public HttpClient Admin { get; }

    /// <summary>Superuser connection string to the database the lease users log in to.</summary>
    public string TargetDatabase { get; }

    /// <summary>Superuser connection string to the emulator's own state.</summary>
    public string StateDatabase { get; }

    public IEnumerable<string> Log => _log;

    /// <param name="targetServerAdmin">A superuser connection string of another server for the lease users; null for the test Postgres.</param>
    public static async Task<ChaosEmulator> StartAsync(SecretLedger ledger, string? targetServerAdmin = null)
    {
        var state = await TestPostgres.CreateDatabaseAsync("chaos");
        var serverAdmin = targetServerAdmin ?? await TestPostgres.GetAdminConnectionStringAsync();
        var target = targetServerAdmin is null ? state : await Databases.CreateAsync(targetServerAdmin, "chaos_target");
        var emulator = new ChaosEmulator(state, target, serverAdmin, LoopbackPort.Free(), ledger);
        try
        {
            await emulator.StartAppAsync();
            await emulator.SetUpEngineAsync();
        }
        catch
        {
            await emulator.DisposeAsync();
            throw;
        }

        return emulator;
    }

    /// <summary>
    /// An emulator whose lease users live on a throwaway Postgres of its own, which its lane may stop and start
    /// (the Postgres-restart scenario); the server goes with the emulator.
    /// </summary>
    public static async Task<ChaosEmulator> StartOnThrowawayServerAsync(SecretLedger ledger)
    {
        var server = await ThrowawayPostgres.StartAsync(ledger);
        try
        {
            var emulator = await StartAsync(ledger, server.AdminConnectionString);
            emulator.ThrowawayServer = server;
            return emulator;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The server of the lease users when the emulator owns it (<see cref="StartOnThrowawayServerAsync"/>).</summary>
    public ThrowawayPostgres? ThrowawayServer { get; private set; }

    /// <summary>Stops the emulator (requests in flight get a moment to finish), waits, and starts a new one on the same database and port.</summary>
    public async Task RestartAsync(TimeSpan downtime)
    {
        await StopAppAsync();
        await Task.Delay(downtime);
        await StartAppAsync();
    }

    public async Task<string> MintWorkloadTokenAsync(string subject)
    {
        var response = await Admin.PostAsJsonAsync("/_emulator/tokens", new { sub = subject, aud = "scaivault", ttl = "1h" });
        await EnsureAsync(response);
        var token = (await response.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
        _ledger.Add(token, "workload token");
        return token;
    }

    public async Task SetFaultAsync(object fault) => await EnsureAsync(await Admin.PutAsJsonAsync("/_emulator/faults", fault));

    public async Task ClearFaultsAsync() => await EnsureAsync(await Admin.DeleteAsync("/_emulator/faults"));

    /// <summary>A role of its own for one iteration: its users are told apart by their name prefix.</summary>
    public async Task<ChaosRole> CreateRoleAsync(string defaultTtl, string maxTtl)
    {
        var role = new ChaosRole(this, "c" + Guid.NewGuid().ToString("N")[..10]);
        await Databases.ExecuteAsync(TargetDatabase, TutorialSetup.GroupRoleSql(role.GroupName));
        await Admin.CreateRoleAsync(EngineName, role.Name, role.GroupName, defaultTtl, maxTtl);
        return role;
    }

    /// <summary>The leases of a role that the emulator's API lists as active (I5).</summary>
    public async Task<IReadOnlyList<JsonObject>> ActiveLeasesAsync(string role)
    {
        var response = await Admin.GetAsync($"/v1/dynamic/leases?engine={EngineName}&role={role}&state=active");
        await EnsureAsync(response);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        return body!["leases"]!.AsArray().Select(l => l!.AsObject()).ToList();
    }

    /// <summary>
    /// A lease as the emulator's state store has it, read directly so that it works while faults are injected
    /// (the API is then unusable): its state, when it expires and when it was revoked. Null when unknown.
    /// </summary>
    public async Task<LeaseRecord?> LeaseRecordAsync(string leaseId)
    {
        await using var connection = new NpgsqlConnection(StateDatabase);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT {LeaseRecord.Columns} FROM scaivault.leases WHERE id = @id", connection);
        command.Parameters.AddWithValue("id", leaseId);
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? LeaseRecord.Read(reader) : null;
    }

    /// <summary>Every lease of a role in the state store, oldest first.</summary>
    public async Task<IReadOnlyList<LeaseRecord>> LeaseRecordsAsync(string role)
    {
        await using var connection = new NpgsqlConnection(StateDatabase);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT {LeaseRecord.Columns} FROM scaivault.leases WHERE role = @role ORDER BY issued_at", connection);
        command.Parameters.AddWithValue("role", role);
        var records = new List<LeaseRecord>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            records.Add(LeaseRecord.Read(reader));
        }

        return records;
    }

    /// <summary>Every lease of a role as the state store has it, for the report of a failing iteration.</summary>
    public async Task<IReadOnlyList<string>> DescribeLeasesAsync(string role)
    {
        await using var connection = new NpgsqlConnection(StateDatabase);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT concat_ws(' ', id, username, state, 'issued', issued_at, 'expires', expires_at, 'revoked', revoked_at, 'client_ref', client_ref, last_error) FROM scaivault.leases WHERE role = @role ORDER BY issued_at",
            connection);
        command.Parameters.AddWithValue("role", role);
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAppAsync();
        Admin.Dispose();
        var serverAdmin = await TestPostgres.GetAdminConnectionStringAsync();
        await Databases.DropAsync(serverAdmin, StateDatabase);
        if (ThrowawayServer is not null)
        {
            await ThrowawayServer.DisposeAsync(); // the target database goes with it
        }
        else if (TargetDatabase != StateDatabase)
        {
            await Databases.DropAsync(_targetServerAdmin, TargetDatabase);
        }
    }

    private async Task StartAppAsync()
    {
        // The port was free a moment ago, or was ours before a restart: give the OS a moment if it lingers.
        for (var attempt = 1; ; attempt++)
        {
            var app = EmulatorApp.Build(
            [
                "--urls", $"http://127.0.0.1:{Port}", "--postgres", StateDatabase, "--admin-token", AdminToken, "--dev",
                "--sweep-interval", "500ms", "--log-level", "Error",
            ]);
            app.Services.GetRequiredService<ILoggerFactory>().AddProvider(new BufferLoggerProvider(_log, LogLines));
            EmulatorSecretTap.Use(app, _ledger);
            try
            {
                await app.StartAsync();
                _app = app;
                return;
            }
            catch (IOException) when (attempt < 20)
            {
                await app.DisposeAsync();
                await Task.Delay(250);
            }
        }
    }

    private async Task StopAppAsync()
    {
        if (_app is null)
        {
            return;
        }

        using (var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(grace.Token);
        }

        await _app.DisposeAsync();
        _app = null;
    }

    private async Task SetUpEngineAsync()
    {
        await Databases.ExecuteAsync(TargetDatabase, TutorialSetup.ReportTableSql);
        var root = new NpgsqlConnectionStringBuilder(TargetDatabase);
        _ledger.Add(root.Password, "root password");
        await Admin.CreateEngineAsync(EngineName, root, "4s", "1h");
    }

    private static Task EnsureAsync(HttpResponseMessage response) => TutorialSetup.EnsureSuccessAsync(response);

    /// <summary>Keeps the newest log lines of the emulator in memory.</summary>
    private sealed class BufferLoggerProvider(ConcurrentQueue<string> lines, int capacity) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new BufferLogger(lines, capacity, categoryName);

        public void Dispose()
        {
        }

        private sealed class BufferLogger(ConcurrentQueue<string> lines, int capacity, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lines.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}");
                while (lines.Count > capacity && lines.TryDequeue(out _))
                {
                }
            }
        }
    }
}

/// <summary>A lease in the emulator's state store (its internal schema: a test oracle that works while the API is faulted).</summary>
public sealed record LeaseRecord(string Id, string State, DateTimeOffset ExpiresAt, DateTimeOffset MaxExpiresAt, DateTimeOffset? RevokedAt)
{
    public const string Columns = "id, state, expires_at, max_expires_at, revoked_at";

    public bool IsLive(DateTimeOffset at) => State == "active" && ExpiresAt > at;

    public static LeaseRecord Read(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetFieldValue<DateTimeOffset>(2),
        reader.GetFieldValue<DateTimeOffset>(3),
        reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4));
}
