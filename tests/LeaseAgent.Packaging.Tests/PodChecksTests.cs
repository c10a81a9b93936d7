using LeaseAgent.Packaging.Tests.Infrastructure;

namespace LeaseAgent.Packaging.Tests;

/// <summary>The manifest rules themselves: each one, broken on purpose in a copy of a good sample, is reported.</summary>
public sealed class PodChecksTests
{
    [Theory]
    [InlineData("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", "readOnlyRootFilesystem is not true")]
    [InlineData("allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true", "allowPrivilegeEscalation is not false")]
    [InlineData("drop: [\"ALL\"]", "drop: [\"NET_RAW\"]", "capabilities do not drop ALL")]
    [InlineData("        runAsUser: 65532\n", "        runAsUser: 0\n", "no numeric non-root runAsUser")]
    [InlineData("            sizeLimit: 1Mi\n", "", "has no sizeLimit")]
    public void CheckPods_ReportsBrokenHardening(string good, string bad, string finding)
    {
        var findings = PodChecks.CheckPods(Mutated("02-native-sidecar.yaml", good, bad));

        Assert.Contains(findings, f => f.Contains(finding, StringComparison.Ordinal));
    }

    /// <summary>
    /// Mistakes the API server refuses (its strict field validation) but the pod rules do not look at: a misspelled
    /// field deep in a probe, a quoted number, a scalar where a list belongs, a field name in the wrong case.
    /// </summary>
    [Theory]
    [InlineData("              port: http\n", "              prot: http\n", "containers[0].readinessProbe.httpGet.prot")]
    [InlineData("          readinessProbe:", "          readinesProbe:", "initContainers[0].readinesProbe")]
    [InlineData("value: \"5432\"", "value: 5432", "initContainers[0].env[5].value")]
    [InlineData("containerPort: 8099", "containerPort: \"8099\"", "initContainers[0].ports[0].containerPort")]
    [InlineData("failureThreshold: 120", "failureThreshold: \"120\"", "initContainers[0].startupProbe.failureThreshold")]
    [InlineData("drop: [\"ALL\"]", "drop: ALL", "initContainers[0].securityContext.capabilities.drop")]
    [InlineData("              readOnly: true\n          startupProbe", "              readonly: true\n          startupProbe", "initContainers[0].volumeMounts[1].readonly")]
    [InlineData("periodSeconds: 1\n", "periodSeconds: 1s\n", "initContainers[0].startupProbe.periodSeconds")]
    public void CheckPods_ReportsFieldsTheApiServerRefuses(string good, string bad, string path)
    {
        var findings = PodChecks.CheckPods(Mutated("02-native-sidecar.yaml", good, bad));

        Assert.Contains(findings, f => f.Contains("Deployment/reporting-service", StringComparison.Ordinal) && f.Contains(path, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("          restartPolicy: Always          # native sidecar: before the app, stopped after it\n", "", "never finishes")]
    [InlineData("command: [\"lease-agent\", \"probe\", \"live\"]", "command: [\"lease-agent\", \"probe\", \"ready\"]", "livenessProbe is not exec [lease-agent, probe, live]")]
    [InlineData("audience: scaivault", "audience: kubernetes", "audience is 'kubernetes'")]
    [InlineData("                  expirationSeconds: 3600\n", "", "no expirationSeconds")]
    [InlineData("              mountPath: /run/secrets/db\n              readOnly: true\n", "              mountPath: /run/secrets/db\n", "mounts the secrets volume writable")]
    [InlineData("            medium: Memory\n            sizeLimit: 1Mi\n", "            sizeLimit: 1Mi\n", "is not on a memory-backed emptyDir")]
    [InlineData("value: \"25s\"", "value: \"30s\"", "SHUTDOWN_TIMEOUT 30 s is not below terminationGracePeriodSeconds 30")]
    [InlineData("scaikey.scailabs.ai/role: \"sa:reporting-service\"", "other: x", "has no scaikey.scailabs.ai/role annotation")]
    [InlineData("      automountServiceAccountToken: false\n      terminationGracePeriodSeconds", "      terminationGracePeriodSeconds", "mounts the Kubernetes API token")]
    [InlineData("value: \"/run/secrets/db/db.json\"\n            - name: OUTPUT_MODE", "value: \"/tmp/db.json\"\n            - name: OUTPUT_MODE", "/tmp/db.json is not on a memory-backed emptyDir")]
    public void CheckAgents_ReportsBrokenAgentRules(string good, string bad, string finding)
    {
        var findings = PodChecks.CheckAgents(Mutated("02-native-sidecar.yaml", good, bad));

        Assert.Contains(findings, f => f.Contains(finding, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("      shareProcessNamespace: true        # lets the agent find and signal the app\n", "", "RELOAD_PROCESS_NAME needs shareProcessNamespace")]
    [InlineData("            - name: REVOKE_DELAY         # SIGTERM reaches the app and the agent together\n              value: \"10s\"\n", "", "set REVOKE_DELAY")]
    [InlineData("value: \"10s\"", "value: \"25s\"", "REVOKE_DELAY 25 s is not below SHUTDOWN_TIMEOUT 25 s")]
    public void CheckAgents_ReportsBrokenClassicSidecar(string good, string bad, string finding)
    {
        var findings = PodChecks.CheckAgents(Mutated("03-classic-sidecar-sighup.yaml", good, bad));

        Assert.Contains(findings, f => f.Contains(finding, StringComparison.Ordinal));
    }

    [Fact]
    public void Yaml_ReadsUnquotedScalarsAsKubernetesDoes()
    {
        var document = Assert.Single(YamlDocuments.LoadAll("a: on\nb: 0600\nc: \"0600\"\nd: 1.5\ne: ~\nf: |\n  text\n", "inline"));

        Assert.Equal(true, document["a"]);
        Assert.Equal(384L, document["b"]);
        Assert.Equal("0600", document["c"]);
        Assert.Equal(1.5, document["d"]);
        Assert.Null(document["e"]);
        Assert.Equal("text\n", document["f"]);
    }

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("15m", 900)]
    [InlineData("1h30m", 5400)]
    [InlineData("45", 45)]
    public void ParseDuration_ReadsTheAgentsFormats(string text, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), K8s.ParseDuration(text));
    }

    private static List<Dictionary<string, object?>> Mutated(string sample, string good, string bad)
    {
        var text = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "samples", "kubernetes", sample));

        Assert.Contains(good, text, StringComparison.Ordinal);
        return YamlDocuments.LoadAll(text.Replace(good, bad, StringComparison.Ordinal), sample + " (mutated)");
    }
}
