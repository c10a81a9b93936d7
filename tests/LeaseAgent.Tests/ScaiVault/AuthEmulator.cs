using LeaseAgent.Configuration;
using LeaseAgent.Testing;
using Microsoft.AspNetCore.Builder;
using Npgsql;
using ScaiVault.Emulator.Hosting;

namespace LeaseAgent.Tests.ScaiVault;

/// <summary>
/// A real ScaiVault emulator, in process, with one client-credentials client (<c>--client id=secret</c>) on its
/// <c>/oauth/token</c>. It is a class fixture: tests share it and use their own secret files and token sources.
/// The shared <c>ScaiVaultEmulator</c> of the integration tests sets up engines and cannot take <c>--client</c>.
/// </summary>
public sealed class AuthEmulator : IAsyncLifetime
{
    public const string AdminToken = "auth-test-admin-token";
    public const string ClientId = "lease-agent-test";

    /// <summary>Lifetime of the tokens the emulator issues (<c>--token-ttl</c>).</summary>
    public static readonly TimeSpan TokenTtl = TimeSpan.FromHours(1);

    private WebApplication? _app;
    private string? _database;

    /// <summary>Random per run, so that finding it in a message can only mean it leaked.</summary>
    public string ClientSecret { get; } = "cs-" + Guid.NewGuid().ToString("N");

    public Uri BaseAddress { get; private set; } = null!;

    public Uri TokenUrl => new(BaseAddress, "oauth/token");

    public async Task InitializeAsync()
    {
        _database = await TestPostgres.CreateDatabaseAsync("auth");
        _app = EmulatorApp.Build(
        [
            "--urls", "http://127.0.0.1:0",
            "--postgres", _database,
            "--admin-token", AdminToken,
            "--client", $"{ClientId}={ClientSecret}",
            "--token-ttl", "1h",
            "--log-level", "Warning",
        ]);
        await _app.StartAsync();
        BaseAddress = _app.GetBaseAddress();
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    public ScaiVaultOptions Options(string tokenFile = "/nonexistent/token", ClientCredentialsOptions? client = null) => new()
    {
        BaseUrl = BaseAddress,
        TokenFile = tokenFile,
        ClientCredentials = client,
        RequestTimeout = TimeSpan.FromSeconds(10),
        Paths = ScaiVaultPaths.Default,
    };

    public ClientCredentialsOptions Client(string secretFile) => new(ClientId, secretFile, TokenUrl);

    /// <summary>
    /// How many access tokens the emulator has issued to our client, read from its own state store: the server's
    /// count of token requests that succeeded, which no client-side bookkeeping could fake.
    /// </summary>
    public async Task<long> TokensIssuedAsync()
    {
        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM scaivault.access_tokens WHERE identity_id = @identity", connection);
        command.Parameters.AddWithValue("identity", "client:" + ClientId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Makes the next <paramref name="count"/> requests of a route fail (the emulator's fault injection).</summary>
    public async Task SetFaultAsync(string route, int status, int count)
    {
        using var admin = new HttpClient { BaseAddress = BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", AdminToken);
        using var content = new StringContent($$"""{"route": "{{route}}", "status": {{status}}, "count": {{count}}}""", System.Text.Encoding.UTF8, "application/json");
        using var response = await admin.PutAsync(new Uri("_emulator/faults", UriKind.Relative), content);
        response.EnsureSuccessStatusCode();
    }
}
