using LeaseAgent.Configuration;
using LeaseAgent.ScaiVault;
using Microsoft.Extensions.DependencyInjection;
using ScaiVault.Client;

namespace LeaseAgent.Tests.ScaiVault;

/// <summary>The order of <see cref="TokenSources.Create"/>: static token → token file → client credentials → token file.</summary>
public sealed class TokenSourcesTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("leaseagent-ts-");
    private readonly ServiceProvider _services = new ServiceCollection()
        .AddSingleton(new HttpClient())
        .AddSingleton(TimeProvider.System)
        .AddLogging()
        .BuildServiceProvider();

    private string ExistingTokenFile
    {
        get
        {
            var path = Path.Combine(_directory.FullName, "token");
            File.WriteAllText(path, "header.payload.signature");
            return path;
        }
    }

    private string MissingTokenFile => Path.Combine(_directory.FullName, "no-such-token");

    private ClientCredentialsOptions Client => new("agent", Path.Combine(_directory.FullName, "secret"), new Uri("https://scaikey.invalid/oauth/token"));

    public void Dispose()
    {
        _services.Dispose();
        _directory.Delete(recursive: true);
    }

    [Fact]
    public void StaticToken_WinsOverEverything() =>
        Assert.IsType<StaticTokenSource>(Create(ExistingTokenFile, Client, staticToken: "dev-token"));

    [Fact]
    public void ExistingTokenFile_WinsOverClientCredentials() =>
        Assert.IsType<WorkloadTokenExchange>(Create(ExistingTokenFile, Client));

    [Fact]
    public void MissingTokenFile_FallsBackToClientCredentials() =>
        Assert.IsType<ClientCredentialsTokenSource>(Create(MissingTokenFile, Client));

    [Fact]
    public async Task NeitherTokenFileNorClientCredentials_ErrorNamesTheMissingFile()
    {
        var source = Assert.IsType<WorkloadTokenExchange>(Create(MissingTokenFile, client: null));

        var e = await Assert.ThrowsAsync<ScaiVaultException>(() => source.GetTokenAsync(CancellationToken.None).AsTask());

        Assert.Equal(ErrorCodes.TokenFileUnreadable, e.Code);
        Assert.Contains(MissingTokenFile, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RequireUsable_NeitherTokenFileNorClientCredentials_IsAConfigurationErrorNamingTheFile()
    {
        var error = Assert.Throws<ConfigurationException>(() => TokenSources.RequireUsable(Options(MissingTokenFile, client: null)));

        Assert.Equal("SCAIVAULT_TOKEN_FILE", error.Key);
        Assert.Contains(MissingTokenFile, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, false, null, TokenSourceKind.ProjectedToken)]
    [InlineData(false, true, null, TokenSourceKind.ClientCredentials)]
    [InlineData(false, false, "dev-token", TokenSourceKind.StaticToken)]
    [InlineData(true, true, "dev-token", TokenSourceKind.StaticToken)]
    public void RequireUsable_AnyUsableSource_IsAccepted_AndIsWhatCreateChooses(bool tokenFile, bool client, string? staticToken, TokenSourceKind kind)
    {
        var options = Options(tokenFile ? ExistingTokenFile : MissingTokenFile, client ? Client : null, staticToken);

        TokenSources.RequireUsable(options);

        Assert.Equal(kind, TokenSources.Choose(options));
    }

    private IScaiVaultTokenSource Create(string tokenFile, ClientCredentialsOptions? client, string? staticToken = null) =>
        TokenSources.Create(_services, Options(tokenFile, client, staticToken));

    private static ScaiVaultOptions Options(string tokenFile, ClientCredentialsOptions? client, string? staticToken = null) =>
        new()
        {
            BaseUrl = new Uri("https://scaivault.invalid"),
            TokenFile = tokenFile,
            StaticToken = staticToken,
            ClientCredentials = client,
            Paths = ScaiVaultPaths.Default,
        };
}
