using LeaseAgent.Configuration;
using LeaseAgent.Packaging.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace LeaseAgent.Packaging.Tests;

/// <summary>
/// charts/lease-agent with several credentials (<c>agent.credentials</c> → <c>CREDENTIALS</c>): the rendered lines,
/// read back by the agent's own <see cref="CredentialListParser"/>; the pod rules; what helm and the schema refuse;
/// and that a chart without the list renders as it did before it.
/// </summary>
public sealed class ChartCredentialsTests
{
    /// <summary>The issue's example, the second item with every override.</summary>
    private const string TwoCredentials = """
        agent:
          lease: { engine: "", role: "" }
          credentials:
            - engine: reporting-db
              role: readonly
              file: db.json
            - engine: billing-db
              role: readwrite
              file: billing.pgpass
              host: billing.internal
              port: 6432
              database: billing
              sslmode: verify-full
              format: pgpass
              mode: "0640"
              ttl: 1h30m
              name: billing
        """;

    private const string SingleCredentialLeftSet = """
        agent:
          credentials:
            - { engine: reporting-db, role: readonly, file: db.json }
        """;

    public static TheoryData<string, string> Modes => new()
    {
        { "native-sidecar", TwoCredentials },
        { "classic-sidecar", TwoCredentials + "\n  reload: { processName: ReportingService }\nmode: classic-sidecar\n" },
    };

    [Fact]
    public void Render_TwoCredentials_EnvironmentHasOneLinePerItemInTheParsersSyntax()
    {
        var agent = Agent(ChartRenderer.Render(TwoCredentials));

        Assert.Equal(
            [
                "reporting-db/readonly -> /run/secrets/db/db.json",
                "billing-db/readwrite -> /run/secrets/db/billing.pgpass host=billing.internal port=6432 database=billing sslmode=verify-full format=pgpass mode=0640 ttl=1h30m name=billing",
            ],
            agent.Environment[CredentialListParser.Key].Split('\n'));
    }

    [Fact]
    public void Render_TwoCredentials_TheAgentsParserReadsEveryItemWithTheChartsDefaults()
    {
        var agent = Agent(ChartRenderer.Render(TwoCredentials));
        var config = new ConfigurationBuilder().AddInMemoryCollection(agent.Environment.Select(e => KeyValuePair.Create(e.Key, (string?)e.Value))).Build();

        var credentials = CredentialListParser.Parse(agent.Environment[CredentialListParser.Key], config, agent.Environment["STATE_DIR"]);

        Assert.Equal(2, credentials.Count);
        var (reporting, billing) = (credentials[0], credentials[1]);
        Assert.Equal(("reporting-db/readonly", "reporting-db", "readonly"), (reporting.Name, reporting.Lease.Engine, reporting.Lease.Role));
        Assert.Equal(("postgres", 5432, "reporting", "require"), (reporting.Database.Host, reporting.Database.Port, reporting.Database.Name, reporting.Database.SslMode));
        Assert.Equal(("/run/secrets/db/db.json", OutputFormat.Json, UnixFileMode.UserRead | UnixFileMode.UserWrite), (reporting.Output.File, reporting.Output.Format, reporting.Output.Mode));
        Assert.Null(reporting.Lease.Ttl);

        Assert.Equal(("billing", "billing-db", "readwrite"), (billing.Name, billing.Lease.Engine, billing.Lease.Role));
        Assert.Equal(("billing.internal", 6432, "billing", "verify-full"), (billing.Database.Host, billing.Database.Port, billing.Database.Name, billing.Database.SslMode));
        Assert.Equal(("/run/secrets/db/billing.pgpass", OutputFormat.Pgpass, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead), (billing.Output.File, billing.Output.Format, billing.Output.Mode));
        Assert.Equal(TimeSpan.FromMinutes(90), billing.Lease.Ttl);
        Assert.All(credentials, c => Assert.Equal("/run/secrets/db/.lease-agent", c.Output.StateDirectory));
    }

