using LeaseAgent.Configuration;
using LeaseAgent.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LeaseAgent.ScaiVault;

/// <summary>Chooses how the agent authenticates to ScaiVault: static token, projected token, or client credentials.</summary>
public static class TokenSources
{
    public static IScaiVaultTokenSource Create(IServiceProvider services, ScaiVaultOptions options)
    {
        if (options.StaticToken is { } token)
        {
            Log.StaticToken(services.GetRequiredService<ILogger<StaticTokenSource>>());
            return new StaticTokenSource(token);
        }

        return new WorkloadTokenExchange(
            services.GetRequiredService<HttpClient>(),
            options,
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<ILogger<WorkloadTokenExchange>>());
    }
}
