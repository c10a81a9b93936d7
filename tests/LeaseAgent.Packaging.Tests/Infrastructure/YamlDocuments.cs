using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LeaseAgent.Packaging.Tests.Infrastructure;

/// <summary>
/// YAML to plain values: <see cref="Dictionary{TKey,TValue}"/> (string keys, in document order),
/// <see cref="List{T}"/>, string, long, double, bool or null.
/// </summary>
/// <remarks>
/// Untagged plain scalars are resolved the way Kubernetes and Helm read them (go-yaml v2, YAML 1.1 rules):
/// <c>true</c>/<c>yes</c>/<c>on</c>/<c>y</c> are booleans, <c>0600</c> is an octal integer, <c>~</c> is null.
/// So an env value written <c>on</c> or <c>0600</c> without quotes comes back as a bool or a number, exactly as
/// the API server would see it. Quoted and block scalars are strings.
/// </remarks>
internal static partial class YamlDocuments
{
    /// <summary>Every document of a stream; empty documents (a template that rendered nothing) are skipped.</summary>
    public static List<Dictionary<string, object?>> LoadAll(string text, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new InvalidOperationException($"{source}: not valid YAML: {e.Message}\n{Numbered(text)}", e);
        }

        var documents = new List<Dictionary<string, object?>>();
        foreach (var document in stream.Documents)
        {
            switch (Convert(document.RootNode, numbersAsDouble: false))
            {
                case null:
                    break;
                case Dictionary<string, object?> map:
                    documents.Add(map);
                    break;
                default:
                    throw new InvalidOperationException($"{source}: a document is not a mapping");
            }
        }

        return documents;
    }

    /// <summary>
    /// One document as Helm reads values: numbers become doubles (Helm goes through JSON, so every number in
    /// values.yaml is a float64 in the templates).
    /// </summary>
    public static Dictionary<string, object?> LoadValues(string text, string source)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        if (stream.Documents.Count == 0)
        {
            return [];
        }

        return Convert(stream.Documents[0].RootNode, numbersAsDouble: true) as Dictionary<string, object?>
            ?? throw new InvalidOperationException($"{source}: not a mapping");
    }

    private static object? Convert(YamlNode node, bool numbersAsDouble) => node switch
    {
        YamlMappingNode mapping => mapping.Children.ToDictionary(
            pair => ((YamlScalarNode)pair.Key).Value ?? "",
            pair => Convert(pair.Value, numbersAsDouble)),
        YamlSequenceNode sequence => sequence.Children.Select(child => Convert(child, numbersAsDouble)).ToList(),
        YamlScalarNode scalar => Resolve(scalar, numbersAsDouble),
        _ => throw new InvalidOperationException($"unsupported YAML node {node.NodeType}"),
    };

    private static object? Resolve(YamlScalarNode scalar, bool numbersAsDouble)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style != ScalarStyle.Plain || !scalar.Tag.IsEmpty && scalar.Tag.Value != "?")
        {
            return scalar.Tag.IsEmpty || scalar.Tag.Value is "!" or "tag:yaml.org,2002:str"
                ? text
                : throw new InvalidOperationException($"explicit YAML tag {scalar.Tag.Value} is not supported");
        }

        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "on" or "On" or "ON" or "y" or "Y":
                return true;
            case "false" or "False" or "FALSE" or "no" or "No" or "NO" or "off" or "Off" or "OFF" or "n" or "N":
                return false;
        }

        long? integer = null;
        if (DecimalInteger().IsMatch(text))
        {
            integer = long.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }
        else if (OctalInteger().IsMatch(text))
        {
            integer = System.Convert.ToInt64(text.TrimStart('+'), 8);
        }
        else if (HexInteger().IsMatch(text))
        {
            integer = long.Parse(text[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        }

        if (integer is { } value)
        {
            return numbersAsDouble ? (object)(double)value : value;
        }

        if (Float().IsMatch(text))
        {
            return double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        return text;
    }

    private static string Numbered(string text) =>
        string.Join('\n', text.Split('\n').Select((line, i) => $"{i + 1,4}| {line}"));

    [GeneratedRegex("^[-+]?(0|[1-9][0-9]*)$")]
    private static partial Regex DecimalInteger();

    [GeneratedRegex("^\\+?0[0-7]+$")]
    private static partial Regex OctalInteger();

    [GeneratedRegex("^0x[0-9a-fA-F]+$")]
    private static partial Regex HexInteger();

    [GeneratedRegex("^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex Float();
}
