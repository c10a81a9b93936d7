using System.Globalization;
using System.Text;

namespace LeaseAgent.Packaging.Tests.Templates;

/// <summary>
/// The Go template builtins and Sprig/Helm functions the chart uses, with Helm's semantics: <c>default</c>,
/// <c>required</c>, <c>fail</c>, <c>quote</c>, <c>toYaml</c>, <c>indent</c>, <c>nindent</c>, <c>trunc</c>,
/// <c>trimSuffix</c>, <c>trimPrefix</c>, <c>replace</c>, <c>contains</c>, <c>printf</c> (<c>%s %d %v %q %%</c>),
/// <c>eq ne lt le gt ge and or not empty</c>, <c>int int64 add sub mul div max min</c>, <c>dict list
/// splitList first last toString lower upper hasKey</c> (<c>include</c> is the evaluator's). An unknown
/// function is an error.
/// </summary>
internal static class TemplateFunctions
{
    public static object? Call(string name, List<Func<object?>> arguments)
    {
        switch (name)
        {
            // Lazy like Go's since 1.18: the first empty (and) / non-empty (or) argument wins.
            case "and":
                object? lastAnd = null;
                foreach (var argument in arguments)
                {
                    lastAnd = argument();
                    if (!Truth(lastAnd))
                    {
                        return lastAnd;
                    }
                }

                return lastAnd;
            case "or":
                object? lastOr = null;
                foreach (var argument in arguments)
                {
                    lastOr = argument();
                    if (Truth(lastOr))
                    {
                        return lastOr;
                    }
                }

                return lastOr;
        }

        var a = arguments.Select(argument => argument()).ToList();
        return name switch
        {
            "not" => !Truth(Single(name, a)),
            "eq" => Arity(name, a, 2, int.MaxValue) && a.Skip(1).Any(b => Compare(a[0], b, name) == 0),
            "ne" => Arity(name, a, 2, 2) && Compare(a[0], a[1], name) != 0,
            "lt" => Arity(name, a, 2, 2) && Compare(a[0], a[1], name) < 0,
            "le" => Arity(name, a, 2, 2) && Compare(a[0], a[1], name) <= 0,
            "gt" => Arity(name, a, 2, 2) && Compare(a[0], a[1], name) > 0,
            "ge" => Arity(name, a, 2, 2) && Compare(a[0], a[1], name) >= 0,
            "empty" => !Truth(Single(name, a)),
            "default" => Arity(name, a, 1, 2) && (a.Count == 1 || !Truth(a[1])) ? a[0] : a[1],
            "required" => Arity(name, a, 2, 2) && (a[1] is null || a[1] is string { Length: 0 })
                ? throw new TemplateException(AsString(a[0]))
                : a[1],
            "fail" => throw new TemplateException(AsString(Single(name, a))),
            "quote" => string.Join(' ', a.Where(v => v is not null).Select(v => GoQuote(Print(v)))),
            "squote" => string.Join(' ', a.Where(v => v is not null).Select(v => "'" + Print(v) + "'")),
            "toYaml" => YamlEmitter.ToYaml(Single(name, a)),
            "indent" => Arity(name, a, 2, 2) ? Indent((int)ToInt64(a[0]), AsString(a[1])) : null,
            "nindent" => Arity(name, a, 2, 2) ? "\n" + Indent((int)ToInt64(a[0]), AsString(a[1])) : null,
            "trunc" => Arity(name, a, 2, 2) ? Truncate((int)ToInt64(a[0]), AsString(a[1])) : null,
            "trimSuffix" => Arity(name, a, 2, 2) && AsString(a[1]).EndsWith(AsString(a[0]), StringComparison.Ordinal) && AsString(a[0]).Length > 0
                ? AsString(a[1])[..^AsString(a[0]).Length]
                : AsString(a[1]),
            "trimPrefix" => Arity(name, a, 2, 2) && AsString(a[1]).StartsWith(AsString(a[0]), StringComparison.Ordinal) && AsString(a[0]).Length > 0
                ? AsString(a[1])[AsString(a[0]).Length..]
                : AsString(a[1]),
            "replace" => Arity(name, a, 3, 3) ? AsString(a[2]).Replace(AsString(a[0]), AsString(a[1]), StringComparison.Ordinal) : null,
            "contains" => Arity(name, a, 2, 2) && AsString(a[1]).Contains(AsString(a[0]), StringComparison.Ordinal),
            "lower" => AsString(Single(name, a)).ToLowerInvariant(),
            "upper" => AsString(Single(name, a)).ToUpperInvariant(),
            "toString" => Print(Single(name, a)),
            "printf" => Arity(name, a, 1, int.MaxValue) ? Printf(AsString(a[0]), a.Skip(1).ToList()) : null,
            "int" or "int64" => ToInt64(Single(name, a)),
            "add" => a.Select(ToInt64).Sum(),
            "sub" => Arity(name, a, 2, 2) ? ToInt64(a[0]) - ToInt64(a[1]) : null,
            "mul" => a.Select(ToInt64).Aggregate(1L, (x, y) => x * y),
            "div" => Arity(name, a, 2, 2) ? ToInt64(a[0]) / ToInt64(a[1]) : null,
            "max" => Arity(name, a, 1, int.MaxValue) ? a.Select(ToInt64).Max() : null,
            "min" => Arity(name, a, 1, int.MaxValue) ? a.Select(ToInt64).Min() : null,
            "dict" => Arity(name, a, 0, int.MaxValue) && a.Count % 2 == 0
                ? Enumerable.Range(0, a.Count / 2).ToDictionary(i => AsString(a[2 * i]), i => a[(2 * i) + 1])
                : throw new TemplateException("dict needs key/value pairs"),
            "list" => a,
            "splitList" => Arity(name, a, 2, 2) ? AsString(a[1]).Split(AsString(a[0])).Select(s => (object?)s).ToList() : null,
            "first" => Single(name, a) is List<object?> { Count: > 0 } first ? first[0] : null,
            "last" => Single(name, a) is List<object?> { Count: > 0 } last ? last[^1] : null,
            "hasKey" => Arity(name, a, 2, 2) && a[0] is Dictionary<string, object?> map && map.ContainsKey(AsString(a[1])),
            _ => throw new TemplateException($"function \"{name}\" not defined (not implemented by this renderer)"),
        };
    }

