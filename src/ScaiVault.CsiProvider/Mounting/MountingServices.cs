using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ScaiVault.CsiProvider.Configuration;

namespace ScaiVault.CsiProvider.Mounting;

/// <summary>The services behind <see cref="CsiDriverProviderService.Mount"/>, for the provider's host and for in-process tests.</summary>
public static class MountingServices
{
    /// <param name="wire">Wraps the socket handler inside the bulkhead; tests count what reaches the wire. Null in production.</param>
    /// <exception cref="ScaiVault.Client.ScaiVaultSettingException">The CA bundle cannot be used (built here, so at start).</exception>
    public static IServiceCollection AddMounting(this IServiceCollection services, ProviderOptions options, Func<HttpMessageHandler, HttpMessageHandler>? wire = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new ScaiVaultServers(options, TimeProvider.System, wire));
        services.AddSingleton(provider => new PodTokenCache(options.TokenCacheSize, provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<InFlightReads>();
        services.AddSingleton<SecretMounter>();
        return services;
    }
}
