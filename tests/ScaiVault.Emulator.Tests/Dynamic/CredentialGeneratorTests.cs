using System.Text;
using ScaiVault.Emulator.Dynamic;
using Xunit;

namespace ScaiVault.Emulator.Tests.Dynamic;

public class CredentialGeneratorTests
{
    [Theory]
    [InlineData("readonly")]
    [InlineData("a")]
    [InlineData("a_role_name_that_is_exactly_sixty_three_characters_long_abcdefg")]
    public void Username_IsSafeIdentifierOfAtMost63Bytes(string role)
    {
        var username = CredentialGenerator.Username(role);
        Assert.Matches("^v_[a-z0-9_]+_[a-z0-9]{10}$", username);
        Assert.True(Encoding.UTF8.GetByteCount(username) <= 63, username);
        Assert.StartsWith("v_" + role[..Math.Min(role.Length, 50)], username, StringComparison.Ordinal);
    }

    [Fact]
    public void Password_IsLongAndUrlSafe()
    {
        var password = CredentialGenerator.Password();
        Assert.Matches("^[A-Za-z0-9_-]{32}$", password);
        Assert.NotEqual(password, CredentialGenerator.Password());
    }
}
