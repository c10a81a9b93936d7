namespace ScaiVault.Hosting.Configuration;

/// <summary>
/// Reads keys one at a time from a source (configuration, flags before environment, a line's overrides before the
/// agent-wide keys); a blank value counts as unset. Parsing is the <see cref="Setting{T}"/>'s or a
/// <see cref="SettingParsers"/> function's, so every bad value is one line naming its key.
/// </summary>
/// <param name="source">The raw value of a key, or null.</param>
public sealed class SettingReader(Func<string, string?> source)
{
    /// <summary>The trimmed value of <paramref name="key"/>, or null when it is unset or blank.</summary>
    public SettingValue? Value(string key, bool isSecret = false)
    {
        var text = source(key);
        return string.IsNullOrWhiteSpace(text) ? null : new SettingValue(key, text.Trim(), isSecret);
    }

    /// <summary>The trimmed text of <paramref name="key"/>, or null.</summary>
    public string? Optional(string key) => Value(key)?.Text;

    /// <summary>The parsed value of <paramref name="key"/>, or <paramref name="fallback"/> when it is unset.</summary>
    public T Read<T>(string key, Func<SettingValue, T> parse, T fallback) => Value(key) is { } value ? parse(value) : fallback;

    /// <summary>The value of a declared key.</summary>
    public T Read<T>(Setting<T> setting) => setting.Read(this);
}
