namespace ScaiVault.CsiProvider.Configuration;

/// <summary>
/// The shared <see cref="ScaiVault.Hosting.Configuration.ConfigurationException"/> under the provider's namespace,
/// thrown by <see cref="ProviderConfiguration.ParseFlags"/>. It adds nothing: it is kept so that code naming the
/// provider's type (the packaging tests) compiles; catch the shared type.
/// </summary>
public sealed class ConfigurationException(string key, string problem)
    : ScaiVault.Hosting.Configuration.ConfigurationException(key, problem);
