using LeaseAgent.Packaging.Tests.Infrastructure;

namespace LeaseAgent.Packaging.Tests;

/// <summary>
/// samples/kubernetes/06-pre-deploy-secret-job.yaml: the Job runs <c>lease-agent init</c> with only <c>secret:</c>
/// targets, its Role grants get/update on exactly those Secrets, the Kubernetes API credentials are mounted where
/// <c>KUBERNETES_SERVICE_ACCOUNT_DIR</c> points, and Helm and Argo CD run RBAC before the Job and both before the app.
/// </summary>
public sealed class PreDeploySecretJobSampleTests
{
    private const string File = "06-pre-deploy-secret-job.yaml";

    private static readonly List<Dictionary<string, object?>> Documents = SampleManifestTests.Load(File);

    private static Dictionary<string, object?> Single(string kind) => Assert.Single(Documents, d => d.Kind() == kind);

    /// <summary>The Secret names of the agent's SECRETS lines (<c>-> secret:name[/key]</c>).</summary>
    private static List<string> TargetSecrets(AgentContainer agent) =>
        [.. PodChecks.SecretTargets(agent.Environment["SECRETS"]).Select(t => Assert.IsType<string>(t.StartsWith("secret:", StringComparison.Ordinal) ? t["secret:".Length..].Split('/')[0] : null)).Distinct()];

    [Fact]
    public void Job_RunsInitOnce_WithOnlySecretTargets_AndIsAnAgentThePodChecksKnow()
    {
        var job = Single("Job");
        var agent = Assert.Single(PodChecks.Agents(Documents));

        Assert.Equal(AgentRole.Init, agent.Role);
        Assert.Same(job, agent.Workload);
        Assert.Equal(["init"], PodChecks.Invocation(agent.Container)!);
        Assert.Equal("Never", job.PodSpec()!.Str("restartPolicy"));
        Assert.Equal(["reporting-config", "reporting-api"], TargetSecrets(agent));
        Assert.True(K8s.ParseDuration(agent.Environment["INIT_TIMEOUT"]).TotalSeconds < K8s.Number(job.Map("spec").Get("activeDeadlineSeconds")), "INIT_TIMEOUT should end before the Job's deadline");
    }

    [Fact]
    public void Role_GrantsGetAndUpdateOnExactlyTheTargetSecrets_AndCreateWithoutNames_NothingElse()
    {
        var agent = Assert.Single(PodChecks.Agents(Documents));
        var rules = Single("Role").Maps("rules").ToList();

        Assert.All(rules, r => Assert.Equal([""], r.Strings("apiGroups")));
        Assert.All(rules, r => Assert.Equal(["secrets"], r.Strings("resources")));
        var named = Assert.Single(rules, r => r.Strings("resourceNames").Count > 0);
        Assert.Equal(["get", "update"], named.Strings("verbs"));
        Assert.Equal(TargetSecrets(agent).Order(StringComparer.Ordinal), named.Strings("resourceNames").Order(StringComparer.Ordinal));
        var unnamed = Assert.Single(rules, r => r.Strings("resourceNames").Count == 0);
        Assert.Equal(["create"], unnamed.Strings("verbs")); // Kubernetes cannot limit create by name; never list, watch, delete
    }

    [Fact]
    public void RoleBinding_BindsTheJobsServiceAccount_ToTheRole()
    {
        var binding = Single("RoleBinding");
        var job = Single("Job");

        Assert.Equal("Role", binding.Map("roleRef").Str("kind"));
        Assert.Equal(Single("Role").Name(), binding.Map("roleRef").Str("name"));
        var subject = Assert.Single(binding.Maps("subjects"));
        Assert.Equal("ServiceAccount", subject.Str("kind"));
        Assert.Equal(job.PodSpec()!.Str("serviceAccountName"), subject.Str("name"));
        Assert.Null(subject.Str("namespace")); // the release's namespace, where the Job and its Secrets are
    }

    [Fact]
    public void ApiCredentials_AreProjectedWhereTheAgentLooks_TokenCaAndNamespace_ReadOnly()
    {
        var agent = Assert.Single(PodChecks.Agents(Documents));
        var directory = agent.Environment["KUBERNETES_SERVICE_ACCOUNT_DIR"];
        var mount = Assert.Single(agent.Container.Maps("volumeMounts"), m => m.Str("mountPath") == directory);
        var volume = Assert.Single(agent.Pod.Maps("volumes"), v => v.Str("name") == mount.Str("name"));
        var sources = volume.Map("projected").Maps("sources").ToList();

        Assert.True(mount.Get("readOnly") is true);
        Assert.Equal(false, agent.Pod.Get("automountServiceAccountToken"));
        var token = Assert.Single(sources, s => s.Map("serviceAccountToken") is not null).Map("serviceAccountToken");
        Assert.Equal("token", token.Str("path"));
        Assert.Null(token.Str("audience")); // the API server's own audience; "scaivault" would be refused (401)
        var ca = Assert.Single(sources, s => s.Map("configMap") is not null).Map("configMap");
        Assert.Equal("kube-root-ca.crt", ca.Str("name"));
        Assert.Equal("ca.crt", Assert.Single(ca.Maps("items")).Str("path"));
        var item = Assert.Single(Assert.Single(sources, s => s.Map("downwardAPI") is not null).Map("downwardAPI").Maps("items"));
        Assert.Equal(("namespace", "metadata.namespace"), (item.Str("path"), item.Map("fieldRef").Str("fieldPath")));
    }

    [Fact]
    public void Hooks_RunRbacBeforeTheJob_InHelmAndArgoCd()
    {
        static string Annotation(Dictionary<string, object?> d, string key) => d.Map("metadata").Map("annotations").Str(key) ?? "";
        var job = Single("Job");
        var rbac = Documents.Where(d => d.Kind() is "ServiceAccount" or "Role" or "RoleBinding").ToList();

        Assert.Equal(3, rbac.Count);
        foreach (var document in rbac.Append(job))
        {
            Assert.Equal("pre-install,pre-upgrade", Annotation(document, "helm.sh/hook"));
            Assert.Equal("PreSync", Annotation(document, "argocd.argoproj.io/hook"));
            Assert.Contains("before-hook-creation", Annotation(document, "helm.sh/hook-delete-policy"), StringComparison.Ordinal);
        }

        Assert.All(rbac, d => Assert.True(int.Parse(Annotation(d, "helm.sh/hook-weight"), System.Globalization.CultureInfo.InvariantCulture) < int.Parse(Annotation(job, "helm.sh/hook-weight"), System.Globalization.CultureInfo.InvariantCulture)));
        Assert.All(rbac, d => Assert.True(int.Parse(Annotation(d, "argocd.argoproj.io/sync-wave"), System.Globalization.CultureInfo.InvariantCulture) < int.Parse(Annotation(job, "argocd.argoproj.io/sync-wave"), System.Globalization.CultureInfo.InvariantCulture)));
    }
}
