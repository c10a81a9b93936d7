using LeaseAgent.Packaging.Tests.Infrastructure;

namespace LeaseAgent.Packaging.Tests;

/// <summary>
/// samples/kubernetes: every manifest parses, and its pods follow the rules of <see cref="PodChecks"/>. The
/// API server's own validation, admission and the images themselves need a cluster.
/// </summary>
public sealed class SampleManifestTests
{
    private static readonly string Directory = Path.Combine(RepositoryRoot.Path, "samples", "kubernetes");

    public static TheoryData<string> Samples() => new(SampleFiles());

    private static List<string> SampleFiles() =>
        System.IO.Directory.GetFiles(Directory, "*.yaml").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();

    [Fact]
    public void Samples_CoverEveryPatternOfTheGuide()
    {
        var all = SampleFiles().ToDictionary(f => f, Load);
        var agents = all.ToDictionary(p => p.Key, p => PodChecks.Agents(p.Value));

        Assert.Equal(6, all.Count);
        Assert.Contains(agents, p => p.Value.Any(a => a.Role == AgentRole.Init && a.Environment.ContainsKey("SECRETS")));
        Assert.Contains(agents, p => p.Value.Any(a => a.Role == AgentRole.NativeSidecar && a.Environment.ContainsKey("LEASE_ENGINE")));
        Assert.Contains(agents, p => p.Value.Any(a => a.Role == AgentRole.ClassicSidecar && a.Environment.ContainsKey("RELOAD_PROCESS_NAME")));
        Assert.Contains(agents, p => p.Value.Any(a => a.Role == AgentRole.Init && a.Environment.ContainsKey("LEASE_ENGINE"))
            && all[p.Key].Any(d => d.Kind() == "CronJob"));
        Assert.Contains(agents, p => p.Value.Any(a => a.Role == AgentRole.Supervisor && a.Workload.Kind() == "Job"));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Sample_StartsWithACommentSayingWhenToUseIt(string file)
    {
        var header = File.ReadLines(Path.Combine(Directory, file)).TakeWhile(l => l.StartsWith('#')).ToList();

        Assert.True(header.Count >= 3, $"{file} has no comment block at the top");
        Assert.Contains(header, l => l.Contains("When to use", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Sample_PodsAreHardened(string file)
    {
        var findings = PodChecks.CheckPods(Load(file));

        Assert.True(findings.Count == 0, string.Join("\n", findings));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Sample_AgentsHaveTokenVolumeProbesAndShutdownBudget(string file)
    {
        var documents = Load(file);
        var findings = PodChecks.CheckAgents(documents);

        Assert.NotEmpty(PodChecks.Agents(documents));
        Assert.True(findings.Count == 0, string.Join("\n", findings));
    }

    [Fact]
    public void ClassicSidecar_SharesTheProcessNamespaceAndDelaysRevocation()
    {
        var agent = Assert.Single(PodChecks.Agents(Load("03-classic-sidecar-sighup.yaml")));

        Assert.Equal(AgentRole.ClassicSidecar, agent.Role);
        Assert.Equal(true, agent.Pod.Get("shareProcessNamespace"));
        Assert.Equal("HUP", agent.Environment["RELOAD_SIGNAL"]);
        Assert.True(K8s.ParseDuration(agent.Environment["REVOKE_DELAY"]) > TimeSpan.Zero);
        // The signal needs the same user on both sides once every capability is dropped.
        Assert.Equal(65532L, agent.Pod.Map("securityContext").Get("runAsUser"));
        Assert.All(agent.Pod.Maps("containers"), c => Assert.Null(c.Map("securityContext").Get("runAsUser")));
    }

    [Fact]
    public void RestartCronJob_MayOnlyRestartItsDeploymentAndRunsBeforeTheLeaseExpires()
    {
        var documents = Load("04-init-restart-cronjob.yaml");
        var deployment = Assert.Single(documents, d => d.Kind() == "Deployment");
        var cronJob = Assert.Single(documents, d => d.Kind() == "CronJob");
        var jobPod = cronJob.PodSpec()!;
        var account = jobPod.Str("serviceAccountName");
        var binding = Assert.Single(documents, d => d.Kind() == "RoleBinding");
        var role = Assert.Single(documents, d => d.Kind() == "Role");
        var rule = Assert.Single(role.Maps("rules"));
        var kubectl = Assert.Single(jobPod.Maps("containers"));

        Assert.Contains(documents, d => d.Kind() == "ServiceAccount" && d.Name() == account);
        Assert.Equal(role.Name(), binding.Map("roleRef").Str("name"));
        Assert.Contains(binding.Maps("subjects"), s => s.Str("kind") == "ServiceAccount" && s.Str("name") == account);
        Assert.Equal(new[] { "apps" }, rule.Strings("apiGroups"));
        Assert.Equal(new[] { "deployments" }, rule.Strings("resources"));
        Assert.Equal(new[] { deployment.Name() }, rule.Strings("resourceNames"));
        Assert.Equal(new[] { "get", "patch" }, rule.Strings("verbs").Order(StringComparer.Ordinal));
        Assert.Equal(new[] { "kubectl", "rollout", "restart", $"deployment/{deployment.Name()}" }, kubectl.Strings("command"));
        Assert.Equal("Forbid", cronJob.Map("spec").Str("concurrencyPolicy"));

        // Restarts every 6 h ("0 */6 * * *") while the init credential lives LEASE_TTL.
        var hours = int.Parse(cronJob.Map("spec").Str("schedule")!.Split(' ')[1].Split('/')[1], System.Globalization.CultureInfo.InvariantCulture);
        var agent = Assert.Single(PodChecks.Agents([deployment]));
        Assert.Equal(AgentRole.Init, agent.Role);
        Assert.True(K8s.ParseDuration(agent.Environment["LEASE_TTL"]) > TimeSpan.FromHours(hours), "LEASE_TTL must outlive the restart interval");
    }

    [Fact]
    public void PreDeployJob_RunsTheMigrationUnderTheAgentAndCompletes()
    {
        var documents = Load("05-pre-deploy-job.yaml");
        var job = Assert.Single(documents, d => d.Kind() == "Job");
        var agent = Assert.Single(PodChecks.Agents(documents));

        Assert.Equal(AgentRole.Supervisor, agent.Role);
        Assert.Equal("Never", job.PodSpec()!.Str("restartPolicy"));
        Assert.NotNull(job.Map("spec").Get("activeDeadlineSeconds"));
        Assert.Equal(new[] { "run", "--", "/app/migrate", "up" }, PodChecks.Invocation(agent.Container)!);
        Assert.True(K8s.ParseDuration(agent.Environment["LEASE_TTL"]).TotalSeconds > K8s.Number(job.Map("spec").Get("activeDeadlineSeconds")),
            "the lease should outlive the Job's deadline");
    }

    internal static List<Dictionary<string, object?>> Load(string file) =>
        YamlDocuments.LoadAll(File.ReadAllText(Path.Combine(Directory, file)), file);
}
