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
    /// The choice, made once at start in this order: <c>SCAIVAULT_TOKEN</c> (development); the projected token file
    /// when it exists (the production path, so mounting it wins over leftover client credentials); client credentials
    /// when configured; and otherwise the projected token file anyway, which <see cref="RequireUsable"/> refuses at
    /// start. A token file that appears later is picked up on the next start.
    /// </summary>
    public static TokenSourceKind Choose(ScaiVaultOptions options) =>
        options.StaticToken is not null ? TokenSourceKind.StaticToken
        : options.ClientCredentials is null || File.Exists(options.TokenFile) ? TokenSourceKind.ProjectedToken
        : TokenSourceKind.ClientCredentials;

    /// <summary>
    /// Exit 2 at start when the choice falls on a projected token that is not there: no credential of any kind
    /// is configured. <c>init</c> and <c>run</c> call it before anything else is started.
    /// </summary>
    public static void RequireUsable(ScaiVaultOptions options)
    {
        if (Choose(options) == TokenSourceKind.ProjectedToken && !File.Exists(options.TokenFile))
        {
            throw new ConfigurationException(
                AgentKeys.TokenFile.Name,
                $"'{options.TokenFile}' does not exist; mount a projected service-account token there (audience scaivault), configure SCAIVAULT_CLIENT_ID with its secret file and SCAIKEY_TOKEN_URL, or set SCAIVAULT_TOKEN for development");
        }
    }

    /// <summary>The token source <see cref="Choose"/> picks.</summary>
    public static IScaiVaultTokenSource Create(IServiceProvider services, ScaiVaultOptions options)
    {
        var http = services.GetRequiredService<HttpClient>();
        var time = services.GetRequiredService<TimeProvider>();
        switch (Choose(options))
        {
            case TokenSourceKind.StaticToken:
                Log.StaticToken(services.GetRequiredService<ILogger<StaticTokenSource>>());
                return new StaticTokenSource(options.StaticToken!);
            case TokenSourceKind.ClientCredentials:
                var client = options.ClientCredentials!;
                var logger = services.GetRequiredService<ILogger<ClientCredentialsTokenSource>>();
                Log.ClientCredentialsSelected(logger, options.TokenFile, client.ClientId, ClientCredentialsTokenSource.Describe(client.TokenUrl));
                return new ClientCredentialsTokenSource(http, client, time, logger);
            default:
                return WorkloadExchange(http, options, time, services.GetRequiredService<ILogger<WorkloadTokenExchange>>());
        }
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

/// <summary>How the agent authenticates to ScaiVault (<see cref="TokenSources.Choose"/>).</summary>
public enum TokenSourceKind
{
    /// <summary>The projected service-account token, exchanged (production).</summary>
    ProjectedToken,

    /// <summary><c>SCAIVAULT_TOKEN</c>, for development.</summary>
    StaticToken,

    /// <summary>OAuth client credentials from ScaiKey, when no token file is mounted.</summary>
    ClientCredentials,
}
