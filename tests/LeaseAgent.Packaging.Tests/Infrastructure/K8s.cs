using System.Globalization;
using System.Text.RegularExpressions;

namespace LeaseAgent.Packaging.Tests.Infrastructure;

/// <summary>Small accessors over parsed manifests (<see cref="YamlDocuments"/> values).</summary>
internal static partial class K8s
{
    public static Dictionary<string, object?>? Map(this Dictionary<string, object?>? map, string key) =>
        map?.GetValueOrDefault(key) as Dictionary<string, object?>;

    public static List<object?> List(this Dictionary<string, object?>? map, string key) =>
        map?.GetValueOrDefault(key) as List<object?> ?? [];

    public static IEnumerable<Dictionary<string, object?>> Maps(this Dictionary<string, object?>? map, string key) =>
        map.List(key).OfType<Dictionary<string, object?>>();

    public static string? Str(this Dictionary<string, object?>? map, string key) => map?.GetValueOrDefault(key) as string;

    public static object? Get(this Dictionary<string, object?>? map, string key) => map?.GetValueOrDefault(key);

    public static string Kind(this Dictionary<string, object?> document) => document.Str("kind") ?? "?";

    public static string Name(this Dictionary<string, object?> document) => document.Map("metadata").Str("name") ?? "?";

    public static string Describe(this Dictionary<string, object?> document) => $"{document.Kind()}/{document.Name()}";

    /// <summary>The pod template of a workload, or the spec of a Pod; null for other kinds.</summary>
    public static Dictionary<string, object?>? PodSpec(this Dictionary<string, object?> document) => document.Kind() switch
    {
        "Pod" => document.Map("spec"),
        "Deployment" or "StatefulSet" or "DaemonSet" or "ReplicaSet" or "Job" => document.Map("spec").Map("template").Map("spec"),
        "CronJob" => document.Map("spec").Map("jobTemplate").Map("spec").Map("template").Map("spec"),
        _ => null,
    };

    public static List<string> Strings(this Dictionary<string, object?>? map, string key) =>
        map.List(key).Select(v => v as string ?? throw new InvalidOperationException($"{key}: {v} is not a string")).ToList();

    /// <summary>Kubernetes-style durations as the agent reads them: <c>90s</c>, <c>15m</c>, <c>1h30m</c>, bare seconds.</summary>
    public static TimeSpan ParseDuration(string text)
    {
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }

        var match = Duration().Match(text);
        if (!match.Success || text.Length == 0)
        {
            throw new FormatException($"not a duration: '{text}'");
        }

        long Part(string group) => match.Groups[group].Success ? long.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture) : 0;
        return TimeSpan.FromHours(Part("h")) + TimeSpan.FromMinutes(Part("m")) + TimeSpan.FromSeconds(Part("s"));
    }

    public static double? Number(object? value) => value switch
    {
        long l => l,
        double d => d,
        _ => null,
    };

    [GeneratedRegex("^(?:(?<h>[0-9]+)h)?(?:(?<m>[0-9]+)m)?(?:(?<s>[0-9]+)s)?$")]
    private static partial Regex Duration();
}
