namespace ScaiVault.Hosting.Configuration;

/// <summary>
/// A configuration value that cannot be used. The message is one line: key, problem, fix. Every executable turns
/// it into exit 2 with that line.
/// </summary>
public class ConfigurationException(string key, string problem)
    : Exception($"{key}: {problem}")
{
    /// <summary>The key (or flag) to fix.</summary>
    public string Key { get; } = key;

    /// <summary>The message without the key, for a caller that reports the value under another name (a line of a list).</summary>
    public string Problem { get; } = problem;
}
