using System.Runtime.Versioning;
using System.Text.RegularExpressions;
using LeaseAgent.Packaging.Tests.Infrastructure;
using ScaiVault.CsiProvider.Configuration;
using ScaiVault.Hosting.Configuration;

namespace LeaseAgent.Packaging.Tests;

/// <summary>
/// charts/scaivault-csi-provider rendered by <see cref="ChartRenderer"/> and checked against what the driver expects
/// (socket name and directory) and against the provider itself (its flags, read from <see cref="ProviderConfiguration"/>).
/// </summary>
[SupportedOSPlatform("linux")] // the provider is a Linux-only assembly
public sealed partial class CsiProviderChartTests
{
    /// <summary>The driver's provider-name rule (provider_client.go); the socket is <c>&lt;dir&gt;/&lt;name&gt;.sock</c>.</summary>
    private const string DriverProviderName = "^[a-zA-Z0-9_-]{0,30}$";

    private const string AllValues = """
        provider:
          name: scaivault-eu
          scaivaultUrl: https://vault.eu.example
          allowedUrls: [https://vault.us.example, https://vault.ap.example]
          defaultAudience: vault.example
          caFile: { configMap: scaivault-ca, key: bundle.pem }
          maxConcurrency: 32
          requestTimeout: 30s
          maxResponseBytes: 1048576
          tokenCacheSize: 5000
          logFormat: text
          extraArgs: ["--max-concurrency=8"]
        """;

    internal static RenderedChart Render(string? overrides = null) =>
        ChartRenderer.Render(overrides, releaseName: "scaivault-csi-provider", releaseNamespace: "kube-system", chartDirectory: ChartRenderer.CsiProviderChartDirectory);

    [Fact]
    public void ChartYaml_NamesTheChartAndTheProvidersVersion()
    {
        var chart = YamlDocuments.LoadValues(File.ReadAllText(Path.Combine(ChartRenderer.CsiProviderChartDirectory, "Chart.yaml")), "Chart.yaml");
        var version = System.Xml.Linq.XDocument.Load(Path.Combine(RepositoryRoot.Path, "src", "ScaiVault.CsiProvider", "ScaiVault.CsiProvider.csproj")).Descendants("Version").Single().Value;

        Assert.Equal("v2", chart.Str("apiVersion"));
        Assert.Equal("scaivault-csi-provider", chart.Str("name"));
        Assert.Equal(version, chart.Str("appVersion"));
        Assert.Equal(">=1.22.0-0", chart.Str("kubeVersion")); // CSIDriver tokenRequests are GA from 1.22
    }

    [Theory]
    [InlineData("")]
    [InlineData(AllValues)]
    public void Render_PodIsHardenedApartFromRunningAsRoot(string overrides)
    {
        var chart = Render(overrides);
        var container = Container(chart);
        var security = container.Map("securityContext");

        Assert.Empty(PodChecks.CheckPods(chart.Documents, allowRoot: true));
        Assert.Equal(0L, security.Get("runAsUser")); // the root-owned socket directory; said in the template and the Dockerfile
        Assert.Equal(false, security.Get("runAsNonRoot"));
        Assert.Equal(false, security.Get("allowPrivilegeEscalation"));
        Assert.Equal(true, security.Get("readOnlyRootFilesystem"));
        Assert.Equal(new[] { "ALL" }, security.Map("capabilities").Strings("drop"));
        Assert.Equal("RuntimeDefault", security.Map("seccompProfile").Str("type"));
    }

    [Fact]
    public void Render_Defaults_DaemonSetRunsOnEveryLinuxNodeAsNodeCritical()
    {
        var chart = Render();
        var daemonSet = DaemonSet(chart);
        var pod = daemonSet.PodSpec()!;

        Assert.Equal("kube-system", daemonSet.Map("metadata").Str("namespace"));
        Assert.Equal("RollingUpdate", daemonSet.Map("spec").Map("updateStrategy").Str("type"));
        var toleration = Assert.Single(pod.Maps("tolerations"));
        Assert.Equal(new Dictionary<string, object?> { ["operator"] = "Exists" }, toleration);
        Assert.Equal("linux", pod.Map("nodeSelector").Str("kubernetes.io/os"));
        Assert.Equal("system-node-critical", pod.Str("priorityClassName"));
        Assert.True(K8s.Number(pod.Get("terminationGracePeriodSeconds")) > 20, "the provider drains in-flight Mounts for up to 20 s");
        var selector = daemonSet.Map("spec").Map("selector").Map("matchLabels")!;
        Assert.All(selector, label => Assert.Equal(label.Value, daemonSet.Map("spec").Map("template").Map("metadata").Map("labels").Get(label.Key)));
    }

