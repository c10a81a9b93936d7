using System.Globalization;

namespace ScaiVault.Hosting.Configuration;

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
            return TryScale(bareSeconds, TimeSpan.TicksPerSecond, out value);
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
            long ticksPerUnit;
            if (span.StartsWith("ms", StringComparison.Ordinal))
            {
                ticksPerUnit = TimeSpan.TicksPerMillisecond;
                span = span[2..];
            }
            else if (span.Length > 0 && "smhd".Contains(span[0], StringComparison.Ordinal))
            {
                ticksPerUnit = span[0] switch
                {
                    's' => TimeSpan.TicksPerSecond,
                    'm' => TimeSpan.TicksPerMinute,
                    'h' => TimeSpan.TicksPerHour,
                    _ => TimeSpan.TicksPerDay,
                };
                span = span[1..];
            }
            else
            {
                return false;
            }

            if (!TryScale(amount, ticksPerUnit, out var part) || part > TimeSpan.MaxValue - total)
            {
                return false;
            }

            total += part;
        }

        value = total;
        return true;
    }

    /// <summary>
    /// <paramref name="amount"/> units as a TimeSpan, or false when that does not fit one. Integer tick arithmetic:
    /// <c>TimeSpan.FromSeconds</c> throws instead (a bare <c>99999999999999999</c> crashed the agent), and
    /// <c>TimeSpan * double</c> rounds large amounts.
    /// </summary>
    private static bool TryScale(long amount, long ticksPerUnit, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (amount > TimeSpan.MaxValue.Ticks / ticksPerUnit)
        {
            return false;
        }

        value = TimeSpan.FromTicks(amount * ticksPerUnit);
        return true;
    }

    /// <summary>Formats a limit for people, in its largest whole unit (<c>5m</c>, <c>24h</c>, <c>365d</c>).</summary>
    public static string Format(TimeSpan value)
    {
        foreach (var (ticks, unit) in new[] { (TimeSpan.TicksPerDay, "d"), (TimeSpan.TicksPerHour, "h"), (TimeSpan.TicksPerMinute, "m"), (TimeSpan.TicksPerSecond, "s") })
        {
            if (value.Ticks >= ticks && value.Ticks % ticks == 0)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{value.Ticks / ticks}{unit}");
            }
        }

        return string.Create(CultureInfo.InvariantCulture, $"{(long)value.TotalMilliseconds}ms");
    }

    /// <summary>
    /// Formats a duration for ScaiVault request bodies (<c>ttl</c>, <c>increment</c>): whole seconds (rounded up, at
    /// least 1) in the largest unit that states them exactly, <c>"1h"</c>, <c>"90m"</c>, <c>"45s"</c>. Hours, never
    /// days: ScaiVault's dynamic-secrets docs show only <c>"1h"</c> and <c>"24h"</c>, so <c>"86400s"</c> becomes <c>"24h"</c>.
    /// </summary>
    public static string ToScaiVault(TimeSpan value)
    {
        var seconds = Math.Max(1, (long)Math.Ceiling(value.TotalSeconds));
        return seconds % 3600 == 0 ? string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600}h")
            : seconds % 60 == 0 ? string.Create(CultureInfo.InvariantCulture, $"{seconds / 60}m")
            : string.Create(CultureInfo.InvariantCulture, $"{seconds}s");
    }
}
