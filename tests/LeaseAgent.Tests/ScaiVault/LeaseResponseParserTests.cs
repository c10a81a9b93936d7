using System.Text;
using System.Text.Json.Nodes;
using LeaseAgent.ScaiVault;
using ScaiVault.Client;

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

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1e10")]
    [InlineData("3e11")]
    [InlineData("1e300")]
    [InlineData("\"NaN\"")]
    [InlineData("\"99999999999999999999\"")]
    [InlineData("\"400d\"")]
    [InlineData("true")]
    public void Parse_AbsurdDuration_IsMalformed_AndNamesTheLeaseToRevoke(string duration)
    {
        var error = Assert.Throws<ScaiVaultException>(() => Parse($$$"""{"lease_id": "l1", "lease_duration": {{{duration}}}, "data": {"username": "u", "password": "p"}}"""));

        Assert.Equal(ErrorCodes.MalformedResponse, error.Code);
        Assert.Equal("l1", error.LeaseId);
        Assert.True(error.MayHaveTakenEffect);
    }

    [Theory]
    [InlineData("""{"lease_id": "l1", "issued_at": "2026-11-28T10:00:00Z", "expires_at": "9999-12-31T00:00:00Z"}""")]
    [InlineData("""{"lease_id": "l1", "issued_at": "2026-11-28T10:00:00Z", "expires_at": "2026-11-28T10:00:00Z"}""")]
    [InlineData("""{"lease_id": "l1", "lease_duration": 60, "expires_at": "2026-11-28T10:01:00Z", "max_expires_at": "9999-12-31T00:00:00Z"}""")]
    [InlineData("""{"lease_id": "l1", "lease_duration": 3600, "expires_at": "2026-11-28T11:00:00Z", "max_expires_at": "2026-11-28T10:30:00Z"}""")]
    public void Parse_AbsurdTimestamps_AreMalformed(string json)
    {
        var error = Assert.Throws<ScaiVaultException>(() => Parse(json, credential: false));

        Assert.Equal(ErrorCodes.MalformedResponse, error.Code);
        Assert.Equal("l1", error.LeaseId);
    }

    [Fact]
    public void Parse_DurationWithinAYear_AndARoundedHardEnd_AreAccepted()
    {
        var grant = Parse("""{"lease_id": "l1", "lease_duration": 31536000, "expires_at": "2027-11-28T10:00:00Z", "max_expires_at": "2027-11-28T09:59:59.5Z"}""", credential: false);

        Assert.Equal(TimeSpan.FromDays(365), grant.Duration);
        Assert.Equal(TimeSpan.FromDays(365), grant.TimeToHardEnd);
    }

    [Theory]
    [InlineData("v_r_1\nPGHOST=evil", "pw")]
    [InlineData("v_r_1\r", "pw")]
    [InlineData("v_r_1\u0000", "pw")]
    [InlineData("v_r_1", "x'\nPGHOST='evil")]
    [InlineData("v_r_1", "pw\r\n")]
    [InlineData("v_r_1", "pw\u0000")]
    [InlineData("v_r_1", "pw\u001b[2J")]
    [InlineData("v_r_1", "pw\u2028")]
    public void Parse_ControlCharacterInCredential_IsMalformed_AndNamesTheLeaseToRevoke(string username, string password)
    {
        var answer = new JsonObject { ["lease_id"] = "l1", ["lease_duration"] = 60, ["data"] = new JsonObject { ["username"] = username, ["password"] = password } };

        var error = Assert.Throws<ScaiVaultException>(() => Parse(answer.ToJsonString()));

        Assert.Equal(ErrorCodes.MalformedResponse, error.Code);
        Assert.Equal("l1", error.LeaseId);
        Assert.DoesNotContain("evil", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("../../v1/sys")]
    [InlineData("a/b")]
    [InlineData("a b")]
    [InlineData("dyn_%2e%2e")]
    [InlineData("dyn\n1")]
    public void Parse_LeaseIdThatCannotGoIntoAPath_IsMalformed_AndNeverRevoked(string leaseId)
    {
        var answer = new JsonObject { ["lease_id"] = leaseId, ["lease_duration"] = 60, ["data"] = new JsonObject { ["username"] = "u", ["password"] = "p" } };

        var error = Assert.Throws<ScaiVaultException>(() => Parse(answer.ToJsonString()));

        Assert.Equal(ErrorCodes.MalformedResponse, error.Code);
        Assert.Null(error.LeaseId);
    }

    [Fact]
    public void ParseIdsWithClientRef_SkipsIdsThatCannotGoIntoAPath()
    {
        var ids = LeaseResponseParser.ParseIdsWithClientRef(
            Encoding.UTF8.GetBytes("""{"leases": [{"lease_id": "..", "client_ref": "r"}, {"lease_id": "dyn_1:a-b.c", "client_ref": "r"}, {"lease_id": "dyn_2", "client_ref": "other"}]}"""),
            "r");

        Assert.Equal(["dyn_1:a-b.c"], ids);
    }
}
