using System.Runtime.Versioning;
using System.Text.Json;
using System.Text.RegularExpressions;
using Grpc.Core;
using LeaseAgent.Packaging.Tests.Infrastructure;
using ScaiVault.CsiProvider.Configuration;
using ScaiVault.CsiProvider.Mounting;

namespace LeaseAgent.Packaging.Tests;

/// <summary>
/// samples/kubernetes/csi: the provider's plain manifests equal the chart's defaults, the SecretProviderClass parses
/// with the provider's own <see cref="MountRequestParser"/> fed the way the driver feeds it, and the pod, the
/// synced Secret and the driver's values fit together.
/// </summary>
[SupportedOSPlatform("linux")] // the provider is a Linux-only assembly
public sealed partial class CsiSampleManifestTests
{
    private static readonly string Directory = Path.Combine(RepositoryRoot.Path, "samples", "kubernetes", "csi");

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static TheoryData<string> Files() => new(FileNames());

    [Fact]
    public void Directory_HoldsTheProviderTheDriversValuesTheClassAndThePod()
    {
        Assert.Equal(new[] { "app.yaml", "driver-values.yaml", "provider.yaml", "secretproviderclass.yaml" }, FileNames());
    }

    private static List<string> FileNames() =>
        System.IO.Directory.GetFiles(Directory, "*.yaml").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();

