using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using LeaseAgent.Configuration;
using LeaseAgent.ScaiVault;
using LeaseAgent.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using ScaiVault.Client;

namespace LeaseAgent.Tests.ScaiVault;

/// <summary>
/// <c>SCAIVAULT_CA_FILE</c> against a real TLS server whose certificate a private CA, made here, signed: the whole
/// workload exchange goes through <see cref="ScaiVaultHttpClient.Create"/> as the agent's does.
/// </summary>
public sealed class CaBundleTrustTests : IDisposable
{
    private const string AnswerJson = """{"access_token": "tls-ok", "token_type": "Bearer", "expires_in": 3600}""";

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("leaseagent-ca-");
    private readonly X509Certificate2 _privateCa = TestCertificates.CreateCa("LeaseAgent Test Private CA");

    public void Dispose()
    {
        _privateCa.Dispose();
        _directory.Delete(recursive: true);
    }

    [Fact]
    public async Task WithoutCaFile_APrivateCaCertificate_IsRejected()
    {
        await using var server = TinyHttpServer.Start(TestCertificates.CreateServer(_privateCa), _ => (200, AnswerJson));

        var e = await Assert.ThrowsAsync<ScaiVaultException>(() => ExchangeAsync(server, caFile: null));

        Assert.Equal(ErrorCodes.ConnectionFailed, e.Code);
        Assert.Contains("TLS certificate was not accepted", e.Message, StringComparison.Ordinal);
        Assert.Contains("SCAIVAULT_CA_FILE", e.Message, StringComparison.Ordinal);
        await AssertRefusedInTheHandshakeAsync(server);
    }

