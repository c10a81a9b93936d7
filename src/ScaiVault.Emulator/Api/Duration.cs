using System.Globalization;
using System.Text.Json.Nodes;

namespace ScaiVault.Emulator.Api;

/// <summary>
/// Durations as the contract writes them: <c>"90s"</c>, <c>"15m"</c>, <c>"1h"</c>, <c>"24h"</c>,
/// also compound (<c>"1h30m"</c>), days (<c>"7d"</c>) and a bare number of seconds (<c>"3600"</c>).
/// Milliseconds (<c>"250ms"</c>) only where the caller allows them (command-line flags).
/// </summary>
internal static class Duration
{
    private static readonly TimeSpan Max = TimeSpan.FromDays(3650);

    public static bool TryParse(string? text, bool allowMilliseconds, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 32)
        {
            return false;
        }

        var s = text.Trim();
        if (long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var bareSeconds))
        {
            if (bareSeconds > Max.TotalSeconds)
            {
                return false;
            }

            value = TimeSpan.FromSeconds(bareSeconds);
            return true;
        }

        var total = TimeSpan.Zero;
        var i = 0;
        while (i < s.Length)
        {
            var numberStart = i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }

            if (i == numberStart || i - numberStart > 10)
            {
                return false;
            }

            var number = long.Parse(s.AsSpan(numberStart, i - numberStart), NumberStyles.None, CultureInfo.InvariantCulture);
            var unitStart = i;
            while (i < s.Length && char.IsAsciiLetterLower(s[i]))
            {
                i++;
            }

            var unit = s.AsSpan(unitStart, i - unitStart) switch
            {
                "ms" when allowMilliseconds => TimeSpan.FromMilliseconds(1),
                "s" => TimeSpan.FromSeconds(1),
                "m" => TimeSpan.FromMinutes(1),
                "h" => TimeSpan.FromHours(1),
                "d" => TimeSpan.FromDays(1),
                _ => TimeSpan.Zero,
            };
            if (unit == TimeSpan.Zero || number > Max.Ticks / unit.Ticks)
            {
                return false;
            }

            total += TimeSpan.FromTicks(number * unit.Ticks);
            if (total > Max)
            {
                return false;
            }
        }

        value = total;
        return true;
    }

    /// <summary>Parses a positive API duration or throws <c>400 invalid_duration</c> naming the field.</summary>
    public static TimeSpan ParsePositive(string text, string field)
    {
        if (TryParse(text, allowMilliseconds: false, out var value) && value > TimeSpan.Zero)
        {
            return value;
        }

        throw ApiException.BadRequest(
            ErrorCodes.InvalidDuration,
            $"'{field}' must be a positive duration such as \"90s\", \"15m\" or \"1h\".",
            new JsonObject { ["field"] = field, ["value"] = text.Length <= 32 ? text : text[..32] });
    }

    /// <summary>Parses an optional API duration: null or empty means "not given".</summary>
    public static TimeSpan? ParseOptional(string? text, string field) =>
        string.IsNullOrEmpty(text) ? null : ParsePositive(text, field);
}
