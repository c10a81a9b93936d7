namespace ScaiVault.CsiProvider.Configuration;

/// <summary>A configuration value that cannot be used. The message is one line: key, problem, fix.</summary>
public sealed class ConfigurationException(string key, string problem)
    : Exception($"{key}: {problem}")
{
    public string Key { get; } = key;
}