    [Fact]
    public async Task WithTheCaFile_APrivateCaCertificate_IsTrusted()
    {
        await using var server = TinyHttpServer.Start(TestCertificates.CreateServer(_privateCa), _ => (200, AnswerJson));
        var caFile = TestCertificates.WritePem(_directory.FullName, "ca.pem", _privateCa);

        var token = await ExchangeAsync(server, caFile);

        Assert.Equal("tls-ok", token);
        var request = Assert.Single(server.Requests);
        Assert.StartsWith("POST /v1/auth/exchange HTTP/1.1", request, StringComparison.Ordinal);
        Assert.Contains("header.payload.signature", request, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithTheCaFileAmongOthers_APrivateCaCertificate_IsTrusted()
    {
        // A bundle usually holds several CAs; the one that signed the server may be anywhere in it.
        await using var server = TinyHttpServer.Start(TestCertificates.CreateServer(_privateCa), _ => (200, AnswerJson));
        using var other = TestCertificates.CreateCa("Some Other CA");
        var caFile = TestCertificates.WritePem(_directory.FullName, "bundle.pem", other, _privateCa);

        Assert.Equal("tls-ok", await ExchangeAsync(server, caFile));
    }

    [Fact]
    public async Task WithAnotherCaFile_APrivateCaCertificate_IsStillRejected()
    {
        await using var server = TinyHttpServer.Start(TestCertificates.CreateServer(_privateCa), _ => (200, AnswerJson));
        using var other = TestCertificates.CreateCa("LeaseAgent Test Private CA"); // the same name, another key
        var caFile = TestCertificates.WritePem(_directory.FullName, "other-ca.pem", other);

        var e = await Assert.ThrowsAsync<ScaiVaultException>(() => ExchangeAsync(server, caFile));

        Assert.Equal(ErrorCodes.ConnectionFailed, e.Code);
        await AssertRefusedInTheHandshakeAsync(server);
    }

    [Fact]
    public async Task WithTheCaFile_ACertificateForAnotherHost_IsStillRejected()
    {
        await using var server = TinyHttpServer.Start(TestCertificates.CreateServer(_privateCa, dnsNameOnly: "scaivault.example"), _ => (200, AnswerJson));
        var caFile = TestCertificates.WritePem(_directory.FullName, "ca.pem", _privateCa);

        var e = await Assert.ThrowsAsync<ScaiVaultException>(() => ExchangeAsync(server, caFile));

        Assert.Equal(ErrorCodes.ConnectionFailed, e.Code);
        await AssertRefusedInTheHandshakeAsync(server);
    }

    [Fact]
    public async Task WithTheCaFile_AnExpiredCertificate_IsStillRejected()
    {
        var now = TimeProvider.System.GetUtcNow();
        var expired = TestCertificates.CreateServer(_privateCa, notBefore: now.AddDays(-2), notAfter: now.AddDays(-1));
        await using var server = TinyHttpServer.Start(expired, _ => (200, AnswerJson));
        var caFile = TestCertificates.WritePem(_directory.FullName, "ca.pem", _privateCa);

        var e = await Assert.ThrowsAsync<ScaiVaultException>(() => ExchangeAsync(server, caFile));

        Assert.Equal(ErrorCodes.ConnectionFailed, e.Code);
        await AssertRefusedInTheHandshakeAsync(server);
    }

    [Fact]
    public async Task WithTheCaFile_TheScaiKeyTokenUrl_IsTrustedToo()
    {
        await using var server = TinyHttpServer.Start(TestCertificates.CreateServer(_privateCa), _ => (200, AnswerJson));
        var caFile = TestCertificates.WritePem(_directory.FullName, "ca.pem", _privateCa);
        var secretFile = Path.Combine(_directory.FullName, "secret");
        await File.WriteAllTextAsync(secretFile, "s3cret-value");
        using var http = ScaiVaultConnection.CreateHttpClient(Options(server, caFile));
        using var source = new ClientCredentialsTokenSource(http, new("agent", secretFile, new Uri(server.BaseAddress, "oauth/token")), TimeProvider.System, NullLogger<ClientCredentialsTokenSource>.Instance);

        Assert.Equal("tls-ok", await source.GetTokenAsync(CancellationToken.None));
        Assert.StartsWith("POST /oauth/token HTTP/1.1", Assert.Single(server.Requests), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n")]
    [InlineData("-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n")]
    public async Task CaFileWithoutAUsableCertificate_IsAConfigurationError(string content)
    {
        var caFile = Path.Combine(_directory.FullName, "broken.pem");
        await File.WriteAllTextAsync(caFile, content);
        await using var server = TinyHttpServer.Start(null, _ => (200, AnswerJson));

        var e = Assert.Throws<ConfigurationException>(() => ScaiVaultConnection.CreateHttpClient(Options(server, caFile)));

        Assert.Equal("SCAIVAULT_CA_FILE", e.Key);
        Assert.Contains(caFile, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NeverForgivesANameMismatch_AndKeepsWhatTheSystemAccepts()
    {
        var trust = CaBundleTrust.Load(TestCertificates.WritePem(_directory.FullName, "ca.pem", _privateCa), "SCAIVAULT_CA_FILE");
        using var server = TestCertificates.CreateServer(_privateCa);

        Assert.True(trust.Validate(this, server, null, SslPolicyErrors.None));
        Assert.True(trust.Validate(this, server, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(trust.Validate(this, server, null, SslPolicyErrors.RemoteCertificateNameMismatch));
        Assert.False(trust.Validate(this, server, null, SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(trust.Validate(this, null, null, SslPolicyErrors.RemoteCertificateNotAvailable));
    }

    /// <summary>The refusal happened in TLS: the server saw a connection end without a request, and got none.</summary>
    private static async Task AssertRefusedInTheHandshakeAsync(TinyHttpServer server)
    {
        await Eventually.TrueAsync(() => server.AbortedConnections > 0, TimeSpan.FromSeconds(10), "the server to see the refused connection");
        Assert.Empty(server.Requests);
    }

    private async Task<string> ExchangeAsync(TinyHttpServer server, string? caFile)
    {
        var tokenFile = Path.Combine(_directory.FullName, "token");
        await File.WriteAllTextAsync(tokenFile, "header.payload.signature");
        var options = Options(server, caFile) with { TokenFile = tokenFile };
        using var http = ScaiVaultConnection.CreateHttpClient(options);
        using var exchange = TokenSources.WorkloadExchange(http, options, TimeProvider.System, NullLogger<WorkloadTokenExchange>.Instance);
        return await exchange.GetTokenAsync(CancellationToken.None);
    }

    private static ScaiVaultOptions Options(TinyHttpServer server, string? caFile) => new()
    {
        BaseUrl = server.BaseAddress,
        TokenFile = "/nonexistent/token",
        CaFile = caFile,
        RequestTimeout = TimeSpan.FromSeconds(10),
        Paths = ScaiVaultPaths.Default,
    };
}
