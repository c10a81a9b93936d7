using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LeaseAgent.Testing;
using Microsoft.AspNetCore.Builder;
using Npgsql;
using ScaiVault.Emulator.Hosting;

namespace ScaiVault.Emulator.Tests.Infrastructure;

/// <summary>An emulator running in-process on 127.0.0.1:0 over its own fresh database of the test Postgres.</summary>
public sealed class EmulatorHost : IAsyncDisposable
{
    public const string AdminToken = "admin-token-for-tests";

    private readonly List<HttpClient> _clients = [];
    private readonly List<Func<Task>> _cleanups = [];
    private readonly bool _ownsDatabase;

    private EmulatorHost(WebApplication app, string connectionString, bool ownsDatabase)
    {
        App = app;
        ConnectionString = connectionString;
        _ownsDatabase = ownsDatabase;
        BaseAddress = app.GetBaseAddress();
        Anonymous = CreateClient();
        Admin = CreateClient(AdminToken);
    }

    public WebApplication App { get; }

    /// <summary>Superuser connection string of the emulator's database; the test engines mint their users there too.</summary>
    public string ConnectionString { get; }

    public Uri BaseAddress { get; }

    public HttpClient Anonymous { get; }

    public HttpClient Admin { get; }

    public static async Task<EmulatorHost> StartAsync(params string[] extraArgs) =>
        await StartOnAsync(await TestPostgres.CreateDatabaseAsync("emu"), ownsDatabase: true, extraArgs);

    /// <summary>Starts an emulator on an existing database, e.g. to restart one; the caller keeps the database.</summary>
    public static Task<EmulatorHost> StartOnAsync(string connectionString, params string[] extraArgs) =>
        StartOnAsync(connectionString, ownsDatabase: false, extraArgs);

    public static string[] Arguments(string connectionString, params string[] extraArgs) =>
    [
        "--urls", "http://127.0.0.1:0",
        "--postgres", connectionString,
        "--admin-token", AdminToken,
        .. extraArgs.Contains("--log-level") ? [] : new[] { "--log-level", "Warning" },
        .. extraArgs,
    ];

    public HttpClient CreateClient(string? bearerToken = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (bearerToken is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
        }

        _clients.Add(client);
        return client;
    }

    /// <summary><c>POST /_emulator/tokens</c> (needs <c>--dev</c>).</summary>
    public async Task<string> MintDevTokenAsync(string subject, string? audience = null, string? ttl = null)
    {
        var body = new JsonObject { ["sub"] = subject };
        if (audience is not null)
        {
            body["aud"] = audience;
        }

        if (ttl is not null)
        {
            body["ttl"] = ttl;
        }

        var response = await Admin.PostAsync(new Uri("_emulator/tokens", UriKind.Relative), JsonContent.Create(body));
        var json = await response.ShouldBeAsync(System.Net.HttpStatusCode.OK);
        return json["token"]!.GetValue<string>();
    }

    public async Task<string> ExchangeAsync(string jwt)
    {
        var response = await Anonymous.PostAsync(
            new Uri("v1/auth/exchange", UriKind.Relative),
            JsonContent.Create(new JsonObject { ["subject_token"] = jwt, ["subject_token_type"] = "urn:ietf:params:oauth:token-type:jwt" }));
        var json = await response.ShouldBeAsync(System.Net.HttpStatusCode.OK);
        return json["access_token"]!.GetValue<string>();
    }

    /// <summary>A client authenticated as a workload identity, the way the agent gets one: mint, exchange.</summary>
    public async Task<HttpClient> WorkloadClientAsync(string subject) =>
        CreateClient(await ExchangeAsync(await MintDevTokenAsync(subject)));

    /// <summary>Runs after the emulator and its database are gone, e.g. to drop cluster-wide roles.</summary>
    public void AfterDispose(Func<Task> cleanup) => _cleanups.Add(cleanup);

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await App.StopAsync();
        await App.DisposeAsync();
        if (_ownsDatabase)
        {
            await DropDatabaseAsync(ConnectionString);
        }

        foreach (var cleanup in _cleanups)
        {
            try
            {
                await cleanup();
            }
            catch (PostgresException)
            {
                // Best effort: a role still owning objects elsewhere stays behind on a throwaway server.
            }
        }
    }

    public static async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        var admin = await TestPostgres.GetAdminConnectionStringAsync();
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }

    private static async Task<EmulatorHost> StartOnAsync(string connectionString, bool ownsDatabase, string[] extraArgs)
    {
        var app = EmulatorApp.Build(Arguments(connectionString, extraArgs));
        await app.StartAsync();
        return new EmulatorHost(app, connectionString, ownsDatabase);
    }
}
