namespace ScaiVault.Hosting.Configuration;

/// <summary>
/// One value as an operator wrote it, with the key it was read from. Parsers refuse it through
/// <see cref="NotUsable"/>, which quotes the value unless the key is secret, so a mistyped password or token never
/// reaches an error message, a log or a terminal.
/// </summary>
/// <param name="Key">The key (or flag) the value was read from; the refusal starts with it.</param>
/// <param name="Text">The value, trimmed, never blank.</param>
/// <param name="IsSecret">Whether the value may be quoted back.</param>
public readonly record struct SettingValue(string Key, string Text, bool IsSecret = false)
{
    /// <summary>How a refusal names the value: quoted, or for a secret only "the value".</summary>
    public string Shown => IsSecret ? "the value" : $"'{Text}'";

    /// <summary><c>KEY: 'value' problem; fix</c>, for a <paramref name="problem"/> such as <c>is not a duration; use e.g. 90s</c>.</summary>
    public ConfigurationException NotUsable(string problem) => new(Key, $"{Shown} {problem}");
}
