using System.Text;
using System.Text.RegularExpressions;
using LeaseAgent.Diagnostics;
using LeaseAgent.Publishing;
using LeaseAgent.Status;
using Microsoft.Extensions.Logging.Abstractions;

namespace LeaseAgent.Packaging.Tests.Infrastructure;

/// <summary>
/// Metric families, the labels each one has, and, where the set is fixed, the values each label can take. Two sources:
/// the table of docs/metrics.md (<see cref="Documented"/>, which MetricsDocumentationTests ties to the code) and the
/// agent's own exposition (<see cref="Exported"/>, written by <see cref="LeaseMetrics"/> with one published credential).
/// </summary>
internal sealed partial class MetricCatalogue(string source, IReadOnlyDictionary<string, IReadOnlyDictionary<string, IReadOnlySet<string>?>> families)
{
    private static readonly Lazy<MetricCatalogue> DocumentedCatalogue = new(() => FromDocumentation(File.ReadAllText(DocumentationPath)));

    private static readonly Lazy<MetricCatalogue> ExportedCatalogue = new(() => FromExposition(Exposition()));

    public static string DocumentationPath => Path.Combine(RepositoryRoot.Path, "docs", "metrics.md");

    public static MetricCatalogue Documented => DocumentedCatalogue.Value;

    public static MetricCatalogue Exported => ExportedCatalogue.Value;

    public static MetricCatalogue Named(string source) => source switch
    {
        "docs" => Documented,
        "exposition" => Exported,
        _ => throw new ArgumentOutOfRangeException(nameof(source), source, "docs or exposition"),
    };

    /// <summary>Where the catalogue comes from, for messages.</summary>
    public string Source { get; } = source;

    public IReadOnlyCollection<string> Families => [.. families.Keys];