    [Fact]
    public void Render_Defaults_NoApiTokenAndNoRbac()
    {
        var chart = Render();
        var pod = DaemonSet(chart).PodSpec()!;
        var account = Assert.Single(chart.Documents, d => d.Kind() == "ServiceAccount");

        Assert.Equal(false, pod.Get("automountServiceAccountToken"));
        Assert.Equal(account.Name(), pod.Str("serviceAccountName"));
        Assert.Equal("kube-system", account.Map("metadata").Str("namespace"));
        Assert.Equal(false, account.Get("automountServiceAccountToken"));
        Assert.DoesNotContain(chart.Documents, d => d.Kind() is "Role" or "ClusterRole" or "RoleBinding" or "ClusterRoleBinding");
    }

    [Fact]
    public void Render_Defaults_ResourcesAsSized()
    {
        var resources = Container(Render()).Map("resources");

        Assert.Equal("20m", resources.Map("requests").Str("cpu"));
        Assert.Equal("32Mi", resources.Map("requests").Str("memory"));
        Assert.Equal("96Mi", resources.Map("limits").Str("memory"));
        Assert.Null(resources.Map("limits").Get("cpu"));
    }

    [Fact]
    public void Render_Defaults_ArgsAreAcceptedByTheProvidersOwnConfiguration()
    {
        var args = Container(Render()).Strings("args");

        var options = ProviderConfiguration.Load(args, _ => null);

        Assert.Equal("/provider/scaivault.sock", options.Endpoint);
        Assert.Equal(new Uri("https://scaivault.scailabs.ai"), options.ScaiVaultUrl);
        Assert.Empty(options.AllowedUrls);
        Assert.Equal("scaivault", options.DefaultAudience);
        Assert.True(options.JsonLogs);
        Assert.Null(Container(Render()).Get("command")); // the image's ENTRYPOINT serves
    }

