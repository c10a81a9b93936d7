using System.Text;
using System.Text.RegularExpressions;

namespace LeaseAgent.Packaging.Tests.Infrastructure;

/// <summary>A label matcher of a selector: <c>result=~"ok|capped"</c>.</summary>
internal sealed record LabelMatcher(string Label, string Operator, string Value);

/// <summary>A series selector: <c>leaseagent_renewals_total{result="ok"}</c>.</summary>
internal sealed record SeriesSelector(string Metric, IReadOnlyList<LabelMatcher> Matchers);

/// <summary>What <see cref="PromQl.Parse"/> read from an expression, and what it found wrong with its form.</summary>
internal sealed record PromQlExpression(
    string Text,
    IReadOnlyList<SeriesSelector> Selectors,
    IReadOnlyList<string> MetricNames,
    IReadOnlyList<string> GroupingLabels,
    IReadOnlyList<string> Problems);

/// <summary>
/// Enough of PromQL to check the chart's alert expressions and the dashboard's queries against the metrics the agent
/// exports (no PromQL parser is packaged for .NET; whether Prometheus parses them at all is <see cref="PromQlGrammar"/>'s
/// question): the form (closed strings, balanced brackets, range durations, known
/// functions and keywords, well-formed matchers and grouping clauses), and what an expression names: every metric (each
/// identifier that is not a function, keyword or label), the label matchers of each selector, and the labels of every
/// <c>by</c>, <c>without</c>, <c>on</c>, <c>ignoring</c>, <c>group_left</c> and <c>group_right</c> clause. Grafana's
/// <c>$variables</c> are accepted where a value or a range goes.
/// </summary>
internal static partial class PromQl
{
    /// <summary>Labels Prometheus adds to every scraped series (the Prometheus Operator's target labels), not the agent's.</summary>
    public static readonly IReadOnlySet<string> TargetLabels = new HashSet<string>(StringComparer.Ordinal)
    {
        "namespace", "pod", "container", "instance", "job", "endpoint", "service",
    };

    private static readonly HashSet<string> Functions = new(StringComparer.Ordinal)
    {
        "sum", "avg", "min", "max", "count", "topk", "bottomk", "quantile", "stddev", "group",
        "rate", "irate", "increase", "delta", "idelta", "deriv", "changes", "resets",
        "avg_over_time", "min_over_time", "max_over_time", "sum_over_time", "count_over_time", "last_over_time",
        "vector", "scalar", "absent", "absent_over_time", "clamp_min", "clamp_max", "abs", "round", "time", "timestamp",
        "histogram_quantile",
    };

