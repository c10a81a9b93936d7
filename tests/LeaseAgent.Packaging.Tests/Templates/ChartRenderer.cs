using LeaseAgent.Packaging.Tests.Infrastructure;

namespace LeaseAgent.Packaging.Tests.Templates;

/// <summary>The rendered chart: each template's text, its YAML documents, and NOTES.txt.</summary>
internal sealed record RenderedChart(
    IReadOnlyDictionary<string, string> Files,
    IReadOnlyList<Dictionary<string, object?>> Documents,
    string Notes,
    Dictionary<string, object?> Values);

/// <summary>
/// What <c>helm template</c> does, for this repository's charts (charts/lease-agent unless a chart directory is
/// given): reads Chart.yaml and values.yaml, merges overrides
/// (maps deep-merged, anything else replaced, as <c>--set</c>/<c>-f</c> do), builds <c>.Values</c>,
/// <c>.Release</c>, <c>.Chart</c> and <c>.Capabilities</c>, renders every template with
/// <see cref="GoTemplate"/> (files starting with <c>_</c> only contribute <c>define</c>s) and parses the
/// output of each <c>.yaml</c> template as YAML documents.
/// </summary>
/// <remarks>
/// Not covered: subcharts, <c>.Files</c>, <c>lookup</c>, <c>tpl</c>, hooks and Helm's ordering of kinds;
/// the chart uses none of them, and an attempt to use one fails the render. Schema validation is separate
/// (<see cref="Infrastructure.ValuesSchema"/>), as in Helm it happens before rendering.
/// </remarks>
internal static class ChartRenderer
{
    public static string ChartDirectory => Path.Combine(RepositoryRoot.Path, "charts", "lease-agent");

    public static string CsiProviderChartDirectory => Path.Combine(RepositoryRoot.Path, "charts", "scaivault-csi-provider");

    public static Dictionary<string, object?> DefaultValues(string? chartDirectory = null) =>
        YamlDocuments.LoadValues(File.ReadAllText(Path.Combine(chartDirectory ?? ChartDirectory, "values.yaml")), "values.yaml");

    /// <summary>Renders with the default values merged with <paramref name="overrides"/> (YAML text, as with <c>-f</c>).</summary>
    public static RenderedChart Render(string? overrides = null, string releaseName = "reporting", string releaseNamespace = "shop", string? chartDirectory = null)
    {
        var directory = chartDirectory ?? ChartDirectory;
        var values = DefaultValues(directory);
        if (overrides is not null)
        {
            Merge(values, YamlDocuments.LoadValues(overrides, "overrides"));
        }

        var chart = YamlDocuments.LoadValues(File.ReadAllText(Path.Combine(directory, "Chart.yaml")), "Chart.yaml");
        var root = new Dictionary<string, object?>
        {
            ["Values"] = values,
            ["Release"] = new Dictionary<string, object?>
            {
                ["Name"] = releaseName,
                ["Namespace"] = releaseNamespace,
                ["Service"] = "Helm",
                ["IsInstall"] = true,
                ["IsUpgrade"] = false,
                ["Revision"] = 1L,
            },
            // Helm exposes Chart.yaml's fields capitalised: name -> .Chart.Name, appVersion -> .Chart.AppVersion.
            ["Chart"] = chart.ToDictionary(p => char.ToUpperInvariant(p.Key[0]) + p.Key[1..], p => p.Value),
            ["Capabilities"] = new Dictionary<string, object?>
            {
                ["KubeVersion"] = new Dictionary<string, object?> { ["Version"] = "v1.31.0", ["Major"] = "1", ["Minor"] = "31" },
            },
        };

        var template = new GoTemplate();
        var templateFiles = Directory.GetFiles(Path.Combine(directory, "templates")).Order(StringComparer.Ordinal).ToList();
        foreach (var file in templateFiles)
        {
            template.AddFile(Path.GetFileName(file), File.ReadAllText(file));
        }

        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        var documents = new List<Dictionary<string, object?>>();
        var notes = "";
        foreach (var name in templateFiles.Select(Path.GetFileName).OfType<string>().Where(n => !n.StartsWith('_')))
        {
            var text = template.Render(name, root);
            files[name] = text;
            if (name == "NOTES.txt")
            {
                notes = text;
            }
            else if (name.EndsWith(".yaml", StringComparison.Ordinal) || name.EndsWith(".yml", StringComparison.Ordinal))
            {
                documents.AddRange(YamlDocuments.LoadAll(text, "templates/" + name));
            }
            else
            {
                throw new InvalidOperationException($"templates/{name}: a file Helm would render but the tests do not know");
            }
        }

        return new RenderedChart(files, documents, notes, values);
    }

    private static void Merge(Dictionary<string, object?> target, Dictionary<string, object?> source)
    {
        foreach (var (key, value) in source)
        {
            if (value is null)
            {
                target.Remove(key);
            }
            else if (value is Dictionary<string, object?> map && target.GetValueOrDefault(key) is Dictionary<string, object?> existing)
            {
                Merge(existing, map);
            }
            else
            {
                target[key] = value;
            }
        }
    }
}
