using LeaseAgent.Configuration;
using Microsoft.Extensions.Configuration;

namespace LeaseAgent.Tests.Configuration;

public sealed class CredentialListParserTests
{
    private const string StateDirectory = "/run/secrets/.lease-agent";

    /// <summary>The agent-wide keys every line defaults to.</summary>
    private static readonly Dictionary<string, string?> Defaults = new()
    {
        ["DB_HOST"] = "db.internal",
        ["DB_NAME"] = "reporting",
        ["LEASE_ROTATE_BEFORE"] = "5m",
        ["OUTPUT_FORMAT"] = "env",
    };

    private static IReadOnlyList<CredentialOptions> Parse(string text, Dictionary<string, string?>? keys = null) =>
        CredentialListParser.Parse(text, new ConfigurationBuilder().AddInMemoryCollection(keys ?? Defaults).Build(), StateDirectory);

    private static ConfigurationException Refused(string text, Dictionary<string, string?>? keys = null)
    {
        var error = Assert.Throws<ConfigurationException>(() => Parse(text, keys));
        Assert.Equal(CredentialListParser.Key, error.Key);
        Assert.StartsWith("CREDENTIALS: line ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        return error;
    }

    [Fact]
    public void Parse_TheIssuesExample_TwoCredentialsWithDefaultsAndOverrides()
    {
        var credentials = Parse("""

            # reporting reads, billing writes
            reporting-db/readonly -> /run/secrets/db.json
            billing-db/readwrite  -> /run/secrets/billing.json   database=billing host=billing.internal

            """);

        Assert.Equal(2, credentials.Count);
        var (reporting, billing) = (credentials[0], credentials[1]);
        Assert.Equal("reporting-db/readonly", reporting.Name);
        Assert.Equal(("reporting-db", "readonly"), (reporting.Lease.Engine, reporting.Lease.Role));
        Assert.Equal(("db.internal", 5432, "reporting", "require"), (reporting.Database.Host, reporting.Database.Port, reporting.Database.Name, reporting.Database.SslMode));
        Assert.Equal(("/run/secrets/db.json", OutputFormat.Env, StateDirectory), (reporting.Output.File, reporting.Output.Format, reporting.Output.StateDirectory));
        Assert.Equal(TimeSpan.FromMinutes(5), reporting.Lease.RotateBefore);
        Assert.Null(reporting.Lease.Ttl);

        Assert.Equal("billing-db/readwrite", billing.Name);
        Assert.Equal(("billing.internal", "billing"), (billing.Database.Host, billing.Database.Name));
        Assert.Equal("/run/secrets/billing.json", billing.Output.File);
    }

    [Fact]
    public void Parse_EveryOverride_IsReadWithItsKeysParser()
    {
        var credential = Assert.Single(Parse("e/r -> /run/x/db.pgpass host=h2 port=6432 database=d2 sslmode=VERIFY-FULL format=pgpass mode=0640 ttl=1h30m name=e.r-2"));

        Assert.Equal("e.r-2", credential.Name);
        Assert.Equal(("h2", 6432, "d2", "verify-full"), (credential.Database.Host, credential.Database.Port, credential.Database.Name, credential.Database.SslMode));
        Assert.Equal((OutputFormat.Pgpass, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead), (credential.Output.Format, credential.Output.Mode));
        Assert.Equal(TimeSpan.FromMinutes(90), credential.Lease.Ttl);
    }

    [Fact]
    public void Parse_TwoCredentialsOfOneRole_CoexistUnderDifferentNames()
    {
        var credentials = Parse("e/r -> /run/a.json\ne/r -> /run/b.json name=e/r-second");

        Assert.Equal(["e/r", "e/r-second"], credentials.Select(c => c.Name));
    }

    [Fact]
    public void Parse_NoLines_IsEmpty()
    {
        Assert.Empty(Parse("  \n# only a comment\n"));
    }

    [Theory]
    [InlineData("e/r /run/a.json", "line 1 'e/r /run/a.json' has no '->'")]
    [InlineData("e/r -> /run/a.json -> /run/b.json", "has more than one '->'")]
    [InlineData("e -> /run/a.json", "needs ENGINE/ROLE before '->'")]
    [InlineData("e/r/x -> /run/a.json", "needs ENGINE/ROLE before '->'")]
    [InlineData("e/r -> run/a.json", "needs an absolute file path")]
    [InlineData("e/r -> /run/", "needs an absolute file path")]
    [InlineData("e/r ->", "needs an absolute file path")]
    [InlineData("e/r -> /run/../etc/a.json", "'..' segment")]
    [InlineData("e/r -> /run/a.json port", "not key=value")]
    [InlineData("e/r -> /run/a.json port=", "not key=value")]
    [InlineData("e/r -> /run/a.json colour=blue", "overrides 'colour', which a line cannot set; use name, host, port, database, sslmode, format, mode or ttl")]
    [InlineData("e/r -> /run/a.json port=1 port=2", "sets port= twice")]
    [InlineData("e/r -> /run/a.json name=a+b", "has name 'a+b'")]
    [InlineData("e/r -> /run/a.json port=0", "port: '0' is not a whole number from 1 to 65535")]
    [InlineData("e/r -> /run/a.json ttl=0s", "ttl: '0s' is too short; use at least 1s")]
    [InlineData("e/r -> /run/a.json ttl=366d", "ttl: '366d' is too long; use at most 365d")]
    [InlineData("e/r -> /run/a.json sslmode=on", "sslmode: 'on' is not a libpq sslmode")]
    [InlineData("e/r -> /run/a.json format=xml", "format: 'xml' is not one of json, env, pgpass, uri")]
    [InlineData("e/r -> /run/a.json mode=0777", "mode: '0777' must let the owner read and must not be executable")]
    public void Parse_MalformedLine_NamesTheLineAndTheProblem(string line, string problem)
    {
        var error = Refused(line);

        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.Contains("line 1 '", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ErrorOnALaterLine_CountsEveryLine()
    {
        var error = Refused("# comment\n\ne/r -> /run/a.json\ne/r -> /run/b.json port=x");

        Assert.StartsWith("CREDENTIALS: line 4 'e/r -> /run/b.json port=x' port: 'x' is not", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DuplicateName_IsRefusedNamingBothLines()
    {
        var error = Refused("e/r -> /run/a.json\ne/r -> /run/b.json");

        Assert.Contains("line 2 'e/r -> /run/b.json' is named 'e/r', as line 1 is; give one of them another name with name=", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DuplicateFile_IsRefusedNamingBothLines()
    {
        var error = Refused("a/r -> /run/a.json\nb/r -> /run/a.json");

        Assert.Contains("line 2 'b/r -> /run/a.json' writes /run/a.json, as line 1 does", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_RequiredValueInNeitherLineNorKey_AsksForEither()
    {
        var error = Refused("e/r -> /run/a.json", new() { ["DB_NAME"] = "reporting" });

        Assert.Contains("needs host=… (or DB_HOST for every line)", error.Message, StringComparison.Ordinal);
        Assert.Equal("db2", Assert.Single(Parse("e/r -> /run/a.json host=db2", new() { ["DB_NAME"] = "reporting" })).Database.Host);
    }

    [Fact]
    public void Parse_BadAgentWideDefault_IsThatKeysOwnError()
    {
        var error = Assert.Throws<ConfigurationException>(() => Parse("e/r -> /run/a.json", new(Defaults) { ["DB_PORT"] = "0" }));

        Assert.Equal("DB_PORT", error.Key);
        Assert.Equal(5433, Assert.Single(Parse("e/r -> /run/a.json port=5433", new(Defaults) { ["DB_PORT"] = "0" })).Database.Port);
    }

    [Theory]
    [InlineData("e/r -> /run/a.json password=hunter2")]
    [InlineData("e/r -> /run/a.json hunter2")]
    [InlineData("e/r password=hunter2")]
    public void Parse_MalformedLine_NeverShowsAValueThatCouldBeASecret(string line)
    {
        var error = Refused(line);

        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AgentOptions_SingleCredentialKeys_AreAListOfOneOfTheSameShape()
    {
        var options = AgentConfiguration.Load(new ConfigurationBuilder().AddInMemoryCollection(AgentConfigurationTests.Valid).Build());
        var fromList = Assert.Single(CredentialListParser.Parse("reporting-db/readonly -> /run/secrets/db.json", new ConfigurationBuilder().AddInMemoryCollection(AgentConfigurationTests.Valid).Build(), options.Output.StateDirectory));

        var single = Assert.Single(options.Credentials);

        Assert.Equal("reporting-db/readonly", single.Name);
        Assert.Equal(fromList.Lease, single.Lease);
        Assert.Equal(fromList.Output, single.Output);
        Assert.Equal((fromList.Database.Host, fromList.Database.Port, fromList.Database.Name, fromList.Database.SslMode), (single.Database.Host, single.Database.Port, single.Database.Name, single.Database.SslMode));
    }

    [Fact]
    public void Credentials_IsALiveKey()
    {
        Assert.Contains(CredentialListParser.Key, AgentConfiguration.Keys);
    }

    private static readonly Dictionary<string, string?> WithList = new()
    {
        ["SCAIVAULT_URL"] = "https://scaivault.example",
        ["DB_HOST"] = "db.internal",
        ["DB_NAME"] = "reporting",
        ["CREDENTIALS"] = """
            reporting-db/readonly -> /run/app/db.json
            billing-db/readwrite  -> /run/billing/billing.json database=billing
            """,
    };

    private static AgentOptions Load(Dictionary<string, string?> keys) => AgentConfiguration.Load(new ConfigurationBuilder().AddInMemoryCollection(keys).Build());

    [Fact]
    public void Load_Credentials_AreTheAgentsCredentials_InLineOrder()
    {
        var options = Load(WithList);

        Assert.Equal(["reporting-db/readonly", "billing-db/readwrite"], options.Credentials.Select(c => c.Name));
        Assert.Equal(["reporting", "billing"], options.Credentials.Select(c => c.Database.Name));
        Assert.Null(options.Lease); // the single-credential keys stay unset
        Assert.Null(options.Database);
    }

    [Fact]
    public void Load_Credentials_StateDirectoryDefaultsBesideTheFirstLinesFile_AndIsEveryCredentials()
    {
        var options = Load(WithList);

        Assert.Equal("/run/app/.lease-agent", options.Output.StateDirectory);
        Assert.All(options.Credentials, c => Assert.Equal("/run/app/.lease-agent", c.Output.StateDirectory));
        Assert.Equal("/run/app/.lease-agent", AgentConfiguration.StateDirectory(new ConfigurationBuilder().AddInMemoryCollection(WithList).Build()));
    }

    [Fact]
    public void StateDirectory_OnlyCredentials_IsBesideTheFirstLinesFile_AsTheProbeFindsIt()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["CREDENTIALS"] = "# the probe has none of run's other keys\n\n  e/r -> /run/app/db.json host=h\nf/s -> /run/other/x.json",
        }).Build();

        Assert.Equal("/run/app/.lease-agent", AgentConfiguration.StateDirectory(config));
    }

    [Fact]
    public void Load_Credentials_StateDirSet_IsEveryCredentials()
    {
        var options = Load(new(WithList) { ["STATE_DIR"] = "/var/lib/agent" });

        Assert.All(options.Credentials, c => Assert.Equal("/var/lib/agent", c.Output.StateDirectory));
    }

    [Theory]
    [InlineData("LEASE_ENGINE")]
    [InlineData("LEASE_ROLE")]
    public void Load_CredentialsWithASingleCredentialKey_IsRefused_NamingBoth(string key)
    {
        var error = Assert.Throws<ConfigurationException>(() => Load(new(WithList) { [key] = "reporting-db" }));

        Assert.Equal(CredentialListParser.Key, error.Key);
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
        Assert.Contains("not both", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SecretWrittenToACredentialsFile_IsRefused_NamingTheCredential()
    {
        var error = Assert.Throws<ConfigurationException>(() => Load(new(WithList) { ["SECRETS"] = "apps/config -> /run/billing/billing.json" }));

        Assert.Equal("SECRETS", error.Key);
        Assert.Contains("billing-db/readwrite (CREDENTIALS)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_CredentialsOfOnlyComments_AreNoCredentials_SoTheSingleKeysAreRequired()
    {
        var error = Assert.Throws<ConfigurationException>(() => Load(new(WithList) { ["CREDENTIALS"] = "# none yet" }));

        Assert.Equal("LEASE_ENGINE", error.Key);
    }

    [Fact]
    public void Load_MalformedCredentialsLine_IsRefused_NamingTheLine()
    {
        var error = Assert.Throws<ConfigurationException>(() => Load(new(WithList) { ["CREDENTIALS"] = "reporting-db/readonly /run/app/db.json" }));

        Assert.Equal(CredentialListParser.Key, error.Key);
        Assert.Contains("line 1", error.Message, StringComparison.Ordinal);
    }
}
