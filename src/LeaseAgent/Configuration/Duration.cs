using System.Globalization;

namespace LeaseAgent.Configuration;

/// <summary>
/// Durations in ScaiVault's own notation: a whole number followed by <c>ms</c>, <c>s</c>, <c>m</c>,
/// <c>h</c> or <c>d</c>, optionally chained (<c>1h30m</c>). A bare number means seconds.
/// </summary>
public static class Duration
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var span = text.Trim().AsSpan();
        if (long.TryParse(span, NumberStyles.None, CultureInfo.InvariantCulture, out var bareSeconds))
        {
            value = TimeSpan.FromSeconds(bareSeconds);
            return true;
        }

        var total = TimeSpan.Zero;
        while (!span.IsEmpty)
        {
            var digits = 0;
            while (digits < span.Length && char.IsAsciiDigit(span[digits]))
            {
                digits++;
            }

            if (digits == 0 || !long.TryParse(span[..digits], NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
            {
                return false;
            }

            span = span[digits..];
            TimeSpan unit;
            if (span.StartsWith("ms", StringComparison.Ordinal))
            {
                unit = TimeSpan.FromMilliseconds(1);
                span = span[2..];
            }
            else if (span.Length > 0 && "smhd".Contains(span[0], StringComparison.Ordinal))
            {
                unit = span[0] switch
                {
                    's' => TimeSpan.FromSeconds(1),
                    'm' => TimeSpan.FromMinutes(1),
                    'h' => TimeSpan.FromHours(1),
                    _ => TimeSpan.FromDays(1),
                };
                span = span[1..];
            }
            else
            {
                return false;
            }

            try
            {
                total = checked(total + (unit * amount));
            }
            catch (OverflowException)
            {
                return false;
            }
        }

        value = total;
        return true;
    }

    /// <summary>Formats whole seconds the way ScaiVault expects them in request bodies (<c>"90s"</c>).</summary>
    public static string ToScaiVault(TimeSpan value) =>
        string.Create(CultureInfo.InvariantCulture, $"{Math.Max(1, (long)Math.Ceiling(value.TotalSeconds))}s");
}
