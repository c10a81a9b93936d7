using System.Collections.Concurrent;
using System.Text.Json;

namespace LeaseAgent.Packaging.Tests.Infrastructure;

/// <summary>A chart as helm renders it: its YAML documents (hooks included) and NOTES.txt.</summary>
internal sealed record RenderedChart(IReadOnlyList<Dictionary<string, object?>> Documents, string Notes);

/// <summary>
/// Renders this repository's charts (charts/lease-agent unless a chart directory is given) with the pinned helm:
/// <c>helm install --dry-run=client --output json</c>, which is <c>helm template</c> plus NOTES.txt, with the
/// overrides as a <c>-f</c> values file. Helm validates the values against values.schema.json before rendering.
/// </summary>
internal static class ChartRenderer
{
    // One helm run per distinct render; each caller parses its own copy, so a test may change what it gets.
    private static readonly ConcurrentDictionary<string, Lazy<string>> Releases = new(StringComparer.Ordinal);

    public static string ChartDirectory => Path.Combine(RepositoryRoot.Path, "charts", "lease-agent");

    public static string CsiProviderChartDirectory => Path.Combine(RepositoryRoot.Path, "charts", "scaivault-csi-provider");

    public static Dictionary<string, object?> DefaultValues(string? chartDirectory = null) =>
        YamlDocuments.LoadValues(File.ReadAllText(Path.Combine(chartDirectory ?? ChartDirectory, "values.yaml")), "values.yaml");

    /// <summary>Renders with the default values merged with <paramref name="overrides"/> (YAML text, as with <c>-f</c>).</summary>
    /// <exception cref="HelmException">helm refused the values or a template failed (<c>fail</c>, <c>required</c>).</exception>
    public static RenderedChart Render(string? overrides = null, string releaseName = "reporting", string releaseNamespace = "shop", string? chartDirectory = null)
    {
        var directory = chartDirectory ?? ChartDirectory;
        var key = string.Join('\0', directory, releaseName, releaseNamespace, overrides ?? "");
        var release = Releases.GetOrAdd(key, _ => new Lazy<string>(() => Install(directory, releaseName, releaseNamespace, overrides))).Value;

        using var json = JsonDocument.Parse(release);
        var root = json.RootElement;
        var documents = YamlDocuments.LoadAll(root.GetProperty("manifest").GetString() ?? "", $"helm: {Path.GetFileName(directory)}");
        if (root.TryGetProperty("hooks", out var hooks) && hooks.ValueKind == JsonValueKind.Array)
        {
            foreach (var hook in hooks.EnumerateArray())
            {
                documents.AddRange(YamlDocuments.LoadAll(hook.GetProperty("manifest").GetString() ?? "", "helm hook " + hook.GetProperty("path").GetString()));
            }
        }

        var notes = root.GetProperty("info").TryGetProperty("notes", out var text) ? text.GetString() ?? "" : "";
        return new RenderedChart(documents, notes);
    }

    private static string Install(string directory, string releaseName, string releaseNamespace, string? overrides)
    {
        var valuesFile = Path.GetTempFileName();
        try
        {
            File.WriteAllText(valuesFile, overrides ?? "");
            var (exitCode, stdout, stderr) = Helm.Run(
                "install", releaseName, directory, "--namespace", releaseNamespace, "--dry-run=client", "--output", "json", "--values", valuesFile);
            return exitCode == 0 ? stdout : throw new HelmException(stderr.Trim());
        }
        finally
        {
            File.Delete(valuesFile);
        }
    }
}
