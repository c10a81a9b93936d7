using LeaseAgent.Configuration;
using LeaseAgent.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ScaiVault.Client;

namespace LeaseAgent.ScaiVault;

/// <summary>Chooses how the agent authenticates to ScaiVault: static token, projected token, or client credentials.</summary>
public static class TokenSources
{
    /// <summary>
    /// In this order: <c>SCAIVAULT_TOKEN</c> (development); the projected token file when it exists (the
    /// production path, so mounting it wins over leftover client credentials); client credentials when
    /// configured; and otherwise the projected token file anyway, so that the error names the missing file.
    /// The choice is made once, at start: a token file that appears later is picked up on the next start.
    /// </summary>
    public static IScaiVaultTokenSource Create(IServiceProvider services, ScaiVaultOptions options)
    {
        var http = services.GetRequiredService<HttpClient>();
        var time = services.GetRequiredService<TimeProvider>();
        if (options.StaticToken is { } token)
        {
            Log.StaticToken(services.GetRequiredService<ILogger<StaticTokenSource>>());
            return new StaticTokenSource(token);
        }

        if (!File.Exists(options.TokenFile) && options.ClientCredentials is { } client)
        {
            var logger = services.GetRequiredService<ILogger<ClientCredentialsTokenSource>>();
            Log.ClientCredentialsSelected(logger, options.TokenFile, client.ClientId, ClientCredentialsTokenSource.Describe(client.TokenUrl));
            return new ClientCredentialsTokenSource(http, client, time, logger);
        }

        return WorkloadExchange(http, options, time, services.GetRequiredService<ILogger<WorkloadTokenExchange>>());
    }

    /// <summary>The workload exchange fed from <c>SCAIVAULT_TOKEN_FILE</c>, re-read on every exchange because the kubelet rotates it.</summary>
    public static WorkloadTokenExchange WorkloadExchange(HttpClient http, ScaiVaultOptions options, TimeProvider time, ILogger<WorkloadTokenExchange> logger) =>
        new(http, options.ToClientOptions(), cancellationToken => ReadTokenFileAsync(options.TokenFile, cancellationToken), time, logger);

    private static async ValueTask<string> ReadTokenFileAsync(string tokenFile, CancellationToken cancellationToken)
    {
        try
        {
            return (await File.ReadAllTextAsync(tokenFile, cancellationToken)).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ScaiVaultException(null, ErrorCodes.TokenFileUnreadable, $"cannot read the service-account token file {tokenFile}: {e.GetType().Name}");
        }
    }
}
