using LeaseAgent.Configuration;
using ScaiVault.Client;

namespace LeaseAgent.ScaiVault;

/// <summary>The agent's one HTTP client for ScaiVault and ScaiKey, from its configuration.</summary>
public static class ScaiVaultConnection
{
    /// <summary>See <see cref="ScaiVaultHttpClient.Create"/>.</summary>
    /// <exception cref="ConfigurationException">The CA bundle cannot be read or holds no certificate (exit 2).</exception>
    public static HttpClient CreateHttpClient(ScaiVaultOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            return ScaiVaultHttpClient.Create(options.ToClientOptions());
        }
        catch (ScaiVaultSettingException e)
        {
            throw new ConfigurationException(e.Setting, e.Problem);
        }
    }
}
