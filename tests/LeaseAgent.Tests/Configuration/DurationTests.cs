using ScaiVault.Hosting.Configuration;

namespace LeaseAgent.Tests.Configuration;

public sealed class DurationTests
{
    [Theory]
    [InlineData("90s", 90)]
    [InlineData("15m", 900)]
    [InlineData("1h", 3600)]
    [InlineData("24h", 86400)]
    [InlineData("1h30m", 5400)]
    [InlineData("2d", 172800)]
    [InlineData("45", 45)]
    [InlineData(" 4s ", 4)]
    public void TryParse_ValidText_ReturnsSeconds(string text, int seconds)
    {
        Assert.True(Duration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
    }

    [Fact]
    public void TryParse_Milliseconds_ReturnsFraction()
    {
        Assert.True(Duration.TryParse("250ms", out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(250), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("10x")]
    [InlineData("-5s")]
    [InlineData("1.5h")]
    [InlineData("h")]
    [InlineData("99999999999999999999d")]
    [InlineData("99999999999999999")] // bare seconds past TimeSpan.MaxValue: threw ArgumentOutOfRangeException (exit 134)
    [InlineData("9223372036854775807")]
    [InlineData("10675200d")]
    [InlineData("10675199d1d")]
    [InlineData("9223372036854775807ms")]
    public void TryParse_InvalidText_ReturnsFalse(string text) => Assert.False(Duration.TryParse(text, out _));

    [Fact]
    public void TryParse_LargestWholeDays_StillFits()
    {
        Assert.True(Duration.TryParse("10675199d", out var value));
        Assert.Equal(TimeSpan.FromDays(10675199), value);
    }

    /// <summary>The largest unit that states the value exactly; hours, never days (the dynamic-secrets docs write "1h" and "24h").</summary>
    [Theory]
    [InlineData(90, "90s")]
    [InlineData(45, "45s")]
    [InlineData(0.2, "1s")]
    [InlineData(59.5, "1m")] // rounded up to whole seconds first
    [InlineData(60, "1m")]
    [InlineData(900, "15m")]
    [InlineData(3600, "1h")]
    [InlineData(3660, "61m")]
    [InlineData(3601, "3601s")]
    [InlineData(5400, "90m")]
    [InlineData(86400, "24h")]
    [InlineData(172800, "48h")]
    public void ToScaiVault_FormatsInTheLargestExactUnit(double seconds, string expected) =>
        Assert.Equal(expected, Duration.ToScaiVault(TimeSpan.FromSeconds(seconds)));

    /// <summary>Whatever the agent sends, it (and the emulator) reads back as the same number of whole seconds.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(45)]
    [InlineData(3599)]
    [InlineData(5400)]
    [InlineData(86400)]
    [InlineData(31536000)]
    public void ToScaiVault_ParsesBackToTheSameSeconds(int seconds)
    {
        Assert.True(Duration.TryParse(Duration.ToScaiVault(TimeSpan.FromSeconds(seconds)), out var parsed));
        Assert.Equal(TimeSpan.FromSeconds(seconds), parsed);
    }
}