    /// <summary>The family of a series name: itself, or without a histogram's or summary's <c>_bucket</c>, <c>_sum</c>, <c>_count</c>.</summary>
    public string? Family(string name)
    {
        if (families.ContainsKey(name))
        {
            return name;
        }

        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal) && families.ContainsKey(name[..^suffix.Length]))
            {
                return name[..^suffix.Length];
            }
        }

        return null;
    }

    /// <summary>The labels of a family (of <see cref="Family"/>), each with its fixed values or null when any value goes.</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>?> Labels(string family) => families[family];

    /// <summary>The rows of the "| Metric | Type | Labels | Meaning |" table.</summary>
    public static MetricCatalogue FromDocumentation(string markdown)
    {
        var rows = new List<(string[] Names, List<(string Label, List<string> Values)> Labels)>();
        foreach (var line in markdown.Split('\n'))
        {
            var cells = line.Trim().Trim('|').Split(" | ");
            if (cells.Length != 4 || cells[1].Trim() is not ("gauge" or "counter" or "histogram" or "summary"))
            {
                continue;
            }

            var names = Code().Matches(cells[0]).Select(m => m.Groups[1].Value).ToArray();
            var labels = new List<(string, List<string>)>();
            if (cells[2].Trim() != "—")
            {
                foreach (var part in cells[2].Split(';'))
                {
                    var (label, colon) = (Code().Match(part), part.IndexOf(':', StringComparison.Ordinal));
                    if (!label.Success)
                    {
                        throw new FormatException($"docs/metrics.md: no label name in '{part.Trim()}' ({cells[0]})");
                    }

                    var values = colon < 0 ? [] : Code().Matches(part[colon..]).Select(m => m.Groups[1].Value).ToList();
                    labels.Add((label.Groups[1].Value, values));
                }
            }

            rows.Add((names, labels));
        }

        var byName = rows.SelectMany(row => row.Names.Select(name => (name, row.Labels))).ToDictionary(r => r.name, r => r.Labels, StringComparer.Ordinal);

        // A value list may name another metric ("the values of `leaseagent_state`"): its values for the same label.
        IReadOnlySet<string>? Values(string label, List<string> values)
        {
            if (values.Count == 0)
            {
                return null;
            }

            return values.SelectMany(value => byName.TryGetValue(value, out var other)
                    ? other.Single(l => l.Label == label).Values
                    : [value])
                .ToHashSet(StringComparer.Ordinal);
        }

        return new MetricCatalogue(
            "docs/metrics.md",
            byName.ToDictionary(
                pair => pair.Key,
                pair => (IReadOnlyDictionary<string, IReadOnlySet<string>?>)pair.Value.ToDictionary(l => l.Label, l => Values(l.Label, l.Values), StringComparer.Ordinal),
                StringComparer.Ordinal));
    }

    /// <summary>The families of a Prometheus text exposition (its <c># TYPE</c> lines) and the labels and values its series show.</summary>
    public static MetricCatalogue FromExposition(string exposition)
    {
        var families = new Dictionary<string, Dictionary<string, HashSet<string>>>(StringComparer.Ordinal);
        var lines = exposition.Split('\n');
        foreach (var line in lines.Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal)))
        {
            families[line.Split(' ')[2]] = new(StringComparer.Ordinal);
        }

        foreach (var line in lines.Where(l => l.Length > 0 && l[0] != '#'))
        {
            var series = Series().Match(line);
            var name = series.Groups["name"].Value;
            var family = families.ContainsKey(name) ? name : families.Keys.FirstOrDefault(f => name.StartsWith(f + "_", StringComparison.Ordinal))
                ?? throw new FormatException($"exposition: series {name} of no # TYPE family");
            foreach (Match label in SeriesLabel().Matches(series.Groups["labels"].Value))
            {
                var values = families[family].TryGetValue(label.Groups[1].Value, out var set) ? set : families[family][label.Groups[1].Value] = new(StringComparer.Ordinal);
                values.Add(label.Groups[2].Value);
            }
        }

        return new MetricCatalogue(
            "the agent's /metrics",
            families.ToDictionary(
                pair => pair.Key,
                pair => (IReadOnlyDictionary<string, IReadOnlySet<string>?>)pair.Value.ToDictionary(l => l.Key, l => (IReadOnlySet<string>?)l.Value, StringComparer.Ordinal),
                StringComparer.Ordinal));
    }

    /// <summary>What <c>/metrics</c> shows for an agent with one published credential (<c>e/r</c>), as MetricsDocumentationTests obtains it.</summary>
    private static string Exposition()
    {
        var directory = Directory.CreateTempSubdirectory("packaging-metrics-");
        try
        {
            var time = TimeProvider.System;
            using var status = new StatusReporter(new StatusOptions(directory.FullName, ["e/r"], Secrets: false, FailOpen: false), time, NullLogger<StatusReporter>.Instance);
            var now = time.GetTimestamp();
            var document = new CredentialDocument
            {
                Username = "v_r_test",
                Password = "not-a-secret",
                Host = "db",
                Port = 5432,
                Database = "d",
                SslMode = "require",
                ConnectionString = "Host=db",
                Uri = "postgresql://db/d",
                LeaseId = "dyn_test",
                LeaseDurationSeconds = 600,
                Renewable = true,
                IssuedAt = DateTimeOffset.UnixEpoch,
                ExpiresAt = DateTimeOffset.UnixEpoch,
                Generation = 1,
            };
            status.Report(new LeaseStatus("e/r", AgentState.Active)
            {
                Generation = 1,
                Published = new PublishedCredential(document, now + (600 * time.TimestampFrequency), now + (3600 * time.TimestampFrequency)),
            });
            using var metrics = new LeaseMetrics(status, time);
            metrics.For("e/r");
            using var exposition = new MemoryStream();
            metrics.WriteAsync(exposition, CancellationToken.None).GetAwaiter().GetResult();
            return Encoding.UTF8.GetString(exposition.ToArray());
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Code();

    [GeneratedRegex("^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?<labels>.*)\\})? ")]
    private static partial Regex Series();

    [GeneratedRegex("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex SeriesLabel();
}
