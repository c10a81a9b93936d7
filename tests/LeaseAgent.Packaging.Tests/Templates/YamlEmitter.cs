using System.Text.RegularExpressions;

namespace LeaseAgent.Packaging.Tests.Templates;

/// <summary>
/// Helm's <c>toYaml</c> for plain values: block style, map keys sorted (as sigs.k8s.io/yaml does), no
/// trailing newline. Every string is double-quoted, so the text differs from Helm's where Helm leaves a
/// string plain, but it parses to the same values; the tests compare parsed values, never text.
/// </summary>
internal static partial class YamlEmitter
{
    public static string ToYaml(object? value) => string.Join('\n', Lines(value));

    private static List<string> Lines(object? value)
    {
        switch (value)
        {
            case Dictionary<string, object?> { Count: > 0 } map:
                var mapLines = new List<string>();
                foreach (var (key, item) in map.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    var name = PlainKey().IsMatch(key) && !ResolvesToNonString().IsMatch(key) ? key : TemplateFunctions.GoQuote(key);
                    if (IsBlock(item))
                    {
                        mapLines.Add(name + ":");
                        // Lists sit at the key's indentation, as go-yaml writes them; maps are indented.
                        mapLines.AddRange(Lines(item).Select(line => (item is List<object?> ? "" : "  ") + line));
                    }
                    else
                    {
                        mapLines.Add(name + ": " + Scalar(item));
                    }
                }

                return mapLines;
            case List<object?> { Count: > 0 } list:
                var listLines = new List<string>();
                foreach (var item in list)
                {
                    var itemLines = IsBlock(item) ? Lines(item) : [Scalar(item)];
                    listLines.Add("- " + itemLines[0]);
                    listLines.AddRange(itemLines.Skip(1).Select(line => "  " + line));
                }

                return listLines;
            default:
                return [Scalar(value)];
        }
    }

    private static bool IsBlock(object? value) =>
        value is Dictionary<string, object?> { Count: > 0 } or List<object?> { Count: > 0 };

    private static string Scalar(object? value) => value switch
    {
        null => "null",
        string s => TemplateFunctions.GoQuote(s),
        Dictionary<string, object?> => "{}",
        List<object?> => "[]",
        _ => TemplateFunctions.Print(value),
    };

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_./-]*$")]
    private static partial Regex PlainKey();

    [GeneratedRegex("^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL)$")]
    private static partial Regex ResolvesToNonString();
}
