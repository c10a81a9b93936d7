using LeaseAgent.Packaging.Tests.Infrastructure;

namespace LeaseAgent.Packaging.Tests;

/// <summary>
/// charts/lease-agent rendered by helm (<see cref="ChartRenderer"/>) with the default values and with each mode,
/// then checked like the samples.
/// </summary>
public sealed class ChartTemplateTests
{
    private const string Classic = "mode: classic-sidecar\nagent:\n  reload:\n    processName: ReportingService\n";
    private const string InitOnly = "mode: init-only\n";

    public static TheoryData<string, string> Modes => new()
    {
        { "native-sidecar", "" },
        { "classic-sidecar", Classic },
        { "init-only", InitOnly },
    };

    [Fact]
    public void ChartYaml_RequiresKubernetes129ForNativeSidecars()
    {
        var chart = YamlDocuments.LoadValues(File.ReadAllText(Path.Combine(ChartRenderer.ChartDirectory, "Chart.yaml")), "Chart.yaml");

        Assert.Equal("v2", chart.Str("apiVersion"));
        Assert.Equal("lease-agent", chart.Str("name"));
        Assert.Equal(">=1.29.0-0", chart.Str("kubeVersion"));
        Assert.Equal(ProjectVersion(), chart.Str("appVersion"));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Render_EveryMode_PodsAreHardened(string mode, string overrides)
    {
        var chart = ChartRenderer.Render(overrides);
        var findings = PodChecks.CheckPods(chart.Documents);

        Assert.True(findings.Count == 0, mode + ":\n" + string.Join("\n", findings));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Render_EveryMode_AgentFollowsThePodRules(string mode, string overrides)
    {
        var chart = ChartRenderer.Render(overrides);
        var findings = PodChecks.CheckAgents(chart.Documents);

        Assert.True(findings.Count == 0, mode + ":\n" + string.Join("\n", findings));
    }

    [Theory]
    [InlineData("", AgentRole.NativeSidecar, true)]
    [InlineData(Classic, AgentRole.ClassicSidecar, false)]
    [InlineData(InitOnly, AgentRole.Init, true)]
    public void Render_Mode_PlacesTheAgent(string overrides, AgentRole role, bool inInitContainers)
    {
        var chart = ChartRenderer.Render(overrides);
        var agent = Assert.Single(PodChecks.Agents(chart.Documents));

        Assert.Equal(role, agent.Role);
        Assert.Equal(inInitContainers, agent.Pod.Maps("initContainers").Contains(agent.Container));
        Assert.Equal(role == AgentRole.ClassicSidecar, agent.Pod.Get("shareProcessNamespace") is true);
    }

    [Fact]
    public void Render_Defaults_NativeSidecarIsFirstAndHoldsTheAppBackUntilReady()
    {
        var pod = Deployment(ChartRenderer.Render()).PodSpec()!;
        var sidecar = pod.Maps("initContainers").First();

        Assert.Equal("lease-agent", sidecar.Str("name"));
        Assert.Equal("Always", sidecar.Str("restartPolicy"));
        Assert.Equal(new[] { "run" }, sidecar.Strings("args"));
        Assert.Equal(new[] { "lease-agent", "probe", "ready" }, sidecar.Map("startupProbe").Map("exec").Strings("command"));
        Assert.Equal(new[] { "lease-agent", "probe", "live" }, sidecar.Map("livenessProbe").Map("exec").Strings("command"));
        Assert.Equal(120L, sidecar.Map("startupProbe").Get("failureThreshold"));
        Assert.Equal("app", Assert.Single(pod.Maps("containers")).Str("name"));
    }

    [Fact]
    public void Render_Defaults_MemoryVolumeIsReadOnlyInTheAppAndTheAppIsToldWhereTheFileIs()
    {
        var pod = Deployment(ChartRenderer.Render()).PodSpec()!;
        var app = Assert.Single(pod.Maps("containers"));
        var volume = Assert.Single(pod.Maps("volumes"), v => v.Str("name") == "secrets");
        var mount = Assert.Single(app.Maps("volumeMounts"), m => m.Str("name") == "secrets");
        var agent = Assert.Single(PodChecks.Agents([Deployment(ChartRenderer.Render())]));

        Assert.Equal("Memory", volume.Map("emptyDir").Str("medium"));
        Assert.Equal("1Mi", volume.Map("emptyDir").Str("sizeLimit"));
        Assert.Equal(true, mount.Get("readOnly"));
        Assert.Equal("/run/secrets/db/db.json", agent.Environment["OUTPUT_FILE"]);
        Assert.Contains(app.Maps("env"), e => e.Str("name") == "DB_CREDENTIALS_FILE" && e.Str("value") == "/run/secrets/db/db.json");
    }

    [Fact]
    public void Render_Defaults_TokenIsProjectedWithAudienceAndExpiry()
    {
        var pod = Deployment(ChartRenderer.Render()).PodSpec()!;
        var source = Assert.Single(Assert.Single(pod.Maps("volumes"), v => v.Str("name") == "scaivault-token").Map("projected").Maps("sources")).Map("serviceAccountToken");
        var agent = Assert.Single(PodChecks.Agents([Deployment(ChartRenderer.Render())]));

        Assert.Equal("scaivault", source.Str("audience"));
        Assert.Equal(3600L, source.Get("expirationSeconds"));
        Assert.Equal("/var/run/secrets/scaivault/token", agent.Environment["SCAIVAULT_TOKEN_FILE"]);
        Assert.Equal(false, pod.Get("automountServiceAccountToken"));
    }

    [Fact]
    public void Render_Overrides_AudienceAndExpiryReachTheVolume()
    {
        var chart = ChartRenderer.Render("token:\n  audience: vault.example\n  expirationSeconds: 7200\n");
        var source = Deployment(chart).PodSpec()!.Maps("volumes").Single(v => v.Str("name") == "scaivault-token")
            .Map("projected").Maps("sources").Single().Map("serviceAccountToken");

        Assert.Equal("vault.example", source.Str("audience"));
        Assert.Equal(7200L, source.Get("expirationSeconds"));
        Assert.Empty(PodChecks.CheckAgents(chart.Documents, expectedAudience: "vault.example"));
    }

    [Fact]
    public void Render_Defaults_ServiceAccountCarriesTheScaiKeyRole()
    {
        var chart = ChartRenderer.Render();
        var account = Assert.Single(chart.Documents, d => d.Kind() == "ServiceAccount");

        Assert.Equal("reporting-lease-agent", account.Name());
        Assert.Equal("sa:reporting-lease-agent", account.Map("metadata").Map("annotations").Str(PodChecks.RoleAnnotation));
        Assert.Equal(account.Name(), Deployment(chart).PodSpec()!.Str("serviceAccountName"));
    }

    [Fact]
    public void Render_ExplicitScaiKeyRole_IsUsed()
    {
        var chart = ChartRenderer.Render("serviceAccount:\n  scaikeyRole: \"sa:billing-prod\"\n");
        var account = Assert.Single(chart.Documents, d => d.Kind() == "ServiceAccount");

        Assert.Equal("sa:billing-prod", account.Map("metadata").Map("annotations").Str(PodChecks.RoleAnnotation));
    }

    [Theory]
    [InlineData(30, "25s")]
    [InlineData(60, "55s")]
    [InlineData(10, "5s")]
    public void Render_ShutdownTimeout_IsTheGracePeriodLessFiveSeconds(int grace, string expected)
    {
        var chart = ChartRenderer.Render($"terminationGracePeriodSeconds: {grace}\n");
        var agent = Assert.Single(PodChecks.Agents(chart.Documents));

        Assert.Equal(expected, agent.Environment["SHUTDOWN_TIMEOUT"]);
        Assert.Equal((long)grace, agent.Pod.Get("terminationGracePeriodSeconds"));
        Assert.Empty(PodChecks.CheckAgents(chart.Documents));
    }

    [Theory]
    [InlineData(30, "", "12s")]
    [InlineData(30, "3s", "3s")]
    [InlineData(10, "", "2s")]
    public void Render_ClassicSidecar_RevokeDelayDefaultsToHalfTheShutdownBudget(int grace, string revokeDelay, string expected)
    {
        var chart = ChartRenderer.Render($"{Classic}  revokeDelay: \"{revokeDelay}\"\nterminationGracePeriodSeconds: {grace}\n");
        var agent = Assert.Single(PodChecks.Agents(chart.Documents));

        Assert.Equal(expected, agent.Environment["REVOKE_DELAY"]);
        Assert.Equal("ReportingService", agent.Environment["RELOAD_PROCESS_NAME"]);
    }

    [Fact]
    public void Render_ClassicSidecarWithoutProcessName_Fails()
    {
        var error = Assert.Throws<HelmException>(() => ChartRenderer.Render("mode: classic-sidecar\n"));

        Assert.Contains("agent.reload.processName is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Defaults_EnvironmentCarriesEveryConfiguredSettingAndNoEmptyOnes()
    {
        var agent = Assert.Single(PodChecks.Agents(ChartRenderer.Render().Documents));

        Assert.Equal("https://scaivault.scailabs.ai", agent.Environment["SCAIVAULT_URL"]);
        Assert.Equal("reporting-db", agent.Environment["LEASE_ENGINE"]);
        Assert.Equal("readonly", agent.Environment["LEASE_ROLE"]);
        Assert.Equal("5432", agent.Environment["DB_PORT"]);
        Assert.Equal("require", agent.Environment["DB_SSLMODE"]); // TLS, and the probe never hands the password over
        Assert.Equal("scram-sha-256", agent.Environment["DB_REQUIRE_AUTH"]);
        Assert.Equal("0600", agent.Environment["OUTPUT_MODE"]);
        Assert.Equal("false", agent.Environment["SUBSCRIBE"]);
        Assert.DoesNotContain("LEASE_TTL", agent.Environment.Keys);
        Assert.DoesNotContain("SECRETS", agent.Environment.Keys);
        Assert.DoesNotContain("REVOKE_DELAY", agent.Environment.Keys);
        Assert.All(agent.Environment, p => Assert.NotEqual("", p.Value));
    }

    [Fact]
    public void Render_EveryAgentSetting_ReachesTheEnvironment()
    {
        var chart = ChartRenderer.Render("""
            agent:
              scaivaultUrl: https://vault.example
              lease: { engine: billing-db, role: writer, ttl: 15m, rotateBefore: 5m, drainTimeout: 30s }
              db: { host: db.billing, port: 6432, name: billing, sslmode: verify-full, requireAuth: "scram-sha-256,md5", probeQuery: "select 1" }
              output: { fileName: pg.env, format: env, mode: "0640" }
              secrets: |
                apps/billing/config -> /run/secrets/db/config.json
              refreshInterval: 2m
              subscribe: true
              failOpen: true
              initTimeout: 90s
              healthAddress: "0.0.0.0:8099"
              log: { format: text, level: debug }
              reload: { signal: USR1, processName: billing }
              extraEnv:
                - name: SCAIVAULT_CA_FILE
                  value: /etc/ssl/extra/ca.pem
            """);
        var agent = Assert.Single(PodChecks.Agents(chart.Documents));
        var expected = new Dictionary<string, string>
        {
            ["SCAIVAULT_URL"] = "https://vault.example",
            ["LEASE_ENGINE"] = "billing-db",
            ["LEASE_ROLE"] = "writer",
            ["LEASE_TTL"] = "15m",
            ["LEASE_ROTATE_BEFORE"] = "5m",
            ["LEASE_DRAIN_TIMEOUT"] = "30s",
            ["DB_HOST"] = "db.billing",
            ["DB_PORT"] = "6432",
            ["DB_NAME"] = "billing",
            ["DB_SSLMODE"] = "verify-full",
            ["DB_REQUIRE_AUTH"] = "scram-sha-256,md5",
            ["DB_PROBE_QUERY"] = "select 1",
            ["OUTPUT_FILE"] = "/run/secrets/db/pg.env",
            ["OUTPUT_FORMAT"] = "env",
            ["OUTPUT_MODE"] = "0640",
            ["SECRETS"] = "apps/billing/config -> /run/secrets/db/config.json\n",
            ["REFRESH_INTERVAL"] = "2m",
            ["SUBSCRIBE"] = "true",
            ["FAIL_OPEN"] = "true",
            ["INIT_TIMEOUT"] = "90s",
            ["HEALTH_ADDRESS"] = "0.0.0.0:8099",
            ["LOG_FORMAT"] = "text",
            ["LOG_LEVEL"] = "debug",
            ["RELOAD_SIGNAL"] = "USR1",
            ["RELOAD_PROCESS_NAME"] = "billing",
            ["SCAIVAULT_CA_FILE"] = "/etc/ssl/extra/ca.pem",
        };

        foreach (var (key, value) in expected)
        {
            Assert.True(agent.Environment.TryGetValue(key, out var actual), $"{key} is not set");
            Assert.Equal(value, actual);
        }

        Assert.Equal(8099L, Assert.Single(agent.Container.Maps("ports")).Get("containerPort"));
        Assert.Equal(true, agent.Pod.Get("shareProcessNamespace"));
        Assert.Empty(PodChecks.CheckAgents(chart.Documents));
    }

    [Fact]
    public void Render_Defaults_AgentResourcesMatchTheMeasuredFootprint()
    {
        var agent = Assert.Single(PodChecks.Agents(ChartRenderer.Render().Documents));
        var resources = agent.Container.Map("resources");

        Assert.Equal("5m", resources.Map("requests").Str("cpu"));
        Assert.Equal("48Mi", resources.Map("requests").Str("memory"));
        Assert.Equal("96Mi", resources.Map("limits").Str("memory"));
        Assert.Null(resources.Map("limits").Get("cpu"));
    }

    [Fact]
    public void Render_Notes_TellHowToCheckTheCredential()
    {
        var notes = ChartRenderer.Render().Notes;

        Assert.Contains("lease-agent probe ready", notes, StringComparison.Ordinal);
        Assert.Contains("/run/secrets/db/.lease-agent/status.json", notes, StringComparison.Ordinal);
        Assert.Contains("psql", notes, StringComparison.Ordinal);
        Assert.Contains("/run/secrets/db/db.json", notes, StringComparison.Ordinal);
        Assert.Contains("kubectl -n shop exec", notes, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData(Classic)]
    [InlineData(InitOnly)]
    [InlineData("agent:\n  reload:\n    processName: ReportingService\n")]
    public void Render_SharedProcessNamespace_NotesWarnWhatTheAppCanReach(string overrides)
    {
        var chart = ChartRenderer.Render(overrides);
        var shared = Deployment(chart).PodSpec()!.Get("shareProcessNamespace") is true;

        Assert.Equal(shared, chart.Notes.Contains("WARNING: shared process namespace", StringComparison.Ordinal));
        if (shared)
        {
            Assert.Contains("runs as the agent's uid (65532)", chart.Notes, StringComparison.Ordinal);
            Assert.Contains("The agent is non-dumpable", chart.Notes, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Render_ExistingServiceAccount_IsNotCreatedButUsed()
    {
        var chart = ChartRenderer.Render("serviceAccount:\n  create: false\n  name: shared\n");

        Assert.DoesNotContain(chart.Documents, d => d.Kind() == "ServiceAccount");
        Assert.Equal("shared", Deployment(chart).PodSpec()!.Str("serviceAccountName"));
    }

    private static Dictionary<string, object?> Deployment(RenderedChart chart) => Assert.Single(chart.Documents, d => d.Kind() == "Deployment");

    private static string ProjectVersion() =>
        System.Xml.Linq.XDocument.Load(Path.Combine(RepositoryRoot.Path, "src", "LeaseAgent", "LeaseAgent.csproj")).Descendants("Version").Single().Value;
}