    [Theory]
    [MemberData(nameof(Files))]
    public void Sample_StartsWithACommentSayingWhenToUseIt(string file)
    {
        var header = File.ReadLines(Path.Combine(Directory, file)).TakeWhile(l => l.StartsWith('#')).ToList();

        Assert.True(header.Count >= 3, $"{file} has no comment block at the top");
        Assert.Contains(header, l => l.Contains("When to use", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Readme_HasARowForEveryFile(string file)
    {
        var readme = File.ReadAllText(Path.Combine(Directory, "README.md"));

        Assert.Contains($"| `{file}` |", readme, StringComparison.Ordinal);
    }

    [Fact]
    public void Provider_IsTheChartsDefaultDaemonSet()
    {
        var sample = Assert.Single(Load("provider.yaml"), d => d.Kind() == "DaemonSet");
        var chart = CsiProviderChartTests.DaemonSet(CsiProviderChartTests.Render());

        Assert.Equal(Canonical(chart.Map("spec").Map("template").Map("spec")), Canonical(sample.Map("spec").Map("template").Map("spec")));
        Assert.Equal(Canonical(chart.Map("spec").Map("updateStrategy")), Canonical(sample.Map("spec").Map("updateStrategy")));
        Assert.Equal(chart.Map("metadata").Str("namespace"), sample.Map("metadata").Str("namespace"));
    }

    [Fact]
    public void Provider_IsHardenedApartFromRoot_AndHasNoRbac()
    {
        var documents = Load("provider.yaml");
        var pod = Assert.Single(documents, d => d.Kind() == "DaemonSet").PodSpec()!;
        var account = Assert.Single(documents, d => d.Kind() == "ServiceAccount");

        Assert.Empty(PodChecks.CheckPods(documents, allowRoot: true));
        Assert.Equal(account.Name(), pod.Str("serviceAccountName"));
        Assert.Equal(false, account.Get("automountServiceAccountToken"));
        Assert.DoesNotContain(documents, d => d.Kind().EndsWith("Role", StringComparison.Ordinal) || d.Kind().EndsWith("RoleBinding", StringComparison.Ordinal));
    }

    [Fact]
    public void App_PodsAreHardened_AndMountTheClassInlineReadOnly()
    {
        var documents = Load("app.yaml");
        var deployment = Assert.Single(documents, d => d.Kind() == "Deployment");
        var pod = deployment.PodSpec()!;
        var volume = Assert.Single(pod.Maps("volumes"), v => v.Map("csi") is not null).Map("csi");
        var mounts = pod.Maps("containers").SelectMany(c => c.Maps("volumeMounts")).Where(m => m.Str("name") == Assert.Single(pod.Maps("volumes"), v => v.Map("csi") is not null).Str("name")).ToList();

        Assert.Empty(PodChecks.CheckPods(documents));
        Assert.Equal("secrets-store.csi.k8s.io", volume.Str("driver"));
        Assert.Equal(true, volume.Get("readOnly"));
        Assert.Equal(Class().Name(), volume.Map("volumeAttributes").Str("secretProviderClass"));
        Assert.Equal(Class().Map("metadata").Str("namespace"), deployment.Map("metadata").Str("namespace"));
        Assert.NotEmpty(mounts);
        Assert.All(mounts, m => Assert.Equal(true, m.Get("readOnly")));
        Assert.All(mounts, m => Assert.Null(m.Get("subPath"))); // a subPath file never rotates (kubernetes#50345)
        Assert.Equal(false, pod.Get("automountServiceAccountToken"));
        Assert.Contains(documents, d => d.Kind() == "ServiceAccount" && d.Name() == pod.Str("serviceAccountName"));
    }

    [Fact]
    public void App_ReadsRestrictedModesThroughGroupZero()
    {
        // The driver writes root:root files with the object's mode and fsGroup does not apply: a non-root app reads a
        // file without the "other" read bit only as group 0.
        var pod = Assert.Single(Load("app.yaml"), d => d.Kind() == "Deployment").PodSpec()!;
        var plan = Parse(Class());
        var groups = pod.Map("securityContext").List("supplementalGroups").Select(K8s.Number).ToList();
        var user = K8s.Number(pod.Map("securityContext").Get("runAsUser"));

        Assert.NotEqual(0d, user);
        foreach (var item in plan.Objects.Where(o => (o.Mode & 4) == 0))
        {
            Assert.True((item.Mode & 32) != 0 && groups.Contains(0), $"{item.ObjectName} (mode {Convert.ToString(item.Mode, 8)}) is unreadable for uid {user}");
        }
    }

    [Fact]
    public void Class_ObjectsParseWithTheProvidersOwnRules()
    {
        var plan = Parse(Class());

        Assert.Equal(new[] { "db.json", "db-password", "api-key", "tls/ca.der" }, plan.Objects.Select(o => o.ObjectName));
        Assert.Equal(Convert.ToInt32("440", 8), plan.Objects.Single(o => o.ObjectName == "db-password").Mode);
        Assert.All(plan.Objects.Where(o => o.ObjectName != "db-password"), o => Assert.Equal(MountRequestParser.DriverDefaultMode, o.Mode));
        Assert.Equal(SecretEncoding.Base64, plan.Objects.Single(o => o.ObjectName == "tls/ca.der").Encoding);
        Assert.Equal(3, plan.Objects.Single(o => o.ObjectName == "tls/ca.der").Version);
        Assert.Equal("scaivault", plan.Audience);
        Assert.Equal(ProviderOptions().ScaiVaultUrl, plan.ScaiVaultUrl);
    }

    [Fact]
    public void Class_DecodesStrictlyIntoTheDriversCrd()
    {
        var spc = KubernetesApiTypes.Decode<SecretProviderClass>(Class());

        // The CRD's parameters are map[string]string: an unquoted number or bool is refused by the API server.
        var unquoted = Load("secretproviderclass.yaml", "audience: \"scaivault\"", "audience: 1");
        Assert.Equal("scaivault", spc.Spec.Provider);
        Assert.Contains("$.spec.parameters.audience", Assert.Throws<ManifestException>(() => KubernetesApiTypes.Decode(Assert.Single(unquoted))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Class_ProviderIsTheSocketTheProviderServes()
    {
        var provider = Class().Map("spec").Str("provider")!;
        var endpoint = ProviderOptions().Endpoint;

        Assert.Matches("^[a-zA-Z0-9_-]{0,30}$", provider);
        Assert.Equal($"/provider/{provider}.sock", endpoint);
    }

    [Fact]
    public void Class_CommentedOutServer_IsRefusedUntilTheProviderAllowsIt()
    {
        var spc = Class();
        var commented = ScaiVaultUrlComment().Match(File.ReadAllText(Path.Combine(Directory, "secretproviderclass.yaml")));
        Assert.True(commented.Success, "secretproviderclass.yaml no longer shows scaivaultUrl");
        spc.Map("spec").Map("parameters")!["scaivaultUrl"] = commented.Groups["url"].Value;

        var error = Assert.Throws<MountRequestException>(() => Parse(spc));
        var allowed = Parse(spc, ProviderConfiguration.Load([.. ProviderArgs(), "--allowed-url=" + commented.Groups["url"].Value], _ => null));

        Assert.Equal(StatusCode.InvalidArgument, error.Code);
        Assert.Contains("--allowed-url", error.Message, StringComparison.Ordinal);
        Assert.Equal(new Uri(commented.Groups["url"].Value), allowed.ScaiVaultUrl);
    }

    [Fact]
    public void Class_SecretObjectsNameOnlyMountedFilesAndAreComplete()
    {
        var spc = Class();
        var names = Parse(spc).Objects.Select(o => (string?)o.ObjectName).ToHashSet(StringComparer.Ordinal);
        var secretObjects = spc.Map("spec").Maps("secretObjects").ToList();

        Assert.NotEmpty(secretObjects);
        foreach (var secret in secretObjects)
        {
            // The driver's validation: a name, a type, at least one data entry with objectName and key.
            Assert.False(string.IsNullOrEmpty(secret.Str("secretName")));
            Assert.False(string.IsNullOrEmpty(secret.Str("type")));
            Assert.NotEmpty(secret.Maps("data"));
            foreach (var data in secret.Maps("data"))
            {
                Assert.Contains(data.Str("objectName"), names); // else "file matching objectName … not found in the pod"
                Assert.Matches("^[-._a-zA-Z0-9]+$", data.Str("key")!); // a valid Secret key
            }
        }
    }

    [Fact]
    public void App_EnvFromTheSyncedSecret_UsesASyncedKey()
    {
        var pod = Assert.Single(Load("app.yaml"), d => d.Kind() == "Deployment").PodSpec()!;
        var synced = Class().Map("spec").Maps("secretObjects").ToDictionary(s => s.Str("secretName")!, s => s.Maps("data").Select(d => d.Str("key")).ToList());
        var references = pod.Maps("containers").SelectMany(c => c.Maps("env")).Select(e => e.Map("valueFrom").Map("secretKeyRef")).OfType<Dictionary<string, object?>>().ToList();

        Assert.NotEmpty(references);
        Assert.All(references, r => Assert.Contains(r.Str("key"), synced[r.Str("name")!]));
    }

    [Fact]
    public void DriverValues_RequestTheTokenAndEnableWhatTheClassUses()
    {
        var values = Assert.Single(Load("driver-values.yaml"));
        var audiences = values.Maps("tokenRequests").Select(t => t.Str("audience")).ToList();

        Assert.Contains(Parse(Class()).Audience, audiences);
        Assert.Contains(ProviderOptions().DefaultAudience, audiences);
        Assert.Equal(true, values.Map("syncSecret").Get("enabled")); // the class has secretObjects
        Assert.Equal(true, values.Get("enableSecretRotation"));
        Assert.True(K8s.ParseDuration(values.Str("rotationPollInterval")!) >= TimeSpan.FromMinutes(1));
        // The provider's default --max-response-bytes (4 MiB) must fit what the driver accepts.
        Assert.True(K8s.Number(values.Get("maxCallRecvMsgSize")) >= 4 * 1024 * 1024);
    }

    private static Dictionary<string, object?> Class() => Assert.Single(Load("secretproviderclass.yaml"), d => d.Kind() == "SecretProviderClass");

    private static List<string> ProviderArgs() =>
        Assert.Single(Assert.Single(Load("provider.yaml"), d => d.Kind() == "DaemonSet").PodSpec()!.Maps("containers")).Strings("args");

    private static ProviderOptions ProviderOptions() => ProviderConfiguration.Load(ProviderArgs(), _ => null);

    /// <summary>The class as the driver hands it to the provider for a pod of app.yaml: parameters, pod info, the pod's token.</summary>
    private static MountPlan Parse(Dictionary<string, object?> spc, ProviderOptions? options = null)
    {
        var parameters = spc.Map("spec").Map("parameters")!.ToDictionary(p => p.Key, p => (string)p.Value!);
        var request = DriverMountRequest.For(parameters, spc.Name(), spc.Map("metadata").Str("namespace")!, tokenAudience: parameters.GetValueOrDefault("audience", "scaivault"));

        return MountRequestParser.Parse(request, options ?? ProviderOptions());
    }

    private static List<Dictionary<string, object?>> Load(string file) =>
        YamlDocuments.LoadAll(File.ReadAllText(Path.Combine(Directory, file)), "samples/kubernetes/csi/" + file);

    private static List<Dictionary<string, object?>> Load(string file, string good, string bad)
    {
        var text = File.ReadAllText(Path.Combine(Directory, file));
        Assert.Contains(good, text, StringComparison.Ordinal);
        return YamlDocuments.LoadAll(text.Replace(good, bad, StringComparison.Ordinal), "samples/kubernetes/csi/" + file + " (mutated)");
    }

    /// <summary>A value as JSON with every map's keys sorted, so two manifests compare by content, not by key order.</summary>
    private static string Canonical(object? value)
    {
        static object? Sort(object? v) => v switch
        {
            Dictionary<string, object?> map => new SortedDictionary<string, object?>(map.ToDictionary(p => p.Key, p => Sort(p.Value)), StringComparer.Ordinal),
            List<object?> list => list.Select(Sort).ToList(),
            _ => v,
        };

        return JsonSerializer.Serialize(Sort(value), Indented);
    }

    [GeneratedRegex("#\\s*scaivaultUrl:\\s*\"(?<url>[^\"]+)\"")]
    private static partial Regex ScaiVaultUrlComment();
}
