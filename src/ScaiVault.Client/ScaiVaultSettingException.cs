namespace ScaiVault.Client;

/// <summary>
/// A setting the client cannot use (an unreadable CA bundle): the caller reports it as its own configuration
/// error, naming <see cref="Setting"/>. The message is one line: setting, problem, fix.
/// </summary>
public sealed class ScaiVaultSettingException(string setting, string problem)
    : Exception($"{setting}: {problem}")
{
    public string Setting { get; } = setting;

    public string Problem { get; } = problem;
}
