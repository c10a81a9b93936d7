using System.Net;
using System.Net.Sockets;
using ScaiVault.Client;

namespace LeaseAgent.Tests.SharedClient;

/// <summary>
/// Callers catch one exception type: a ScaiVault that never answers ends the call with a
/// <see cref="ScaiVaultException"/> coded <c>timeout</c>, never with Polly's own <c>TimeoutRejectedException</c>.
/// </summary>
public sealed class ScaiVaultTimeoutTests
{
    [Fact]
    public async Task Read_FromAServerThatNeverAnswers_FailsAsScaiVaultException_CodedTimeout()
    {
        // Listening but never accepting: the kernel completes the handshake, the request is sent, no answer comes.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var options = new ScaiVaultClientOptions
        {
            BaseUrl = new Uri($"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}"),
            UrlSetting = "SCAIVAULT_URL",
            CaFileSetting = "SCAIVAULT_CA_FILE",
            RequestTimeout = TimeSpan.FromMilliseconds(200),
        };
        using var http = ScaiVaultHttpClient.Create(options);
        var reader = new ScaiVaultSecretReader(http, options, TimeProvider.System);

        var error = await Assert.ThrowsAsync<ScaiVaultException>(() =>
            reader.ReadAsync(new FixedToken(), "apps/x", version: null, Deadline.From(TimeProvider.System, TimeSpan.FromSeconds(2)), CancellationToken.None));

        Assert.Equal((ErrorCodes.Timeout, true), (error.Code, error.IsTransient));
    }

    private sealed class FixedToken : IScaiVaultTokenSource
    {
        public ValueTask<string> GetTokenAsync(CancellationToken cancellationToken) => ValueTask.FromResult("sv-token");

        public void Invalidate()
        {
        }
    }
}