    [Fact]
    public void Render_TwoCredentials_SingleCredentialKeysGiveWayAndTheStateStaysOnTheVolume()
    {
        var agent = Agent(ChartRenderer.Render(TwoCredentials));

        Assert.DoesNotContain("LEASE_ENGINE", agent.Environment.Keys);
        Assert.DoesNotContain("LEASE_ROLE", agent.Environment.Keys);
        Assert.DoesNotContain("OUTPUT_FILE", agent.Environment.Keys);
        Assert.Equal("/run/secrets/db/.lease-agent", agent.Environment["STATE_DIR"]);
        // The agent-wide keys stay: they are every line's defaults.
        Assert.Equal(("postgres", "5432", "reporting", "json", "0600"), (agent.Environment["DB_HOST"], agent.Environment["DB_PORT"], agent.Environment["DB_NAME"], agent.Environment["OUTPUT_FORMAT"], agent.Environment["OUTPUT_MODE"]));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Render_TwoCredentials_EveryModeFollowsThePodRules(string mode, string overrides)
    {
        var chart = ChartRenderer.Render(overrides);
        var findings = PodChecks.CheckPods(chart.Documents).Concat(PodChecks.CheckAgents(chart.Documents)).ToList();

        Assert.True(findings.Count == 0, mode + ":\n" + string.Join("\n", findings));
    }

    [Fact]
    public void Render_TwoCredentials_TheAppIsToldTheFirstFile()
    {
        var app = Assert.Single(Deployment(ChartRenderer.Render(TwoCredentials)).PodSpec()!.Maps("containers"));

        Assert.Contains(app.Maps("env"), e => e.Str("name") == "DB_CREDENTIALS_FILE" && e.Str("value") == "/run/secrets/db/db.json");
    }

    [Fact]
    public void Render_TwoCredentials_NotesNameEveryCredentialAndFile()
    {
        var notes = ChartRenderer.Render(TwoCredentials).Notes;

        Assert.Contains("generate credentials of\nreporting-db/readonly, billing-db/readwrite.", notes, StringComparison.Ordinal);
        Assert.Contains("ready, and the app starts, once every one is\npublished", notes, StringComparison.Ordinal);
        Assert.Contains("psql \"$(jq -r .uri /run/secrets/db/db.json)\"", notes, StringComparison.Ordinal);
        Assert.Contains("PGPASSFILE=/run/secrets/db/billing.pgpass psql -h billing.internal -p 6432 -d billing", notes, StringComparison.Ordinal);
        Assert.Contains("/run/secrets/db/.lease-agent/status.json", notes, StringComparison.Ordinal);
    }

    /// <summary>The agent refuses CREDENTIALS in init (exit 2): init writes one probed credential.</summary>
    [Fact]
    public void Render_CredentialsInInitOnlyMode_FailsNamingTheSidecarModes()
    {
        var error = Assert.Throws<HelmException>(() => ChartRenderer.Render(TwoCredentials + "\nmode: init-only\n"));

        Assert.Contains("agent.credentials needs a sidecar mode: lease-agent init writes one probed credential", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_CredentialsWithLeaseEngineAndRole_FailsSayingWhatToUnset()
    {
        var error = Assert.Throws<HelmException>(() => ChartRenderer.Render(SingleCredentialLeftSet));

        Assert.Contains(
            "agent.credentials and agent.lease.engine/agent.lease.role exclude each other: list every credential in agent.credentials and set agent.lease.engine and agent.lease.role to \"\"",
            error.Message,
            StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("role: \"\"", "agent.credentials and agent.lease.engine/agent.lease.role exclude each other")]
    [InlineData("engine: \"\"", "agent.credentials and agent.lease.engine/agent.lease.role exclude each other")]
    public void Render_CredentialsWithEitherSingleCredentialValue_Fails(string leaseLeftOut, string message)
    {
        var error = Assert.Throws<HelmException>(() => ChartRenderer.Render(
            SingleCredentialLeftSet.Replace("agent:\n", $"agent:\n  lease: {{ {leaseLeftOut} }}\n", StringComparison.Ordinal)));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("- { engine: a, role: r, file: a.json }\n    - { engine: b, role: r, file: a.json }", "agent.credentials[1].file \"a.json\" is the file of agent.credentials[0] too")]
    [InlineData("- { engine: a, role: r, file: a.json }\n    - { engine: a, role: r, file: b.json }", "agent.credentials[1] is named \"a/r\", as agent.credentials[0] is")]
    [InlineData("- { engine: a, role: r, file: a.json, name: x }\n    - { engine: b, role: r, file: b.json, name: x }", "agent.credentials[1] is named \"x\", as agent.credentials[0] is")]
    [InlineData("- { engine: a, role: r, file: .lease-agent }", "agent.credentials[0].file \".lease-agent\" is not a name the agent can write to")]
    [InlineData("- { engine: a, role: r, file: .. }", "agent.credentials[0].file \"..\" is not a name the agent can write to")]
    public void Render_CredentialsTheAgentWouldRefuse_Fail(string items, string message)
    {
        var error = Assert.Throws<HelmException>(() => ChartRenderer.Render($"agent:\n  lease: {{ engine: \"\", role: \"\" }}\n  credentials:\n    {items}\n"));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("host", "host", "agent.credentials[1] needs host (or agent.db.host for every credential)")]
    [InlineData("database", "name", "agent.credentials[1] needs database (or agent.db.name for every credential)")]
    public void Render_CredentialWithoutHostOrDatabaseAnywhere_Fails(string key, string dbKey, string message)
    {
        var overrides = $"agent:\n  lease: {{ engine: \"\", role: \"\" }}\n  db: {{ {dbKey}: \"\" }}\n  credentials:\n"
            + $"    - {{ engine: a, role: r, file: a.json, {key}: x }}\n    - {{ engine: b, role: r, file: b.json }}\n";

        var error = Assert.Throws<HelmException>(() => ChartRenderer.Render(overrides));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_EveryCredentialSetsHostAndDatabase_AgentWideOnesMayBeEmpty()
    {
        var chart = ChartRenderer.Render("""
            agent:
              lease: { engine: "", role: "" }
              db: { host: "", name: "" }
              credentials:
                - { engine: a, role: r, file: a.json, host: a.internal, database: a }
            """);
        var agent = Agent(chart);

        Assert.DoesNotContain("DB_HOST", agent.Environment.Keys);
        Assert.DoesNotContain("DB_NAME", agent.Environment.Keys);
        Assert.Equal("a/r -> /run/secrets/db/a.json host=a.internal database=a", agent.Environment[CredentialListParser.Key]);
        Assert.Empty(PodChecks.CheckAgents(chart.Documents));
    }

    [Theory]
    [InlineData("- { engine: a, role: r }", "at '/agent/credentials/0': missing property 'file'")]
    [InlineData("- { engine: a, role: r, file: a.json, colour: blue }", "at '/agent/credentials/0': additional properties 'colour' not allowed")]
    [InlineData("- { engine: a, role: r, file: /run/secrets/db/a.json }", "at '/agent/credentials/0/file'")]
    [InlineData("- { engine: a, role: r, file: a.json, port: \"6432\" }", "at '/agent/credentials/0/port'")]
    [InlineData("- { engine: a, role: r, file: a.json, host: \"db one\" }", "at '/agent/credentials/0/host'")]
    public void Render_MalformedItem_HelmRefusesItByTheSchema(string item, string message)
    {
        var error = Assert.Throws<HelmException>(() => ChartRenderer.Render($"agent:\n  lease: {{ engine: \"\", role: \"\" }}\n  credentials:\n    {item}\n"));

        Assert.Contains("values don't meet the specifications of the schema", error.Message, StringComparison.Ordinal);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    /// <summary>A chart without <c>agent.credentials</c> sets exactly the variables it set before the list existed.</summary>
    [Fact]
    public void Render_Defaults_EnvironmentIsTheSingleCredentialsAsBefore()
    {
        var agent = Agent(ChartRenderer.Render());

        Assert.Equal(
            [
                "SCAIVAULT_URL", "SCAIVAULT_TOKEN_FILE", "LEASE_ENGINE", "LEASE_ROLE", "DB_HOST", "DB_PORT", "DB_NAME", "DB_SSLMODE",
                "DB_REQUIRE_AUTH", "OUTPUT_FILE", "OUTPUT_FORMAT", "OUTPUT_MODE", "SUBSCRIBE", "FAIL_OPEN", "SHUTDOWN_TIMEOUT", "LOG_FORMAT",
                "LOG_LEVEL", "RELOAD_SIGNAL",
            ],
            agent.Container.Maps("env").Select(e => e.Str("name")));
        Assert.Equal(("postgres", "reporting", "/run/secrets/db/db.json"), (agent.Environment["DB_HOST"], agent.Environment["DB_NAME"], agent.Environment["OUTPUT_FILE"]));
    }

    [Theory]
    [InlineData("")]
    [InlineData("mode: init-only\n")]
    public void Render_EmptyCredentialList_IsTheDefaultRender(string overrides)
    {
        var without = ChartRenderer.Render(overrides);
        var empty = ChartRenderer.Render(overrides + "agent:\n  credentials: []\n");

        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(without.Documents), System.Text.Json.JsonSerializer.Serialize(empty.Documents));
        Assert.Equal(without.Notes, empty.Notes);
    }

    [Fact]
    public void Schema_CredentialItem_HasTheKeysOfALine()
    {
        var item = ValuesSchema.Load(ChartRenderer.ChartDirectory).Document
            .GetProperty("properties").GetProperty("agent").GetProperty("properties").GetProperty("credentials").GetProperty("items");

        Assert.Equal(
            new[] { "engine", "role", "file", CredentialListParser.NameOverride }.Concat(CredentialListParser.Overrides.Keys).Order(StringComparer.Ordinal),
            item.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["engine", "role", "file"], item.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.False(item.GetProperty("additionalProperties").GetBoolean());
    }

    [Theory]
    [InlineData("/run/secrets/db/billing.pgpass", "/tmp/billing.pgpass", "/tmp/billing.pgpass is not on a memory-backed emptyDir")]
    [InlineData("ttl=1h30m", "ttl=forever", "the agent would refuse it: CREDENTIALS: line 2")]
    [InlineData("billing-db/readwrite ->", "billing-db/readwrite", "the agent would refuse it: CREDENTIALS: line 2")]
    public void CheckAgents_ReportsACredentialsValueTheAgentCouldNotServe(string good, string bad, string finding)
    {
        var chart = ChartRenderer.Render(TwoCredentials);
        var env = Agent(chart).Container.Maps("env").Single(e => e.Str("name") == CredentialListParser.Key);
        Assert.Contains(good, env.Str("value")!, StringComparison.Ordinal);
        env["value"] = env.Str("value")!.Replace(good, bad, StringComparison.Ordinal);

        var findings = PodChecks.CheckAgents(chart.Documents);

        Assert.Contains(findings, f => f.Contains(finding, StringComparison.Ordinal));
    }

    [Fact]
    public void CheckAgents_ReportsCredentialsBesideLeaseEngine()
    {
        var chart = ChartRenderer.Render(TwoCredentials);
        var agent = Agent(chart);
        ((List<object?>)agent.Container["env"]!).Add(new Dictionary<string, object?> { ["name"] = "LEASE_ENGINE", ["value"] = "reporting-db" });

        var findings = PodChecks.CheckAgents(chart.Documents);

        Assert.Contains(findings, f => f.Contains("CREDENTIALS and LEASE_ENGINE/LEASE_ROLE exclude each other", StringComparison.Ordinal));
    }

    /// <summary>The values example of docs/kubernetes.md renders the CREDENTIALS the page shows next to it.</summary>
    [Fact]
    public void KubernetesDoc_SeveralCredentials_ExampleRendersWhatThePageShows()
    {
        var section = Section(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "docs", "kubernetes.md")), "## Several credentials");
        var blocks = section.Split("```").Where((_, index) => index % 2 == 1).ToList();
        var values = blocks[0]["yaml\n".Length..];
        var shown = blocks[1].Trim('\n');

        var agent = Agent(ChartRenderer.Render(values));

        Assert.Equal(shown, CredentialListParser.Key + "=" + agent.Environment[CredentialListParser.Key]);
    }

    /// <summary>The chart README's example is the page's, and renders the lines the README quotes.</summary>
    [Fact]
    public void ChartReadme_SeveralCredentials_ExampleRendersTheQuotedLines()
    {
        var section = Section(File.ReadAllText(Path.Combine(ChartRenderer.ChartDirectory, "README.md")), "## Several credentials");
        var values = section.Split("```")[1]["yaml\n".Length..];

        var lines = Agent(ChartRenderer.Render(values)).Environment[CredentialListParser.Key].Split('\n');

        Assert.Equal(2, lines.Length);
        Assert.All(lines, line => Assert.Contains($"`{line}`", section.ReplaceLineEndings(" "), StringComparison.Ordinal));
    }

    private static string Section(string markdown, string heading)
    {
        var start = markdown.IndexOf(heading + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no section '{heading}'");
        var end = markdown.IndexOf("\n## ", start + heading.Length, StringComparison.Ordinal);
        return markdown[start..(end < 0 ? markdown.Length : end)];
    }

    private static AgentContainer Agent(RenderedChart chart) => Assert.Single(PodChecks.Agents(chart.Documents));

    private static Dictionary<string, object?> Deployment(RenderedChart chart) => Assert.Single(chart.Documents, d => d.Kind() == "Deployment");
}
