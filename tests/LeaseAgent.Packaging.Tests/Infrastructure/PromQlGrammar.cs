using System.Diagnostics;
using System.Text.Json;

namespace LeaseAgent.Packaging.Tests.Infrastructure;

/// <summary>
/// Prometheus's own PromQL grammar (@prometheus-io/lezer-promql, the parser of the Prometheus UI), run with node from
/// artifacts/tools/promql, where <c>.ci/install-promql.sh</c> puts it with <c>.ci/promql/parse.mjs</c>. Without it the
/// tests that parse PromQL fail, naming the script. <see cref="PromQl"/> reads names and labels; this says whether
/// Prometheus would parse the expression at all.
/// </summary>
internal static class PromQlGrammar
{
    private static readonly Lazy<string> Script = new(Locate);

    /// <summary>For each expression, its syntax errors (none when Prometheus's grammar parses it).</summary>
    public static IReadOnlyList<IReadOnlyList<string>> Errors(IReadOnlyList<string> expressions)
    {
        var start = new ProcessStartInfo("node") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Script.Value);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(JsonSerializer.Serialize(expressions));
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromMinutes(1)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("node parse.mjs did not finish in a minute");
        }

        return process.ExitCode == 0
            ? JsonSerializer.Deserialize<List<List<string>>>(stdout.Result)!
            : throw new InvalidOperationException($"node {Script.Value} exited with {process.ExitCode}: {stderr.Result}");
    }

    /// <summary>
    /// A dashboard query as Prometheus receives it: Grafana replaces <c>$__rate_interval</c>, <c>$__interval</c>,
    /// <c>$__range</c> and <c>$__range_s</c> before it sends the query (template variables sit inside label values).
    /// </summary>
    public static string AsSentByGrafana(string query) => query
        .Replace("$__rate_interval", "1m", StringComparison.Ordinal)
        .Replace("$__interval", "15s", StringComparison.Ordinal)
        .Replace("$__range_s", "21600", StringComparison.Ordinal)
        .Replace("$__range", "6h", StringComparison.Ordinal);

    private static string Locate()
    {
        var script = Path.Combine(RepositoryRoot.Path, "artifacts", "tools", "promql", "parse.mjs");
        return File.Exists(script) && File.Exists(Path.Combine(RepositoryRoot.Path, "artifacts", "tools", "promql", "node_modules", "@prometheus-io", "lezer-promql", "package.json"))
            ? script
            : throw new InvalidOperationException("Prometheus's PromQL grammar is not in artifacts/tools/promql: run .ci/install-promql.sh (CI does), then the tests again");
    }
}