    [Fact]
    public void Render_EveryValueSet_EveryFlagIsAProviderFlag()
    {
        var args = Container(Render(AllValues)).Strings("args");
        var known = ProviderConfiguration.Keys.Select(ProviderConfiguration.FlagOf).ToHashSet(StringComparer.Ordinal);

        var flags = args.Select(a => a.Split('=', 2)[0]).ToList();

        Assert.All(flags, flag => Assert.Contains(flag, known));
        Assert.Equal(
            new[] { "--endpoint", "--scaivault-url", "--allowed-url", "--default-audience", "--ca-file", "--max-concurrency", "--request-timeout", "--max-response-bytes", "--token-cache-size", "--log-format" },
            flags.Distinct().Take(10));
        // Repeated only where the provider allows it; extraArgs come last, so the provider refuses a duplicate loudly.
        var error = Assert.Throws<ConfigurationException>(() => ProviderConfiguration.ParseFlags(args, [.. ProviderConfiguration.Keys]));
        Assert.Contains("--max-concurrency", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_EveryValueSet_ValuesReachTheFlags()
    {
        var args = Container(Render(AllValues)).Strings("args");

        Assert.Contains("--scaivault-url=https://vault.eu.example", args);
        Assert.Contains("--allowed-url=https://vault.us.example", args);
        Assert.Contains("--allowed-url=https://vault.ap.example", args);
        Assert.Contains("--default-audience=vault.example", args);
        Assert.Contains("--ca-file=/etc/scaivault/ca/bundle.pem", args);
        Assert.Contains("--max-concurrency=32", args);
        Assert.Contains("--request-timeout=30s", args);
        Assert.Contains("--max-response-bytes=1048576", args);
        Assert.Contains("--token-cache-size=5000", args);
        Assert.Contains("--log-format=text", args);
        Assert.Equal("--max-concurrency=8", args[^1]);
    }

    [Fact]
    public void Render_EveryProviderValueSet_IsAcceptedByTheProvider()
    {
        // Every flag the chart can pass, with the chart's values: each must pass the provider's own validation.
        var chart = Render("""
            provider:
              scaivaultUrl: https://vault.eu.example
              allowedUrls: [https://vault.us.example]
              defaultAudience: vault.example
              maxConcurrency: 32
              requestTimeout: 30s
              maxResponseBytes: 1048576
              tokenCacheSize: 5000
              logFormat: text
            """);

        var options = ProviderConfiguration.Load(Container(chart).Strings("args"), _ => null);

        Assert.Equal(32, options.MaxConcurrency);
        Assert.Equal(TimeSpan.FromSeconds(30), options.RequestTimeout);
        Assert.Equal(1048576, options.MaxResponseBytes);
        Assert.Equal(5000, options.TokenCacheSize);
        Assert.Equal(new Uri("https://vault.us.example"), Assert.Single(options.AllowedUrls));
        Assert.False(options.JsonLogs);
    }

    [Theory]
    [InlineData("scaivault")]
    [InlineData("scaivault-eu")]
    [InlineData("sv_2")]
    public void Render_ProviderName_SocketFollowsTheDriversRule(string name)
    {
        var chart = Render($"provider:\n  name: {name}\n");
        var pod = DaemonSet(chart).PodSpec()!;
        var container = Container(chart);
        var endpoint = ProviderConfiguration.Load(container.Strings("args"), _ => null).Endpoint;
        var mount = Assert.Single(container.Maps("volumeMounts"), m => m.Str("mountPath") == "/provider");
        var volume = Assert.Single(pod.Maps("volumes"), v => v.Str("name") == mount.Str("name"));

        Assert.Matches(DriverProviderName, name);
        Assert.Equal($"/provider/{name}.sock", endpoint);
        Assert.Equal("/var/run/secrets-store-csi-providers", volume.Map("hostPath").Str("path"));
        Assert.Equal("DirectoryOrCreate", volume.Map("hostPath").Str("type"));
        Assert.NotEqual(true, mount.Get("readOnly")); // the provider creates and removes its socket there
        Assert.Contains($"{volume.Map("hostPath").Str("path")}/{name}.sock", chart.Notes, StringComparison.Ordinal);
        Assert.Contains($"provider: {name}", chart.Notes, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("readinessProbe")]
    [InlineData("livenessProbe")]
    public void Render_Probes_ExecTheImagesBinaryAgainstTheServedEndpoint(string probe)
    {
        var chart = Render("provider:\n  name: sv2\n");
        var container = Container(chart);
        var command = container.Map(probe).Map("exec").Strings("command");
        var served = ProviderConfiguration.Load(container.Strings("args"), _ => null).Endpoint;

        Assert.Equal(CsiProviderDockerfileTests.BinaryPath, command[0]); // the image's ENTRYPOINT
        Assert.Equal("probe", command[1]);
        Assert.Equal(served, ProviderConfiguration.Endpoint(command[2..], _ => null));
        // The probe itself gives up after 3 s; a shorter kubelet timeout would kill it first.
        Assert.True(K8s.Number(container.Map(probe).Get("timeoutSeconds")) > 3);
    }

    [Fact]
    public void Render_CaFromAConfigMap_IsMountedReadOnlyWhereCaFilePoints()
    {
        var chart = Render("provider:\n  caFile:\n    configMap: scaivault-ca\n");
        var container = Container(chart);
        var caFile = Assert.Single(container.Strings("args"), a => a.StartsWith("--ca-file=", StringComparison.Ordinal))["--ca-file=".Length..];
        var mount = Assert.Single(container.Maps("volumeMounts"), m => m.Str("name") == "scaivault-ca");
        var volume = Assert.Single(DaemonSet(chart).PodSpec()!.Maps("volumes"), v => v.Str("name") == "scaivault-ca");

        Assert.Equal(mount.Str("mountPath") + "/ca.crt", caFile);
        Assert.Equal(true, mount.Get("readOnly"));
        Assert.Equal("scaivault-ca", volume.Map("configMap").Str("name"));
    }

    [Fact]
    public void Render_CaFromASecret_UsesASecretVolume()
    {
        var chart = Render("provider:\n  caFile:\n    secret: scaivault-ca\n    key: ca.pem\n");

        var volume = Assert.Single(DaemonSet(chart).PodSpec()!.Maps("volumes"), v => v.Str("name") == "scaivault-ca");

        Assert.Equal("scaivault-ca", volume.Map("secret").Str("secretName"));
        Assert.Contains("--ca-file=/etc/scaivault/ca/ca.pem", Container(chart).Strings("args"));
    }

    [Fact]
    public void Render_CaWithoutASource_PassesNoCaFile()
    {
        var chart = Render();

        Assert.DoesNotContain(Container(chart).Strings("args"), a => a.StartsWith("--ca-file", StringComparison.Ordinal));
        Assert.DoesNotContain(DaemonSet(chart).PodSpec()!.Maps("volumes"), v => v.Str("name") == "scaivault-ca");
    }

    [Fact]
    public void Render_CaFromBothAConfigMapAndASecret_Fails()
    {
        var error = Assert.Throws<HelmException>(() => Render("provider:\n  caFile:\n    configMap: a\n    secret: b\n"));

        Assert.Contains("provider.caFile: set configMap or secret, not both", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Notes_TellTheDriverValuesToSet()
    {
        var notes = Render("provider:\n  defaultAudience: vault.example\n").Notes;

        Assert.Contains("--set 'tokenRequests[0].audience=vault.example'", notes, StringComparison.Ordinal);
        Assert.Contains("--set syncSecret.enabled=true", notes, StringComparison.Ordinal);
        Assert.Contains("--set enableSecretRotation=true", notes, StringComparison.Ordinal);
        Assert.Contains("--set rotationPollInterval=", notes, StringComparison.Ordinal);
        Assert.Contains("docs/csi.md", notes, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Notes_ListTheAllowedUrls()
    {
        var notes = Render("provider:\n  allowedUrls: [https://a.example, https://b.example]\n").Notes;

        Assert.Contains("(now: https://a.example, https://b.example)", notes, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_OtherProvidersDirectory_NotesSayTheDriverMustSearchIt()
    {
        var chart = Render("provider:\n  providersDirectory: /etc/kubernetes/secrets-store-csi-providers\n");
        var volume = Assert.Single(DaemonSet(chart).PodSpec()!.Maps("volumes"), v => v.Str("name") == "providervol");

        Assert.Equal("/etc/kubernetes/secrets-store-csi-providers", volume.Map("hostPath").Str("path"));
        Assert.Contains("--additional-provider-volume-paths", chart.Notes, StringComparison.Ordinal);
        Assert.DoesNotContain("--additional-provider-volume-paths", Render().Notes, StringComparison.Ordinal);
    }

    [Fact]
    public void DriverRule_MatchesTheSchemasProviderNamePattern()
    {
        var schema = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(ChartRenderer.CsiProviderChartDirectory, "values.schema.json"))).RootElement;
        var pattern = schema.GetProperty("properties").GetProperty("provider").GetProperty("properties").GetProperty("name").GetProperty("pattern").GetString()!;

        foreach (var name in new[] { "scaivault", "a", "sv_2-x", new string('a', 30), "", new string('a', 31), "scai.vault", "scai vault", "../x" })
        {
            // Stricter than the driver only in refusing the empty name (a socket called ".sock").
            Assert.Equal(Regex.IsMatch(name, DriverProviderName) && name.Length > 0, Regex.IsMatch(name, pattern));
        }
    }

    internal static Dictionary<string, object?> DaemonSet(RenderedChart chart) => Assert.Single(chart.Documents, d => d.Kind() == "DaemonSet");

    internal static Dictionary<string, object?> Container(RenderedChart chart) => Assert.Single(DaemonSet(chart).PodSpec()!.Maps("containers"));
}
