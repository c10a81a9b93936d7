using LeaseAgent.Configuration;
using LeaseAgent.Testing;

namespace LeaseAgent.Tests.ScaiVault;

/// <summary>
/// A real ScaiVault emulator with one client-credentials client on its <c>/oauth/token</c>, shared by a test class;
/// tests use their own secret files and token sources.
/// </summary>
public sealed class ClientCredentialsFixture : IAsyncLifetime
{
    public const string ClientId = "lease-agent-test";

    /// <summary>Lifetime of the tokens the emulator issues (<c>--token-ttl</c>).</summary>
    public static readonly TimeSpan TokenTtl = TimeSpan.FromHours(1);

    public ScaiVaultEmulator Emulator { get; private set; } = null!;

    /// <summary>Random per run, so that finding it in a message can only mean it leaked.</summary>
    public string ClientSecret { get; } = "cs-" + Guid.NewGuid().ToString("N");

    public Uri BaseAddress => Emulator.BaseAddress;

    public Uri TokenUrl => new(BaseAddress, "oauth/token");

    public async Task InitializeAsync() =>
        Emulator = await new ScaiVaultEmulatorBuilder().WithClient(ClientId, ClientSecret).WithTokenTtl("1h").StartAsync();

    public async Task DisposeAsync() => await Emulator.DisposeAsync();

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
    public async Task<long> TokensIssuedAsync() => await TestPostgres.ScalarAsync<long>(
        Emulator.StateDatabase, $"SELECT count(*) FROM scaivault.access_tokens WHERE identity_id = 'client:{ClientId}'");

    /// <summary>Makes the next <paramref name="count"/> requests of a route fail (the emulator's fault injection).</summary>
    public Task SetFaultAsync(string route, int status, int count) => Emulator.SetFaultAsync(new { route, status, count });
}
