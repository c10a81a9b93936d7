using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using ScaiVault.Emulator.Hosting;

namespace LeaseAgent.Testing;

/// <summary>
/// A ScaiVault emulator in this process, as a <see cref="ScaiVaultEmulatorBuilder"/> declared it: its address, an admin
/// client, its engines and roles, and the admin operations tests need. Disposing it stops it and drops what it created:
/// its state database, the databases of its engines, and its roles' group roles and lease users (roles are
/// cluster-wide objects of the server).
/// </summary>
public sealed class ScaiVaultEmulator : IAsyncDisposable
{
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    private readonly EmulatorSettings _settings;
    private readonly EmulatorLogCapture? _log;
    private readonly List<HttpClient> _clients = [];
    private readonly List<EmulatorEngine> _engines = [];
    private readonly List<EmulatorRole> _roles = [];
    private readonly List<(string ServerAdmin, string Database)> _ownedDatabases = [];
    private readonly List<Func<Task>> _afterDispose = [];
    private WebApplication? _app;
    private HttpClient? _admin;
    private HttpClient? _anonymous;

    internal ScaiVaultEmulator(EmulatorSettings settings)
    {
        _settings = settings;
        _log = settings.LogCapacity > 0 ? new EmulatorLogCapture(settings.LogCapacity) : null;
    }

    /// <summary>The running application (its services, e.g. to add a logger provider or stop it abruptly).</summary>
    public WebApplication App => _app ?? throw NotStarted();

    public Uri BaseAddress { get; private set; } = null!;

    public string AdminToken => _settings.AdminToken;

    /// <summary>A client sending the admin token.</summary>
    public HttpClient Admin => _admin ?? throw NotStarted();

    /// <summary>A client sending no token.</summary>
    public HttpClient Anonymous => _anonymous ?? throw NotStarted();

    /// <summary>Superuser connection string to the emulator's own state (its internal schema <c>scaivault</c>).</summary>
    public string StateDatabase { get; private set; } = null!;

    public IReadOnlyList<EmulatorEngine> Engines => _engines;

    /// <summary>The only engine, for tests that declare one.</summary>
    public EmulatorEngine Engine => _engines.Count == 1 ? _engines[0] : throw new InvalidOperationException($"The emulator has {_engines.Count} engines: name one (EngineNamed).");

    /// <summary>Every role, those declared first (in declaration order), then those created while it runs.</summary>
    public IReadOnlyList<EmulatorRole> Roles => _roles;

    /// <summary>The first role declared, for tests that declare one.</summary>
    public EmulatorRole Role => _roles.Count > 0 ? _roles[0] : throw new InvalidOperationException("The emulator has no role: declare one with WithRole.");

    /// <summary>What the emulator logged (needs <see cref="ScaiVaultEmulatorBuilder.WithLogCapture"/>), oldest first.</summary>
    public IReadOnlyList<EmulatorLogEntry> Log => _log?.Entries ?? throw new InvalidOperationException("Declare WithLogCapture to read the emulator's log.");

    public EmulatorEngine EngineNamed(string name) => _engines.Single(e => e.Name == name);

    /// <summary>Creates the state and engine databases, starts the emulator and sets up its engines, roles and secrets.</summary>
    public async Task StartAsync()
    {
        var serverAdmin = await TestPostgres.GetAdminConnectionStringAsync();
        StateDatabase = _settings.StateDatabase ?? await CreateDatabaseAsync(serverAdmin, "emu");
        await StartAppAsync();
        foreach (var engine in _settings.Engines)
        {
            var created = await CreateEngineAsync(engine);
            foreach (var role in engine.Roles)
            {
                await CreateRoleAsync(created, role.DefaultTtl, role.MaxTtl, role.Name);
            }
        }

        foreach (var (path, data) in _settings.Secrets)
        {
            await PutSecretAsync(path, data);
        }
    }

    /// <summary>Stops the emulator (requests in flight get a moment), waits, and starts it again on the same state and port.</summary>
    public async Task RestartAsync(TimeSpan downtime)
    {
        if (_settings.Port == 0)
        {
            throw new InvalidOperationException("A restarted emulator would listen elsewhere: declare WithFixedPort.");
        }

        await StopAppAsync();
        await Task.Delay(downtime);
        await StartAppAsync();
    }

    /// <summary>A client of the emulator sending <paramref name="bearerToken"/>, disposed with the emulator.</summary>
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