    private static readonly HashSet<string> Grouping = new(StringComparer.Ordinal) { "by", "without", "on", "ignoring", "group_left", "group_right" };

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal) { "and", "or", "unless", "bool", "offset", "group_left", "group_right" };

    public static PromQlExpression Parse(string text)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(text))
        {
            problems.Add("empty expression");
        }

        // Strings masked (same length, so positions stay), so that nothing inside a label value counts as syntax.
        var masked = StringLiteral().Replace(text, m => "\"" + new string('#', m.Length - 2) + "\"");
        if (masked.Contains('"', StringComparison.Ordinal) && masked.Count(c => c == '"') % 2 != 0)
        {
            problems.Add("a string is not closed");
        }

        problems.AddRange(Balance(masked));

        var selectors = new List<SeriesSelector>();
        foreach (Match selector in Braces().Matches(masked))
        {
            var body = text.Substring(selector.Groups["body"].Index, selector.Groups["body"].Length);
            var matchers = Matcher().Matches(body).Select(m => new LabelMatcher(m.Groups["label"].Value, m.Groups["op"].Value, Unescape(m.Groups["value"].Value))).ToList();
            var rest = Matcher().Replace(body, "").Replace(",", "", StringComparison.Ordinal).Trim();
            if (rest.Length > 0)
            {
                problems.Add($"selector {{{body}}}: not a label matcher: '{rest}'");
            }

            var metric = selector.Groups["name"].Value;
            if (metric.Length == 0 || Grouping.Contains(metric) || Keywords.Contains(metric))
            {
                problems.Add($"selector {{{body}}} without a metric name");
            }
            else
            {
                selectors.Add(new SeriesSelector(metric, matchers));
            }
        }

        foreach (Match range in Range().Matches(masked))
        {
            if (!Duration().IsMatch(range.Groups["range"].Value.Trim()))
            {
                problems.Add($"range [{range.Groups["range"].Value}] is not a duration");
            }
        }

        var groupingLabels = new List<string>();
        foreach (Match clause in GroupingClause().Matches(masked))
        {
            foreach (var label in clause.Groups["labels"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (LabelName().IsMatch(label))
                {
                    groupingLabels.Add(label);
                }
                else
                {
                    problems.Add($"{clause.Groups["keyword"].Value} ({clause.Groups["labels"].Value}): '{label}' is not a label name");
                }
            }
        }

        // What is left once matchers, ranges, grouping clauses, variables and numbers are gone: functions, keywords, metrics.
        var rest2 = Braces().Replace(masked, m => m.Groups["name"].Value + " ");
        rest2 = Range().Replace(rest2, " ");
        rest2 = GroupingClause().Replace(rest2, " ");
        rest2 = Variable().Replace(rest2, " ");
        rest2 = StringLiteral().Replace(rest2, " ");
        var names = new List<string>();
        foreach (Match identifier in Identifier().Matches(rest2))
        {
            var word = identifier.Value;
            var next = rest2[(identifier.Index + identifier.Length)..].TrimStart();
            if (Keywords.Contains(word))
            {
                // and, or, unless, bool, offset: a parenthesis may follow.
            }
            else if (next.StartsWith('('))
            {
                if (!Functions.Contains(word))
                {
                    problems.Add($"unknown function {word}(");
                }
            }
            else if (Grouping.Contains(word) && !Keywords.Contains(word))
            {
                problems.Add($"{word} without a label list");
            }
            else if (!Functions.Contains(word))
            {
                names.Add(word);
            }
        }

        var leftover = Identifier().Replace(rest2, " ");
        leftover = Number().Replace(leftover, " ");
        leftover = Operators().Replace(leftover, " ");
        if (leftover.Trim().Length > 0)
        {
            problems.Add($"unexpected '{leftover.Trim()}'");
        }

        return new PromQlExpression(text, selectors, names.Distinct(StringComparer.Ordinal).ToList(), groupingLabels.Distinct(StringComparer.Ordinal).ToList(), problems);
    }

    /// <summary>
    /// One sentence per problem: the form, then every metric against <paramref name="catalogue"/> (a series of a
    /// histogram or summary by its family), every matcher's label (and, for a label with fixed values, every value of an
    /// <c>=</c> or <c>=~</c> of plain alternatives) against that metric's, and every grouping label against each metric of
    /// the expression. Target labels (<see cref="TargetLabels"/>) go everywhere.
    /// </summary>
    public static List<string> Check(string where, string text, MetricCatalogue catalogue)
    {
        var expression = Parse(text);
        var findings = expression.Problems.Select(p => $"{where}: {p}").ToList();
        var families = new List<string>();
        foreach (var name in expression.MetricNames)
        {
            if (catalogue.Family(name) is { } family)
            {
                families.Add(family);
            }
            else
            {
                findings.Add($"{where}: {name} is not a metric of {catalogue.Source}");
            }
        }

        foreach (var selector in expression.Selectors)
        {
            if (catalogue.Family(selector.Metric) is not { } family)
            {
                continue;
            }

            var labels = catalogue.Labels(family);
            foreach (var matcher in selector.Matchers.Where(m => !TargetLabels.Contains(m.Label)))
            {
                if (!labels.TryGetValue(matcher.Label, out var values))
                {
                    findings.Add($"{where}: {selector.Metric} has no label {matcher.Label} in {catalogue.Source} (it has: {string.Join(", ", labels.Keys)})");
                }
                else if (values is not null && matcher.Operator is "=" or "=~" && Alternatives().IsMatch(matcher.Value))
                {
                    foreach (var value in matcher.Value.Split('|').Where(v => !values.Contains(v)))
                    {
                        findings.Add($"{where}: {selector.Metric}'s {matcher.Label} is never \"{value}\" in {catalogue.Source} (only {string.Join(", ", values.Order(StringComparer.Ordinal))})");
                    }
                }
            }
        }

        foreach (var label in expression.GroupingLabels.Where(l => !TargetLabels.Contains(l)))
        {
            foreach (var family in families.Distinct(StringComparer.Ordinal).Where(f => !catalogue.Labels(f).ContainsKey(label)))
            {
                findings.Add($"{where}: groups by {label}, which {family} does not have in {catalogue.Source}");
            }
        }

        return findings;
    }

    private static IEnumerable<string> Balance(string masked)
    {
        var open = new Stack<char>();
        foreach (var c in masked)
        {
            switch (c)
            {
                case '(' or '{' or '[':
                    open.Push(c);
                    break;
                case ')' or '}' or ']':
                    var expected = c switch { ')' => '(', '}' => '{', _ => '[' };
                    if (open.Count == 0 || open.Pop() != expected)
                    {
                        return [$"unbalanced '{c}'"];
                    }

                    break;
            }
        }

        return open.Count == 0 ? [] : [$"'{open.Peek()}' is not closed"];
    }

    private static string Unescape(string value)
    {
        var builder = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            builder.Append(value[i] == '\\' && i + 1 < value.Length ? value[++i] : value[i]);
        }

        return builder.ToString();
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex StringLiteral();

    [GeneratedRegex("(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)?\\s*\\{(?<body>[^{}]*)\\}")]
    private static partial Regex Braces();

    [GeneratedRegex("\\s*(?<label>[a-zA-Z_][a-zA-Z0-9_]*)\\s*(?<op>=~|!~|!=|=)\\s*\"(?<value>(?:[^\"\\\\]|\\\\.)*)\"\\s*")]
    private static partial Regex Matcher();

    [GeneratedRegex("\\[(?<range>[^\\[\\]]*)\\]")]
    private static partial Regex Range();

    [GeneratedRegex("^(?:(?:[0-9]+(?:ms|s|m|h|d|w|y))+|\\$__(?:rate_interval|interval|range))$")]
    private static partial Regex Duration();

    [GeneratedRegex("\\b(?<keyword>by|without|on|ignoring|group_left|group_right)\\s*\\((?<labels>[^()]*)\\)")]
    private static partial Regex GroupingClause();

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex LabelName();

    [GeneratedRegex("\\$\\{?[a-zA-Z_][a-zA-Z0-9_]*\\}?")]
    private static partial Regex Variable();

    [GeneratedRegex("(?<![0-9.])[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex Identifier();

    [GeneratedRegex("[0-9]+(?:\\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")]
    private static partial Regex Number();

    [GeneratedRegex("==|!=|<=|>=|[-+*/%^<>(),]")]
    private static partial Regex Operators();

    [GeneratedRegex("^[A-Za-z0-9_]+(?:\\|[A-Za-z0-9_]+)*$")]
    private static partial Regex Alternatives();
}
