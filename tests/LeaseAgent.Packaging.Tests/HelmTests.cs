using System.Diagnostics;
using LeaseAgent.Packaging.Tests.Infrastructure;
using LeaseAgent.Packaging.Tests.Templates;

namespace LeaseAgent.Packaging.Tests;

/// <summary>
/// The real helm, when it is on PATH: <c>helm lint</c> (which also applies values.schema.json) and
/// <c>helm template</c> for each mode, whose output must pass the same pod checks as the built-in renderer's.
/// Without helm these tests are reported as skipped, with the reason; the renderer tests cover the chart.
/// </summary>
public sealed class HelmTests
{
    public static TheoryData<string[]> Modes => new()
    {
        Array.Empty<string>(),
        new[] { "--set", "mode=classic-sidecar", "--set", "agent.reload.processName=ReportingService" },
        new[] { "--set", "mode=init-only" },
    };

    [HelmFact]
    public void HelmLint_Passes()
    {
        var (exitCode, stdout, stderr) = Run(HelmPath.Value!, "lint", "--strict", ChartRenderer.ChartDirectory);

        Assert.True(exitCode == 0, $"helm lint failed:\n{stdout}\n{stderr}");
    }

    [HelmTheory]
    [MemberData(nameof(Modes))]
    public void HelmTemplate_PassesThePodChecks(string[] settings)
    {
        var (exitCode, stdout, stderr) = Run(HelmPath.Value!, ["template", "reporting", ChartRenderer.ChartDirectory, "--namespace", "shop", .. settings]);
        Assert.True(exitCode == 0, $"helm template failed:\n{stderr}");

        var documents = YamlDocuments.LoadAll(stdout, "helm template");
        var findings = PodChecks.CheckPods(documents).Concat(PodChecks.CheckAgents(documents)).ToList();

        Assert.Single(PodChecks.Agents(documents));
        Assert.True(findings.Count == 0, string.Join("\n", findings));
    }

    [HelmFact]
    public void HelmTemplate_RejectsAModeOutsideTheSchema()
    {
        var (exitCode, _, stderr) = Run(HelmPath.Value!, "template", "reporting", ChartRenderer.ChartDirectory, "--set", "mode=sidecar");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("mode", stderr, StringComparison.Ordinal);
    }

    internal const string NoHelm = "helm is not on PATH: helm lint and helm template did not run; the chart is checked by the built-in renderer (ChartTemplateTests) only";

    internal static readonly Lazy<string?> HelmPath = new(() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Where(directory => directory.Length > 0)
            .Select(directory => Path.Combine(directory, "helm"))
            .FirstOrDefault(File.Exists));

    internal static (int ExitCode, string Stdout, string Stderr) Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish in 2 minutes");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}

/// <summary>A fact that is skipped, with the reason, when helm is not on PATH.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class HelmFactAttribute : FactAttribute
{
    public HelmFactAttribute()
    {
        if (HelmTests.HelmPath.Value is null)
        {
            Skip = HelmTests.NoHelm;
        }
    }
}

/// <summary>A theory that is skipped, with the reason, when helm is not on PATH.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class HelmTheoryAttribute : TheoryAttribute
{
    public HelmTheoryAttribute()
    {
        if (HelmTests.HelmPath.Value is null)
        {
            Skip = HelmTests.NoHelm;
        }
    }
}
