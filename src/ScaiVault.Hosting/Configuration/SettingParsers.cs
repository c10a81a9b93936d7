using System.Globalization;

namespace ScaiVault.Hosting.Configuration;

/// <summary>
/// The typed parsers every executable reads its keys with. Each turns a value into its type or throws a
/// <see cref="ConfigurationException"/> of one line: the key, what is wrong, and what to write instead.
/// </summary>
public static class SettingParsers
{
    /// <summary>Any text: the value as written (trimmed).</summary>
    public static string Text(SettingValue value) => value.Text;

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>, digits only.</summary>
    public static Func<SettingValue, int> WholeNumber(int min, int max) => value =>
        int.TryParse(value.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max
            ? number
            : throw value.NotUsable($"is not a whole number from {min} to {max}");

    /// <summary>A <see cref="Configuration.Duration"/> from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static Func<SettingValue, TimeSpan> Duration(TimeSpan min, TimeSpan max) => value =>
    {
        if (!Configuration.Duration.TryParse(value.Text, out var duration))
        {
            throw value.NotUsable("is not a duration; use a number with a unit, e.g. 90s, 15m or 1h");
        }

        return duration < min ? throw value.NotUsable($"is too short; use at least {Configuration.Duration.Format(min)}")
            : duration > max ? throw value.NotUsable($"is too long; use at most {Configuration.Duration.Format(max)}")
            : duration;
    };

    /// <summary><c>true</c>/<c>1</c>/<c>yes</c>/<c>on</c> or <c>false</c>/<c>0</c>/<c>no</c>/<c>off</c>, any case.</summary>
    public static bool Boolean(SettingValue value) => value.Text.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" => false,
        _ => throw value.NotUsable("is not a boolean; use true or false"),
    };

    /// <summary>A member of <typeparamref name="TEnum"/> by name, any case; never by number.</summary>
    public static TEnum Enum<TEnum>(SettingValue value)
        where TEnum : struct, System.Enum =>
        System.Enum.TryParse<TEnum>(value.Text, ignoreCase: true, out var member) && System.Enum.IsDefined(member) && !char.IsAsciiDigit(value.Text[0])
            ? member
            : throw value.NotUsable($"is not one of {string.Join(", ", System.Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant()))}");

    /// <summary>One of <paramref name="names"/>, any case, returned in lower case; <paramref name="what"/> names the kind (<c>a log format</c>).</summary>
    public static Func<SettingValue, string> OneOf(IReadOnlyList<string> names, string what) => value =>
    {
        var lower = value.Text.ToLowerInvariant();
        return names.Contains(lower, StringComparer.Ordinal)
            ? lower
            : throw new ConfigurationException(value.Key, $"{(value.IsSecret ? "the value" : $"'{lower}'")} is not {what}; use {Alternatives(names)}");
    };

    /// <summary>A path that exists now; <paramref name="fix"/> says what belongs there.</summary>
    public static Func<SettingValue, string> ExistingFile(string fix) => value =>
        File.Exists(value.Text) ? value.Text : throw value.NotUsable($"does not exist; {fix}");

    /// <summary>A path without control characters, made absolute against the working directory.</summary>
    public static string FullPath(SettingValue value) =>
        value.Text.Any(char.IsControl)
            ? throw new ConfigurationException(value.Key, "contains a control character; use a plain path")
            : Path.GetFullPath(value.Text);

    /// <summary><c>a, b or c</c>: the choices of an error message.</summary>
    public static string Alternatives(IReadOnlyList<string> names) =>
        names.Count < 2 ? string.Join("", names) : $"{string.Join(", ", names.Take(names.Count - 1))} or {names[^1]}";
}