    /// <summary>Adds a role to an engine while the emulator runs; a null name becomes a unique one.</summary>
    public async Task<EmulatorRole> CreateRoleAsync(EmulatorEngine engine, string defaultTtl, string maxTtl, string? name = null)
    {
        name ??= "r" + Guid.NewGuid().ToString("N")[..10];
        var role = new EmulatorRole(engine, name, $"{name}_g{Guid.NewGuid().ToString("N")[..6]}");
        _roles.Add(role);
        await TestPostgres.ScalarAsync<object>(
            engine.Database,
            TutorialSetup.GroupRoleSql(role.Group) + $"""GRANT CONNECT ON DATABASE "{engine.Connection.Database}" TO "{role.Group}";""");
        await Admin.CreateRoleAsync(engine.Name, role.Name, role.Group, defaultTtl, maxTtl);
        return role;
    }

    /// <summary>A workload JWT as the kubelet projects it (<c>POST /_emulator/tokens</c>, needs the dev endpoints); a null audience or ttl leaves the emulator's default.</summary>
    public async Task<string> MintTokenAsync(string subject = "system:serviceaccount:reporting:reporting-service", string? audience = EmulatorApp.Audience, string? ttl = "1h") =>
        (await MintTokenWithExpiryAsync(subject, audience, ttl)).Jwt;

    /// <inheritdoc cref="MintTokenAsync"/>
    public async Task<(string Jwt, DateTimeOffset ExpiresAt)> MintTokenWithExpiryAsync(
        string subject = "system:serviceaccount:reporting:reporting-service", string? audience = EmulatorApp.Audience, string? ttl = "1h")
    {
        var request = new JsonObject { ["sub"] = subject };
        if (audience is not null)
        {
            request["aud"] = audience;
        }

        if (ttl is not null)
        {
            request["ttl"] = ttl;
        }

        var body = await SendAsync(Admin.PostAsJsonAsync("/_emulator/tokens", request));
        return (body["token"]!.GetValue<string>(), DateTimeOffset.Parse(body["expires_at"]!.GetValue<string>(), CultureInfo.InvariantCulture));
    }

    /// <summary>Mints a workload JWT and writes it to <paramref name="path"/>, as the kubelet projects the token file.</summary>
    public async Task<string> WriteTokenFileAsync(string path, string subject = "system:serviceaccount:reporting:reporting-service", string ttl = "1h")
    {
        await File.WriteAllTextAsync(path, await MintTokenAsync(subject, ttl: ttl));
        return path;
    }

    /// <summary>Exchanges a workload JWT for an access token, as the agent does.</summary>
    public async Task<string> ExchangeAsync(string jwt)
    {
        var body = await SendAsync(Anonymous.PostAsJsonAsync(
            "/v1/auth/exchange", new JsonObject { ["subject_token"] = jwt, ["subject_token_type"] = "urn:ietf:params:oauth:token-type:jwt" }));
        return body["access_token"]!.GetValue<string>();
    }

    /// <summary>A client authenticated as a workload identity, the way the agent gets one: mint, exchange.</summary>
    public async Task<HttpClient> WorkloadClientAsync(string subject) => CreateClient(await ExchangeAsync(await MintTokenAsync(subject)));

    /// <summary>Writes a version of a static (kv) secret as the admin and returns that version.</summary>
    public async Task<int> PutSecretAsync(string path, object data) =>
        (await SendAsync(Admin.PutAsJsonAsync($"/v1/secrets/{path}", new { data, secret_type = "kv" })))["version"]!.GetValue<int>();

    /// <summary>A secret's <c>data</c> as ScaiVault answers it, read as the admin.</summary>
    public async Task<JsonObject> ReadSecretAsync(string path) => await SendAsync(Admin.GetAsync($"/v1/secrets/{path}"));

    /// <summary><c>PUT /_emulator/faults</c> as the admin, e.g. <c>new { route = "renew", status = 503, count = 2 }</c>.</summary>
    public async Task SetFaultAsync(object fault) => await TutorialSetup.EnsureSuccessAsync(await Admin.PutAsJsonAsync("/_emulator/faults", fault));

    public async Task ClearFaultsAsync() => await TutorialSetup.EnsureSuccessAsync(await Admin.DeleteAsync("/_emulator/faults"));

    /// <summary>The leases of <see cref="Role"/> that ScaiVault lists as active.</summary>
    public Task<IReadOnlyList<JsonObject>> ActiveLeasesAsync() => ActiveLeasesAsync(Role);

    /// <summary>The leases of a role that ScaiVault lists as active.</summary>
    public async Task<IReadOnlyList<JsonObject>> ActiveLeasesAsync(EmulatorRole role)
    {
        var body = await SendAsync(Admin.GetAsync($"/v1/dynamic/leases?engine={role.Engine.Name}&role={role.Name}&state=active"));
        return body["leases"]!.AsArray().Select(l => l!.AsObject()).ToList();
    }

    public async Task RevokeAsync(string leaseId) => await TutorialSetup.EnsureSuccessAsync(await Admin.PostAsync($"/v1/dynamic/leases/{leaseId}/revoke", null));

