using System.Diagnostics;

namespace LeaseAgent.Packaging.Tests.Infrastructure;

/// <summary>
/// The helm binary: the pinned one <c>.ci/install-helm.sh</c> puts in artifacts/tools/helm, else helm on PATH.
/// Without either the chart tests fail, naming the script (docs/adr/0018-helm-from-the-npm-registry.md).
/// </summary>
internal static class Helm
{
    private static readonly Lazy<string> Binary = new(Locate);

    public static (int ExitCode, string Stdout, string Stderr) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(Binary.Value) { RedirectStandardOutput = true, RedirectStandardError = true };
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
            throw new TimeoutException($"helm {string.Join(' ', arguments)} did not finish in 2 minutes");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string Locate()
    {
        var pinned = Path.Combine(RepositoryRoot.Path, "artifacts", "tools", "helm", "helm");
        return File.Exists(pinned)
            ? pinned
            : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
                .Where(directory => directory.Length > 0)
                .Select(directory => Path.Combine(directory, "helm"))
                .FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                "helm is neither in artifacts/tools/helm nor on PATH: run .ci/install-helm.sh (the pinned helm CI runs), then the tests again");
    }
}

/// <summary>helm refused to render: its own message (a schema violation, a template's <c>fail</c>).</summary>
internal sealed class HelmException(string message) : Exception(message);
