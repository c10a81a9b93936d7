using System.Globalization;
using System.Text;

namespace LeaseAgent.Packaging.Tests.Templates;

/// <summary>A template error: what Helm would report as a failed render.</summary>
internal sealed class TemplateException(string message) : Exception(message);

/// <summary>
/// A small Go text/template engine: enough of the language for this repository's chart, and nothing it
/// does not use. Anything outside the subset is an error, never silently ignored.
/// </summary>
/// <remarks>
/// Supported: text and actions with <c>{{-</c>/<c>-}}</c> trimming; comments; pipelines with <c>|</c>;
/// parenthesised pipelines; fields (<c>.Values.a.b</c>), <c>.</c>, variables (<c>$</c>, <c>$x</c>,
/// <c>$x.a</c>) declared with <c>:=</c> and assigned with <c>=</c>; string, raw-string, number, bool and
/// nil literals; <c>if</c>/<c>else if</c>/<c>else</c>, <c>with</c>/<c>else</c>, <c>range</c> (lists and
/// maps, with optional <c>$i, $v :=</c>), <c>define</c> and <c>template</c>. The functions are in
/// <see cref="TemplateFunctions"/>. A field of a missing map key is nil; a field of nil is an error, as
/// in Helm. Values print like Go's <c>fmt</c> (nil prints as nothing, as Helm does).
/// </remarks>
internal sealed class GoTemplate
{
    private readonly Dictionary<string, List<Node>> _defines = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Node>> _files = new(StringComparer.Ordinal);

    /// <summary>Parses a file: its <c>define</c>s become available to every file; the rest is its body.</summary>
    public void AddFile(string name, string source)
    {
        var parser = new Parser(Lexer.Split(source, name), name, _defines);
        _files[name] = parser.ParseFile();
    }

    public string Render(string file, object? data)
    {
        if (!_files.TryGetValue(file, out var nodes))
        {
            throw new TemplateException($"no template file {file}");
        }

        return new Evaluator(this, data).Run(nodes, data);
    }

    internal string Include(string name, object? data)
    {
        if (!_defines.TryGetValue(name, out var nodes))
        {
            throw new TemplateException($"no template \"{name}\" associated with template");
        }

        return new Evaluator(this, data).Run(nodes, data);
    }

    // ---- syntax -----------------------------------------------------------------------------------------

    internal abstract record Node;

    internal sealed record TextNode(string Text) : Node;

    internal sealed record ActionNode(Pipeline Pipe) : Node;

    internal sealed record TemplateNode(string Name, Pipeline? Pipe) : Node;

    internal sealed record IfNode(bool IsWith, Pipeline Condition, List<Node> Then, List<Node>? Else) : Node;

    internal sealed record RangeNode(string? KeyVariable, string? ValueVariable, Pipeline Source, List<Node> Body, List<Node>? Else) : Node;

    internal sealed record Pipeline(string? Variable, bool IsAssignment, List<List<Operand>> Commands);

    internal abstract record Operand;

    internal sealed record FieldOperand(string[] Path) : Operand;

    internal sealed record VariableOperand(string Name, string[] Path) : Operand;

    internal sealed record LiteralOperand(object? Value) : Operand;

    internal sealed record FunctionOperand(string Name) : Operand;

    internal sealed record NestedOperand(Pipeline Pipe) : Operand;

    private enum SegmentKind { Text, Action }

    private sealed record Segment(SegmentKind Kind, string Content);

    private static class Lexer
    {
        /// <summary>Splits a source into text and action segments, applying the trim markers.</summary>
        public static List<Segment> Split(string source, string name)
        {
            var segments = new List<Segment>();
            var position = 0;
            var trimNextText = false;
            while (true)
            {
                var open = source.IndexOf("{{", position, StringComparison.Ordinal);
                var text = open < 0 ? source[position..] : source[position..open];
                if (trimNextText)
                {
                    text = text.TrimStart(' ', '\t', '\r', '\n');
                }

                if (open < 0)
                {
                    segments.Add(new Segment(SegmentKind.Text, text));
                    return segments;
                }

                var start = open + 2;
                if (start + 1 < source.Length && source[start] == '-' && IsSpace(source[start + 1]))
                {
                    text = text.TrimEnd(' ', '\t', '\r', '\n');
                    start++;
                }

                segments.Add(new Segment(SegmentKind.Text, text));
                var close = FindClose(source, start, name);
                var inner = source[start..close];
                trimNextText = inner.Length >= 2 && inner[^1] == '-' && IsSpace(inner[^2]);
                if (trimNextText)
                {
                    inner = inner[..^1];
                }

                segments.Add(new Segment(SegmentKind.Action, inner.Trim()));
                position = close + 2;
            }
        }

