namespace ScaiVault.Emulator.Api;

internal static class Clock
{
    /// <summary>
    /// Now, truncated to whole milliseconds: Postgres keeps microseconds and the JSON shows
    /// milliseconds, so a value read back from the state store equals the one written.
    /// </summary>
    public static DateTimeOffset UtcNowMs(this TimeProvider time)
    {
        var now = time.GetUtcNow();
        return new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
    }

    /// <summary>Whole seconds left until <paramref name="end"/>, never negative.</summary>
    public static int SecondsUntil(this DateTimeOffset now, DateTimeOffset end) =>
        end <= now ? 0 : (int)Math.Min(int.MaxValue, Math.Floor((end - now).TotalSeconds));
}
