using ScaiVault.Emulator.Dynamic;
using Xunit;

namespace ScaiVault.Emulator.Tests.Dynamic;

public class StatementTemplateTests
{
    [Fact]
    public void Render_SubstitutesEveryPlaceholder()
    {
        var sql = StatementTemplate.Render(
            "CREATE ROLE \"{{name}}\" PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; GRANT x TO \"{{username}}\"",
            "v_app_abc",
            "SCRAM-SHA-256$4096:s$k:k",
            new DateTimeOffset(2026, 11, 28, 11, 0, 0, TimeSpan.Zero));
        Assert.Equal(
            "CREATE ROLE \"v_app_abc\" PASSWORD 'SCRAM-SHA-256$4096:s$k:k' VALID UNTIL '2026-11-28 11:00:00+00'; GRANT x TO \"v_app_abc\"",
            sql);
    }

    [Fact]
    public void FormatExpiration_RoundsUpToTheSecond() =>
        Assert.Equal(
            "2026-11-28 11:00:01+00",
            StatementTemplate.FormatExpiration(new DateTimeOffset(2026, 11, 28, 11, 0, 0, 1, TimeSpan.Zero)));

    [Theory]
    [InlineData("SELECT '{{name}}'", null)]
    [InlineData("SELECT '{{nme}}'", "{{nme}}")]
    [InlineData("SELECT '{{ name }}'", "{{ name }}")]
    public void FindUnknownPlaceholder_FlagsTypos(string statement, string? expected) =>
        Assert.Equal(expected, StatementTemplate.FindUnknownPlaceholder(statement));
}