        private static int FindClose(string source, int from, string name)
        {
            var trimmed = source.AsSpan(from).TrimStart();
            if (trimmed.StartsWith("/*", StringComparison.Ordinal))
            {
                var end = source.IndexOf("*/", from, StringComparison.Ordinal);
                var close = end < 0 ? -1 : source.IndexOf("}}", end, StringComparison.Ordinal);
                return close >= 0 ? close : throw new TemplateException($"{name}: unclosed comment");
            }

            for (var i = from; i < source.Length - 1; i++)
            {
                switch (source[i])
                {
                    case '"':
                        for (i++; i < source.Length && source[i] != '"'; i++)
                        {
                            if (source[i] == '\\')
                            {
                                i++;
                            }
                        }

                        break;
                    case '`':
                        i = source.IndexOf('`', i + 1);
                        if (i < 0)
                        {
                            throw new TemplateException($"{name}: unterminated raw string");
                        }

                        break;
                    case '}' when source[i + 1] == '}':
                        return i;
                }
            }

            throw new TemplateException($"{name}: unclosed action");
        }

        private static bool IsSpace(char c) => c is ' ' or '\t' or '\r' or '\n';

        public static List<Token> Tokens(string action, string name)
        {
            var tokens = new List<Token>();
            var i = 0;
            while (i < action.Length)
            {
                var c = action[i];
                if (char.IsWhiteSpace(c))
                {
                    i++;
                }
                else if (c == '"')
                {
                    var value = new StringBuilder();
                    for (i++; i < action.Length && action[i] != '"'; i++)
                    {
                        if (action[i] != '\\')
                        {
                            value.Append(action[i]);
                            continue;
                        }

                        i++;
                        value.Append(action[i] switch
                        {
                            'n' => '\n',
                            't' => '\t',
                            'r' => '\r',
                            '\\' => '\\',
                            '"' => '"',
                            _ => throw new TemplateException($"{name}: unsupported escape \\{action[i]}"),
                        });
                    }

                    i++;
                    tokens.Add(new Token(TokenKind.String, value.ToString()));
                }
                else if (c == '`')
                {
                    var end = action.IndexOf('`', i + 1);
                    tokens.Add(new Token(TokenKind.String, action[(i + 1)..end]));
                    i = end + 1;
                }
                else if (c is '(' or ')' or '|' or ',')
                {
                    tokens.Add(new Token(TokenKind.Punctuation, c.ToString()));
                    i++;
                }
                else if (c == ':' && i + 1 < action.Length && action[i + 1] == '=')
                {
                    tokens.Add(new Token(TokenKind.Punctuation, ":="));
                    i += 2;
                }
                else if (c == '=')
                {
                    tokens.Add(new Token(TokenKind.Punctuation, "="));
                    i++;
                }
                else if (c is '.' or '$')
                {
                    var end = i + 1;
                    while (end < action.Length && (char.IsLetterOrDigit(action[end]) || action[end] is '_' or '.'))
                    {
                        end++;
                    }

                    tokens.Add(new Token(c == '.' ? TokenKind.Field : TokenKind.Variable, action[i..end]));
                    i = end;
                }
                else if (char.IsDigit(c) || c == '-' && i + 1 < action.Length && char.IsDigit(action[i + 1]))
                {
                    var end = i + 1;
                    while (end < action.Length && (char.IsDigit(action[end]) || action[end] == '.'))
                    {
                        end++;
                    }

                    var text = action[i..end];
                    // An integer constant is an int to Go's template functions, a decimal one a float64.
                    tokens.Add(new Token(TokenKind.Literal, text.Contains('.', StringComparison.Ordinal)
                        ? (object)double.Parse(text, CultureInfo.InvariantCulture)
                        : long.Parse(text, CultureInfo.InvariantCulture)));
                    i = end;
                }
                else if (char.IsLetter(c) || c == '_')
                {
                    var end = i + 1;
                    while (end < action.Length && (char.IsLetterOrDigit(action[end]) || action[end] == '_'))
                    {
                        end++;
                    }

                    var word = action[i..end];
                    tokens.Add(word switch
                    {
                        "true" => new Token(TokenKind.Literal, true),
                        "false" => new Token(TokenKind.Literal, false),
                        "nil" => new Token(TokenKind.Literal, null),
                        _ => new Token(TokenKind.Identifier, word),
                    });
                    i = end;
                }
                else
                {
                    throw new TemplateException($"{name}: unexpected character '{c}' in action {{{{{action}}}}}");
                }
            }

            return tokens;
        }
    }

