using ScaiVault.Emulator.Subscriptions;
using Xunit;

namespace ScaiVault.Emulator.Tests.Subscriptions;

public class PathGlobTests
{
    [Theory]
    [InlineData("apps/web/db", "apps/web/db", true)]
    [InlineData("apps/web/db", "apps/web/db2", false)]
    [InlineData("apps/web/db", "apps/web", false)]
    [InlineData("/apps/web/db/", "apps/web/db", true)]
    [InlineData("apps/*/db", "apps/web/db", true)]
    [InlineData("apps/*/db", "apps/web/eu/db", false)]
    [InlineData("apps/*", "apps/web", true)]
    [InlineData("apps/*", "apps/web/db", false)]
    [InlineData("apps/web-*", "apps/web-1", true)]
    [InlineData("apps/web-*", "apps/web-", true)]
    [InlineData("apps/web-*", "apps/api-1", false)]
    [InlineData("apps/*-db", "apps/orders-db", true)]
    [InlineData("apps/**", "apps", true)]
    [InlineData("apps/**", "apps/web", true)]
    [InlineData("apps/**", "apps/web/eu/db", true)]
    [InlineData("apps/**", "appsx/web", false)]
    [InlineData("apps/**/db", "apps/db", true)]
    [InlineData("apps/**/db", "apps/web/eu/db", true)]
    [InlineData("apps/**/db", "apps/web/eu/db/x", false)]
    [InlineData("**/root", "infra/pg/root", true)]
    [InlineData("**/root", "root", true)]
    [InlineData("**/root", "infra/pg/rootx", false)]
    [InlineData("**", "anything/at/all", true)]
    [InlineData("a.b/c", "a.b/c", true)]
    [InlineData("a.b/c", "aXb/c", false)]
    public void IsMatch_FollowsTheSegmentRules(string pattern, string path, bool expected)
    {
        Assert.True(PathGlob.TryParse(pattern, out var glob, out var problem), problem);
        Assert.Equal(expected, glob!.IsMatch(path));
    }

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("a//b")]
    [InlineData("a/**b")]
    [InlineData("a/***")]
    [InlineData("a/../b")]
    [InlineData("a/b c")]
    [InlineData("a/b?")]
    [InlineData("a/[bc]")]
    public void TryParse_RejectsWhatIsNotAPathGlob(string pattern)
    {
        Assert.False(PathGlob.TryParse(pattern, out var glob, out var problem));
        Assert.Null(glob);
        Assert.False(string.IsNullOrWhiteSpace(problem));
    }

    [Fact]
    public void TryParse_TooLong_IsRejected() =>
        Assert.False(PathGlob.TryParse(new string('a', PathGlob.MaxLength + 1), out _, out _));
}
