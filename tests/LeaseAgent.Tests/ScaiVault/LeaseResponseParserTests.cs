using System.Text;
using LeaseAgent.ScaiVault;

namespace LeaseAgent.Tests.ScaiVault;

public sealed class LeaseResponseParserTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);

    private static LeaseGrant Parse(string json, bool credential = true) =>
        LeaseResponseParser.Parse(Encoding.UTF8.GetBytes(json), Now, credential);

    [Fact]
    public void Parse_ContractShape_ReadsEveryField()
    {
        var grant = Parse("""
            {"lease_id": "dyn_abc", "engine": "reporting-db", "role": "readonly",
             "lease_duration": 3600, "renewable": true,
             "issued_at": "2026-11-28T10:00:00Z", "expires_at": "2026-11-28T11:00:00Z", "max_expires_at": "2026-11-28T18:00:00Z",
             "data": {"username": "v_readonly_8f3k2", "password": "pw"}}
            """);

        Assert.Equal("dyn_abc", grant.LeaseId);
        Assert.Equal(TimeSpan.FromHours(1), grant.Duration);
        Assert.Equal(TimeSpan.FromHours(8), grant.TimeToHardEnd);
        Assert.True(grant.Renewable);
        Assert.Equal(Now, grant.IssuedAt);
        Assert.Equal(new DatabaseCredential("v_readonly_8f3k2", "pw"), grant.Credential);
    }

    [Fact]
    public void Parse_AlternativeNames_AreTolerated()
    {
        var grant = Parse("""{"id": "l1", "ttl": "15m", "renewable": false, "username": "u", "password": "p"}""");

        Assert.Equal("l1", grant.LeaseId);
        Assert.Equal(TimeSpan.FromMinutes(15), grant.Duration);
        Assert.False(grant.Renewable);
        Assert.Null(grant.TimeToHardEnd);
        Assert.Equal("u", grant.Credential!.Username);
    }

    [Fact]
    public void Parse_OnlyExpiresAt_DerivesDuration()
    {
        var grant = Parse("""{"lease_id": "l1", "issued_at": "2026-11-28T10:00:00Z", "expires_at": "2026-11-28T10:05:00Z"}""", credential: false);

        Assert.Equal(TimeSpan.FromMinutes(5), grant.Duration);
        Assert.Null(grant.Credential);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("""{"lease_duration": 60, "data": {"username": "u", "password": "p"}}""")]
    [InlineData("""{"lease_id": "l1", "data": {"username": "u", "password": "p"}}""")]
    [InlineData("""{"lease_id": "l1", "lease_duration": 60, "data": {"username": "u"}}""")]
    [InlineData("""{"lease_id": "l1", "lease_duration": -5, "data": {"username": "u", "password": "p"}}""")]
    [InlineData("""{"lease_id": 7, "lease_duration": 60, "data": {"username": "u", "password": "p"}}""")]
    [InlineData("""{"lease_id": "l1", "lease_duration": 1e300, "data": {"username": "u", "password": "p"}}""")]
    public void Parse_HostileOrBroken_ThrowsMalformedResponse(string json)
    {
        var error = Assert.Throws<ScaiVaultException>(() => Parse(json));

        Assert.Equal(ErrorCodes.MalformedResponse, error.Code);
        Assert.False(error.IsTransient);
    }
}