    private enum TokenKind { String, Literal, Punctuation, Field, Variable, Identifier }

    private sealed record Token(TokenKind Kind, object? Value)
    {
        public string Text => Value as string ?? "";

        public bool Is(TokenKind kind, string text) => Kind == kind && Text == text;
    }

    private sealed class Parser(List<Segment> segments, string name, Dictionary<string, List<Node>> defines)
    {
        private int _next;

        public List<Node> ParseFile()
        {
            var nodes = ParseList(out var terminator, out _);
            return terminator is null ? nodes : throw new TemplateException($"{name}: unexpected {{{{{terminator}}}}}");
        }

        /// <summary>Nodes up to an <c>end</c> or <c>else</c> (returned in <paramref name="terminator"/>) or the end of the file.</summary>
        private List<Node> ParseList(out string? terminator, out List<Token> rest)
        {
            var nodes = new List<Node>();
            while (_next < segments.Count)
            {
                var segment = segments[_next++];
                if (segment.Kind == SegmentKind.Text)
                {
                    if (segment.Content.Length > 0)
                    {
                        nodes.Add(new TextNode(segment.Content));
                    }

                    continue;
                }

                if (segment.Content.StartsWith("/*", StringComparison.Ordinal))
                {
                    continue;
                }

                var tokens = Lexer.Tokens(segment.Content, name);
                var keyword = tokens.Count > 0 && tokens[0].Kind == TokenKind.Identifier ? tokens[0].Text : null;
                switch (keyword)
                {
                    case "end" or "else":
                        terminator = keyword;
                        rest = tokens[1..];
                        return nodes;
                    case "if" or "with":
                        nodes.Add(ParseConditional(keyword == "with", tokens[1..]));
                        break;
                    case "range":
                        nodes.Add(ParseRange(tokens[1..]));
                        break;
                    case "define":
                        ParseDefine(tokens[1..]);
                        break;
                    case "template":
                        nodes.Add(new TemplateNode(
                            tokens.Count > 1 && tokens[1].Kind == TokenKind.String ? tokens[1].Text : throw new TemplateException($"{name}: template needs a name"),
                            tokens.Count > 2 ? ParsePipeline(tokens[2..]) : null));
                        break;
                    case "block" or "break" or "continue":
                        throw new TemplateException($"{name}: {{{{{keyword}}}}} is not supported by this renderer");
                    default:
                        nodes.Add(new ActionNode(ParsePipeline(tokens)));
                        break;
                }
            }

            terminator = null;
            rest = [];
            return nodes;
        }

        private IfNode ParseConditional(bool isWith, List<Token> tokens)
        {
            var condition = ParsePipeline(tokens);
            var then = ParseList(out var terminator, out var rest);
            switch (terminator)
            {
                case "end":
                    return new IfNode(isWith, condition, then, null);
                case "else" when rest.Count == 0:
                    var otherwise = ParseList(out var end, out _);
                    return end == "end" ? new IfNode(isWith, condition, then, otherwise) : throw new TemplateException($"{name}: missing {{{{end}}}}");
                case "else" when rest[0].Kind == TokenKind.Identifier && rest[0].Text is "if" or "with":
                    // {{else if …}} chains share the one {{end}}, which the nested conditional consumes.
                    return new IfNode(isWith, condition, then, [ParseConditional(rest[0].Text == "with", rest[1..])]);
                default:
                    throw new TemplateException($"{name}: missing {{{{end}}}}");
            }
        }