    /// <summary>Go template truth: false, 0, nil and empty strings, lists and maps are false.</summary>
    public static bool Truth(object? value) => value switch
    {
        null => false,
        bool b => b,
        string s => s.Length > 0,
        long l => l != 0,
        double d => d != 0,
        List<object?> list => list.Count > 0,
        Dictionary<string, object?> map => map.Count > 0,
        _ => true,
    };

    /// <summary>How Go's fmt prints a value; nil prints as nothing (Helm replaces "&lt;no value&gt;").</summary>
    public static string Print(object? value) => value switch
    {
        null => "",
        string s => s,
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FormatFloat(d),
        List<object?> list => "[" + string.Join(' ', list.Select(Print)) + "]",
        Dictionary<string, object?> map => "map[" + string.Join(' ', map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + ":" + Print(p.Value))) + "]",
        _ => value.ToString() ?? "",
    };

    public static string AsString(object? value) => value as string ?? Print(value);

    /// <summary>
    /// Go's <c>%v</c> of a float64 (shortest <c>'g'</c>): the exponent form from 1e6 and below 1e-4, which is why
    /// Helm prints a values.yaml number of 1000000 as <c>1e+06</c> unless it goes through <c>int</c>.
    /// </summary>
    public static string FormatFloat(double value)
    {
        if (value == 0)
        {
            return "0";
        }

        var exponent = (int)Math.Floor(Math.Log10(Math.Abs(value)));
        if (exponent is < -4 or >= 6)
        {
            return value.ToString("0.################e+00", CultureInfo.InvariantCulture);
        }

        return value.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>Go's <c>%q</c> (strconv.Quote) for the characters a chart produces.</summary>
    public static string GoQuote(string value)
    {
        var quoted = new StringBuilder("\"");
        foreach (var c in value)
        {
            quoted.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                < ' ' or '\u007f' => $"\\x{(int)c:x2}",
                _ => c.ToString(),
            });
        }

        return quoted.Append('"').ToString();
    }

    public static long ToInt64(object? value) => value switch
    {
        null => 0,
        long l => l,
        double d => (long)d,
        bool b => b ? 1 : 0,
        string s => long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed) ? parsed : 0,
        _ => throw new TemplateException($"cannot convert {value} to an integer"),
    };

    private static object? Single(string name, List<object?> a) =>
        a.Count == 1 ? a[0] : throw new TemplateException($"wrong number of args for {name}: want 1 got {a.Count}");

    private static bool Arity(string name, List<object?> a, int min, int max) =>
        a.Count >= min && a.Count <= max ? true : throw new TemplateException($"wrong number of args for {name}: got {a.Count}");

    /// <summary>Go's comparison: same kinds only (an int against a float64 is an error, as in Helm).</summary>
    private static int Compare(object? x, object? y, string name) => (x, y) switch
    {
        (null, null) => 0,
        (string s, string t) => string.CompareOrdinal(s, t),
        (long l, long m) => l.CompareTo(m),
        (double d, double e) => d.CompareTo(e),
        (bool b, bool c) when name is "eq" or "ne" => b == c ? 0 : 1,
        _ => throw new TemplateException($"error calling {name}: incompatible types for comparison ({x?.GetType().Name ?? "nil"} and {y?.GetType().Name ?? "nil"})"),
    };

    private static string Indent(int spaces, string text)
    {
        var pad = new string(' ', spaces);
        return pad + text.Replace("\n", "\n" + pad, StringComparison.Ordinal);
    }

    private static string Truncate(int length, string text) =>
        length >= 0 ? (text.Length > length ? text[..length] : text) : (text.Length > -length ? text[(text.Length + length)..] : text);

    private static string Printf(string format, List<object?> arguments)
    {
        var output = new StringBuilder();
        var next = 0;
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%')
            {
                output.Append(format[i]);
                continue;
            }

            var verb = ++i < format.Length ? format[i] : throw new TemplateException("printf: format ends with %");
            if (verb == '%')
            {
                output.Append('%');
                continue;
            }

            var argument = next < arguments.Count ? arguments[next++] : throw new TemplateException($"printf: missing argument for %{verb}");
            output.Append(verb switch
            {
                's' or 'v' => Print(argument),
                'd' => argument is long or double ? ToInt64(argument).ToString(CultureInfo.InvariantCulture) : $"%!d({Print(argument)})",
                'q' => GoQuote(Print(argument)),
                _ => throw new TemplateException($"printf: verb %{verb} is not supported by this renderer"),
            });
        }

        return output.ToString();
    }
}
