using LeaseAgent.Packaging.Tests.Infrastructure;

namespace LeaseAgent.Packaging.Tests;

/// <summary><c>helm lint --strict</c> and helm's own schema check for charts/scaivault-csi-provider (as <see cref="HelmTests"/>).</summary>
public sealed class CsiProviderHelmTests
{
    private static string Chart => ChartRenderer.CsiProviderChartDirectory;

    [Fact]
    public void HelmLint_Passes()
    {
        var (exitCode, stdout, stderr) = Helm.Run("lint", "--strict", Chart);

        Assert.True(exitCode == 0, $"helm lint failed:\n{stdout}\n{stderr}");
    }

    [Fact]
    public void HelmTemplate_RejectsAProviderNameTheDriverWouldNotFind()
    {
        var (exitCode, _, stderr) = Helm.Run("template", "x", Chart, "--set", "provider.name=scai.vault");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("at '/provider/name'", stderr, StringComparison.Ordinal);
    }
}