        private RangeNode ParseRange(List<Token> tokens)
        {
            string? key = null;
            string? value = null;
            var declaration = tokens.FindIndex(t => t.Is(TokenKind.Punctuation, ":="));
            if (declaration > 0)
            {
                var variables = tokens[..declaration].Where(t => t.Kind == TokenKind.Variable).Select(t => t.Text).ToList();
                (key, value) = variables.Count == 2 ? (variables[0], variables[1]) : (null, variables[0]);
                tokens = tokens[(declaration + 1)..];
            }

            var source = ParsePipeline(tokens);
            var body = ParseList(out var terminator, out _);
            List<Node>? otherwise = null;
            if (terminator == "else")
            {
                otherwise = ParseList(out terminator, out _);
            }

            return terminator == "end" ? new RangeNode(key, value, source, body, otherwise) : throw new TemplateException($"{name}: missing {{{{end}}}}");
        }

        private void ParseDefine(List<Token> tokens)
        {
            if (tokens.Count != 1 || tokens[0].Kind != TokenKind.String)
            {
                throw new TemplateException($"{name}: define needs one name");
            }

            var body = ParseList(out var terminator, out _);
            if (terminator != "end")
            {
                throw new TemplateException($"{name}: missing {{{{end}}}} of define {tokens[0].Text}");
            }

            defines[tokens[0].Text] = body;
        }

        private Pipeline ParsePipeline(List<Token> tokens)
        {
            string? variable = null;
            var assignment = false;
            if (tokens.Count > 1 && tokens[0].Kind == TokenKind.Variable && tokens[1].Kind == TokenKind.Punctuation && tokens[1].Text is ":=" or "=")
            {
                variable = tokens[0].Text;
                assignment = tokens[1].Text == "=";
                tokens = tokens[2..];
            }

            var commands = new List<List<Operand>>();
            var command = new List<Operand>();
            for (var i = 0; i < tokens.Count; i++)
            {
                var token = tokens[i];
                if (token.Is(TokenKind.Punctuation, "|"))
                {
                    commands.Add(command);
                    command = [];
                    continue;
                }

                if (token.Is(TokenKind.Punctuation, "("))
                {
                    var depth = 1;
                    var j = i + 1;
                    for (; j < tokens.Count && depth > 0; j++)
                    {
                        depth += tokens[j].Is(TokenKind.Punctuation, "(") ? 1 : tokens[j].Is(TokenKind.Punctuation, ")") ? -1 : 0;
                    }

                    if (depth != 0)
                    {
                        throw new TemplateException($"{name}: unbalanced parentheses");
                    }

                    command.Add(new NestedOperand(ParsePipeline(tokens[(i + 1)..(j - 1)])));
                    i = j - 1;
                    continue;
                }

                command.Add(token.Kind switch
                {
                    TokenKind.String or TokenKind.Literal => new LiteralOperand(token.Value),
                    TokenKind.Field => new FieldOperand(token.Text == "." ? [] : token.Text[1..].Split('.')),
                    TokenKind.Variable => new VariableOperand(token.Text.Split('.')[0], token.Text.Split('.')[1..]),
                    TokenKind.Identifier => new FunctionOperand(token.Text),
                    _ => throw new TemplateException($"{name}: unexpected '{token.Text}'"),
                });
            }

            commands.Add(command);
            if (commands.Any(c => c.Count == 0))
            {
                throw new TemplateException($"{name}: empty command in pipeline");
            }

            return new Pipeline(variable, assignment, commands);
        }
    }

    // ---- evaluation -------------------------------------------------------------------------------------

    private sealed class Evaluator(GoTemplate template, object? root)
    {
        private readonly List<Dictionary<string, object?>> _scopes = [new(StringComparer.Ordinal) { ["$"] = root }];

        public string Run(List<Node> nodes, object? dot)
        {
            var output = new StringBuilder();
            Walk(nodes, dot, output);
            return output.ToString();
        }

        private void Walk(List<Node> nodes, object? dot, StringBuilder output)
        {
            foreach (var node in nodes)
            {
                switch (node)
                {
                    case TextNode text:
                        output.Append(text.Text);
                        break;
                    case ActionNode action:
                        var value = Evaluate(action.Pipe, dot);
                        if (action.Pipe.Variable is null)
                        {
                            output.Append(TemplateFunctions.Print(value));
                        }

                        break;
                    case TemplateNode call:
                        output.Append(template.Include(call.Name, call.Pipe is null ? null : Evaluate(call.Pipe, dot)));
                        break;
                    case IfNode conditional:
                        WalkConditional(conditional, dot, output);
                        break;
                    case RangeNode range:
                        WalkRange(range, dot, output);
                        break;
                }
            }
        }