    /// <summary>The lease users of <see cref="Role"/> that exist in Postgres.</summary>
    public Task<IReadOnlyList<string>> LeaseUsersAsync() => Role.LeaseUsersAsync();

    /// <summary>Runs after the emulator and its databases are gone, e.g. to drop cluster-wide roles a test created.</summary>
    public void AfterDispose(Func<Task> cleanup) => _afterDispose.Add(cleanup);

    public async ValueTask DisposeAsync()
    {
        await StopAppAsync();
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        foreach (var (serverAdmin, database) in _ownedDatabases)
        {
            await TestPostgres.DropDatabaseAsync(database, serverAdmin);
        }

        foreach (var role in _roles)
        {
            await DropRoleAsync(role);
        }

        foreach (var cleanup in _afterDispose)
        {
            await TryAsync(cleanup);
        }
    }

    private async Task StartAppAsync()
    {
        var state = _settings.StatePoolSize is { } size ? new NpgsqlConnectionStringBuilder(StateDatabase) { MaxPoolSize = size }.ConnectionString : StateDatabase;

        // A fixed port was free a moment ago, or was ours before a restart: give the OS a moment if it lingers.
        for (var attempt = 1; ; attempt++)
        {
            var app = EmulatorApp.Build(["--urls", $"http://127.0.0.1:{_settings.Port}", "--postgres", state, .. _settings.Arguments]);
            if (_log is not null)
            {
                app.Services.GetRequiredService<ILoggerFactory>().AddProvider(_log);
            }

            foreach (var use in _settings.Middleware)
            {
                use(app);
            }

            try
            {
                await app.StartAsync();
                _app = app;
                break;
            }
            catch (IOException) when (_settings.Port != 0 && attempt < 20)
            {
                await app.DisposeAsync();
                await Task.Delay(250);
            }
        }

        if (_admin is null)
        {
            BaseAddress = _app.GetBaseAddress();
            _anonymous = CreateClient();
            _admin = CreateClient(AdminToken);
        }
    }

    private async Task StopAppAsync()
    {
        if (_app is null)
        {
            return;
        }

        using (var grace = new CancellationTokenSource(StopGrace))
        {
            await _app.StopAsync(grace.Token);
        }

        await _app.DisposeAsync();
        _app = null;
    }

    private async Task<EmulatorEngine> CreateEngineAsync(EngineDefinition definition)
    {
        var database = definition.Database ?? await CreateDatabaseAsync(_settings.TargetServer ?? await TestPostgres.GetAdminConnectionStringAsync(), "engine");
        var engine = new EmulatorEngine(definition.Name, database);
        _engines.Add(engine);

        // Only the engine's roles may log in to its database, so a lease of one engine cannot reach another's.
        var connection = engine.Connection;
        await TestPostgres.ScalarAsync<object>(
            database,
            TutorialSetup.ReportTableSql + $"""REVOKE CONNECT ON DATABASE "{connection.Database}" FROM PUBLIC;""");
        await Admin.CreateEngineAsync(engine.Name, connection, definition.DefaultTtl, definition.MaxTtl, engine.RootCredentialsPath);
        return engine;
    }

    private async Task<string> CreateDatabaseAsync(string serverAdmin, string prefix)
    {
        var database = await TestPostgres.CreateDatabaseAsync(prefix, serverAdmin);
        _ownedDatabases.Add((serverAdmin, database));
        return database;
    }

    /// <summary>
    /// Drops a role's group and whatever lease users are left in it, with their privileges in the engine's database
    /// when a test keeps that database: best effort, its server may be gone already.
    /// </summary>
    private static async Task DropRoleAsync(EmulatorRole role)
    {
        var sql = TestPostgres.DropGroupAndMembersSql(role.Group);
        try
        {
            await TestPostgres.ScalarAsync<object>(role.Engine.Database, sql);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            // The engine's database is gone with its privileges: the roles are left on the server.
            await TryAsync(() => TestPostgres.ScalarAsync<object>(new NpgsqlConnectionStringBuilder(role.Engine.Database) { Database = "postgres" }.ConnectionString, sql));
        }
        catch (NpgsqlException)
        {
            // Its server is gone (a throwaway server stopped before the emulator).
        }
    }

    private static async Task TryAsync(Func<Task> cleanup)
    {
        try
        {
            await cleanup();
        }
        catch (NpgsqlException)
        {
            // Best effort: a role still owning objects elsewhere stays behind on a throwaway server.
        }
    }

    private static async Task<JsonObject> SendAsync(Task<HttpResponseMessage> request)
    {
        using var response = await request;
        await TutorialSetup.EnsureSuccessAsync(response);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private static InvalidOperationException NotStarted() => new("The emulator has not started (StartAsync).");
}
