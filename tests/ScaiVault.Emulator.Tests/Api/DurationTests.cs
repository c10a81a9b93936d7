using ScaiVault.Emulator.Api;
using Xunit;

namespace ScaiVault.Emulator.Tests.Api;

public class DurationTests
{
    [Theory]
    [InlineData("90s", 90)]
    [InlineData("15m", 900)]
    [InlineData("1h", 3600)]
    [InlineData("24h", 86400)]
    [InlineData("1h30m", 5400)]
    [InlineData("90m", 5400)] // the agent's form of 5400 s
    [InlineData("7d", 604800)]
    [InlineData("3600", 3600)]
    public void TryParse_ContractDurations_Parse(string text, int seconds)
    {
        Assert.True(Duration.TryParse(text, allowMilliseconds: false, out var value));
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("1x")]
    [InlineData("-5s")]
    [InlineData("1.5h")]
    [InlineData("h")]
    [InlineData("1H")]
    [InlineData("99999999999h")]
    public void TryParse_Garbage_Fails(string text) =>
        Assert.False(Duration.TryParse(text, allowMilliseconds: false, out _));

    [Fact]
    public void TryParse_Milliseconds_OnlyWhenAllowed()
    {
        Assert.False(Duration.TryParse("250ms", allowMilliseconds: false, out _));
        Assert.True(Duration.TryParse("250ms", allowMilliseconds: true, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(250), value);
    }

    [Theory]
    [InlineData("0s")]
    [InlineData("soon")]
    public void ParsePositive_Invalid_ThrowsInvalidDuration(string text)
    {
        var error = Assert.Throws<ApiException>(() => Duration.ParsePositive(text, "ttl"));
        Assert.Equal(400, error.StatusCode);
        Assert.Equal("invalid_duration", error.Code);
        Assert.Contains("'ttl'", error.Message, StringComparison.Ordinal);
    }
}