        private void WalkConditional(IfNode node, object? dot, StringBuilder output)
        {
            _scopes.Add(new(StringComparer.Ordinal));
            var value = Evaluate(node.Condition, dot);
            if (TemplateFunctions.Truth(value))
            {
                Walk(node.Then, node.IsWith ? value : dot, output);
            }
            else if (node.Else is not null)
            {
                Walk(node.Else, dot, output);
            }

            _scopes.RemoveAt(_scopes.Count - 1);
        }

        private void WalkRange(RangeNode node, object? dot, StringBuilder output)
        {
            var source = Evaluate(node.Source, dot);
            IEnumerable<(object? Key, object? Value)> items = source switch
            {
                null => [],
                List<object?> list => list.Select((v, i) => ((object?)(long)i, v)),
                Dictionary<string, object?> map => map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => ((object?)p.Key, p.Value)),
                long n => Enumerable.Range(0, (int)n).Select(i => ((object?)(long)i, (object?)(long)i)),
                _ => throw new TemplateException($"range can't iterate over {source}"),
            };
            var any = false;
            foreach (var (key, value) in items)
            {
                any = true;
                _scopes.Add(new(StringComparer.Ordinal));
                if (node.KeyVariable is not null)
                {
                    _scopes[^1][node.KeyVariable] = key;
                }

                if (node.ValueVariable is not null)
                {
                    _scopes[^1][node.ValueVariable] = value;
                }

                Walk(node.Body, value, output);
                _scopes.RemoveAt(_scopes.Count - 1);
            }

            if (!any && node.Else is not null)
            {
                Walk(node.Else, dot, output);
            }
        }

        private object? Evaluate(Pipeline pipe, object? dot)
        {
            object? value = null;
            var piped = false;
            foreach (var command in pipe.Commands)
            {
                value = EvaluateCommand(command, dot, piped, value);
                piped = true;
            }

            if (pipe.Variable is not null)
            {
                if (pipe.IsAssignment)
                {
                    var scope = _scopes.LastOrDefault(s => s.ContainsKey(pipe.Variable))
                        ?? throw new TemplateException($"undefined variable: {pipe.Variable}");
                    scope[pipe.Variable] = value;
                }
                else
                {
                    _scopes[^1][pipe.Variable] = value;
                }
            }

            return value;
        }

        private object? EvaluateCommand(List<Operand> command, object? dot, bool piped, object? input)
        {
            if (command[0] is FunctionOperand function)
            {
                var arguments = command.Skip(1).Select(operand => (Func<object?>)(() => EvaluateOperand(operand, dot))).ToList();
                if (piped)
                {
                    arguments.Add(() => input);
                }

                return function.Name == "include"
                    ? template.Include(TemplateFunctions.AsString(arguments[0]()), arguments.Count > 1 ? arguments[1]() : null)
                    : TemplateFunctions.Call(function.Name, arguments);
            }

            if (command.Count > 1)
            {
                throw new TemplateException("can't give arguments to a non-function");
            }

            if (piped)
            {
                throw new TemplateException("can't pipe into a non-function");
            }

            return EvaluateOperand(command[0], dot);
        }

        private object? EvaluateOperand(Operand operand, object? dot) => operand switch
        {
            LiteralOperand literal => literal.Value,
            FieldOperand field => Descend(dot, field.Path, "."),
            VariableOperand variable => Descend(Lookup(variable.Name), variable.Path, variable.Name),
            NestedOperand nested => Evaluate(nested.Pipe, dot),
            FunctionOperand function => TemplateFunctions.Call(function.Name, []),
            _ => throw new TemplateException($"unsupported operand {operand}"),
        };

        private object? Lookup(string variable) =>
            _scopes.LastOrDefault(s => s.ContainsKey(variable)) is { } scope
                ? scope[variable]
                : throw new TemplateException($"undefined variable: {variable}");

        private static object? Descend(object? value, string[] path, string start)
        {
            var walked = start;
            foreach (var name in path)
            {
                value = value switch
                {
                    null => throw new TemplateException($"nil pointer evaluating interface {{}}.{name} (at {walked})"),
                    Dictionary<string, object?> map => map.GetValueOrDefault(name),
                    _ => throw new TemplateException($"can't evaluate field {name} in type {value.GetType().Name} (at {walked})"),
                };
                walked += "." + name;
            }

            return value;
        }
    }
}
