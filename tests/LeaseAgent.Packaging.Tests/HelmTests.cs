using LeaseAgent.Packaging.Tests.Infrastructure;

namespace LeaseAgent.Packaging.Tests;

/// <summary>
/// <c>helm lint --strict</c> and helm's own schema check for charts/lease-agent. Every render of the chart tests is
/// helm's too (<see cref="ChartRenderer"/>); helm is pinned by .ci/install-helm.sh.
/// </summary>
public sealed class HelmTests
{
    [Fact]
    public void HelmLint_Passes()
    {
        var (exitCode, stdout, stderr) = Helm.Run("lint", "--strict", ChartRenderer.ChartDirectory);

        Assert.True(exitCode == 0, $"helm lint failed:\n{stdout}\n{stderr}");
    }

    [Fact]
    public void HelmLint_WithTheMonitoringObjects_Passes()
    {
        var (exitCode, stdout, stderr) = Helm.Run(
            "lint", "--strict", ChartRenderer.ChartDirectory,
            "--set", "agent.healthAddress=0.0.0.0:8099",
            "--set", "monitoring.podMonitor.enabled=true",
            "--set", "monitoring.prometheusRule.enabled=true",
            "--set", "monitoring.prometheusRule.runbookUrl=https://git.example.com/lease-agent/blob/main/docs/operations.md",
            "--set", "monitoring.grafanaDashboard.enabled=true");

        Assert.True(exitCode == 0, $"helm lint failed:\n{stdout}\n{stderr}");
    }

    [Fact]
    public void HelmTemplate_RejectsAModeOutsideTheSchema()
    {
        var (exitCode, _, stderr) = Helm.Run("template", "reporting", ChartRenderer.ChartDirectory, "--set", "mode=sidecar");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("at '/mode': value must be one of", stderr, StringComparison.Ordinal);
    }
}
