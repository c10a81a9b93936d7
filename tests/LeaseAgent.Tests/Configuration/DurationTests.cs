using LeaseAgent.Configuration;

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

    [Theory]
    [InlineData(90, "90s")]
    [InlineData(0.2, "1s")]
    [InlineData(3600, "3600s")]
    public void ToScaiVault_FormatsWholeSeconds(double seconds, string expected) =>
        Assert.Equal(expected, Duration.ToScaiVault(TimeSpan.FromSeconds(seconds)));
}
