using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using DotNet.Testcontainers.Configurations;
using LeaseAgent.Tests.Integration;
using Testcontainers.K3s;

namespace LeaseAgent.Tests.Kubernetes;

/// <summary>
/// Opt-in, where Docker answers: the published agent's <c>init</c> against a real API server (K3s), as a service
/// account bound to the Role of sample 06 (get/update on the named Secret, create). Checks what the test double
/// cannot prove: that the real API server accepts the requests, the RBAC shape, and the 403 message.
/// </summary>
public sealed partial class K3sSecretInitTests
{
    private const string Namespace = "reporting";
    private const string Account = "reporting-secrets-sync";

    private static async Task<string> KubectlAsync(K3sContainer k3s, params string[] args)
    {
        var result = await k3s.ExecAsync(["kubectl", .. args]);
        Assert.True(result.ExitCode == 0, $"kubectl {string.Join(' ', args)}: {result.Stderr}");
        return result.Stdout;
    }

    [DockerFact]
    public async Task Init_AgainstK3s_CreatesThenUpdatesTheNamedSecret_AndIsRefusedAnyOtherWith403()
    {
        await using var k3s = new K3sBuilder("rancher/k3s:v1.31.4-k3s1").Build();
        await k3s.StartAsync();
        await KubectlAsync(k3s, "create", "namespace", Namespace);
        await KubectlAsync(k3s, "-n", Namespace, "create", "serviceaccount", Account);
        await KubectlAsync(k3s, "-n", Namespace, "create", "role", "named", "--verb=get,update", "--resource=secrets", "--resource-name=reporting-config");
        await KubectlAsync(k3s, "-n", Namespace, "create", "role", "create", "--verb=create", "--resource=secrets");
        await KubectlAsync(k3s, "-n", Namespace, "create", "rolebinding", "named", "--role=named", $"--serviceaccount={Namespace}:{Account}");
        await KubectlAsync(k3s, "-n", Namespace, "create", "rolebinding", "create", "--role=create", $"--serviceaccount={Namespace}:{Account}");
        var token = (await KubectlAsync(k3s, "-n", Namespace, "create", "token", Account)).Trim();
        AgentScenario.AllSecrets[token] = true;

        var kubeconfig = await k3s.GetKubeconfigAsync();
        using var ca = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(CaData().Match(kubeconfig).Groups[1].Value));
        var server = new Uri(ServerUrl().Match(kubeconfig).Groups[1].Value);

        await using var scenario = await AgentScenario.StartAsync();
        await scenario.Emulator.PutSecretAsync("apps/reporting/config", new { api_key = "k-k3s-0123456789", retries = 3 });
        AgentScenario.AllSecrets["k-k3s-0123456789"] = true;
        foreach (var key in new[] { "LEASE_ENGINE", "LEASE_ROLE", "DB_HOST", "DB_PORT", "DB_NAME", "DB_SSLMODE", "DB_REQUIRE_AUTH", "OUTPUT_FILE" })
        {
            scenario.Environment.Remove(key);
        }

        scenario.Environment["KUBERNETES_SERVICE_HOST"] = server.Host;
        scenario.Environment["KUBERNETES_SERVICE_PORT"] = server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        scenario.Environment["KUBERNETES_SERVICE_ACCOUNT_DIR"] = KubernetesApiTestDouble.WriteServiceAccountDirectory(scenario.Directory, token, Namespace, ca);
        scenario.Environment["INIT_TIMEOUT"] = "30s";
        scenario.Environment["SECRETS"] = $"apps/reporting/config -> secret:reporting-config\napps/reporting/config#api_key -> {scenario.Directory}/api-key";

        foreach (var run in new[] { "create", "update" })
        {
            var (agent, _) = await scenario.StartAgentAsync("init");
            Assert.True(await agent.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, $"{run}: {agent.Output}");
        }

        var stored = await KubectlAsync(k3s, "-n", Namespace, "get", "secret", "reporting-config", "-o", "jsonpath={.data.api_key}");
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(scenario.Directory, "api-key")), Convert.FromBase64String(stored));
        Assert.Equal("lease-agent", await KubectlAsync(k3s, "-n", Namespace, "get", "secret", "reporting-config", "-o", "jsonpath={.metadata.labels.app\\.kubernetes\\.io/managed-by}"));

        scenario.Environment["SECRETS"] = "apps/reporting/config -> secret:not-in-the-role";
        var (refused, _) = await scenario.StartAgentAsync("init");
        Assert.Equal(1, await refused.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains($"get Secret {Namespace}/not-in-the-role failed: 403 Forbidden", refused.Output, StringComparison.Ordinal);
        Assert.Contains("resourceNames: [not-in-the-role]", refused.Output, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"certificate-authority-data:\s*(\S+)")]
    private static partial Regex CaData();

    [GeneratedRegex(@"server:\s*(\S+)")]
    private static partial Regex ServerUrl();
}

/// <summary>A fact that is skipped, with the reason, when no Docker endpoint answers (Testcontainers finds none).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class DockerFactAttribute : FactAttribute
{
    public DockerFactAttribute()
    {
        if (TestcontainersSettings.OS.DockerEndpointAuthConfig is null)
        {
            Skip = "no Docker endpoint (Testcontainers found none): this opt-in test starts K3s in Docker";
        }
    }
}
