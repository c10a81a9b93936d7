using LeaseAgent.Packaging.Tests.Infrastructure;
using LeaseAgent.Packaging.Tests.Templates;

namespace LeaseAgent.Packaging.Tests;

/// <summary>
/// charts/scaivault-csi-provider with the real helm, when it is on PATH (as <see cref="HelmTests"/> for the agent's
/// chart): lint with the schema, and <c>helm template</c> output under the same checks as the built-in renderer's.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // the provider is a Linux-only assembly
public sealed class CsiProviderHelmTests
{
    private static string Chart => ChartRenderer.CsiProviderChartDirectory;

    [HelmFact]
    public void HelmLint_Passes()
    {
        var (exitCode, stdout, stderr) = HelmTests.Run(HelmTests.HelmPath.Value!, "lint", "--strict", Chart);

        Assert.True(exitCode == 0, $"helm lint failed:\n{stdout}\n{stderr}");
    }

    [HelmFact]
    public void HelmTemplate_EqualsTheBuiltInRenderersDaemonSet()
    {
        var (exitCode, stdout, stderr) = HelmTests.Run(HelmTests.HelmPath.Value!, "template", "scaivault-csi-provider", Chart, "--namespace", "kube-system");
        Assert.True(exitCode == 0, $"helm template failed:\n{stderr}");

        var documents = YamlDocuments.LoadAll(stdout, "helm template");
        var daemonSet = Assert.Single(documents, d => d.Kind() == "DaemonSet");
        var rendered = CsiProviderChartTests.DaemonSet(CsiProviderChartTests.Render());

        Assert.Empty(PodChecks.CheckPods(documents, allowRoot: true));
        Assert.Equal(
            System.Text.Json.JsonSerializer.Serialize(rendered.Map("spec").Map("template").Map("spec").Map("containers")),
            System.Text.Json.JsonSerializer.Serialize(daemonSet.Map("spec").Map("template").Map("spec").Map("containers")));
    }

    [HelmFact]
    public void HelmTemplate_RejectsAProviderNameTheDriverWouldNotFind()
    {
        var (exitCode, _, stderr) = HelmTests.Run(HelmTests.HelmPath.Value!, "template", "x", Chart, "--set", "provider.name=scai.vault");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("name", stderr, StringComparison.Ordinal);
    }
}
