using LeaseAgent.Packaging.Tests.Infrastructure;
using LeaseAgent.Packaging.Tests.Templates;

namespace LeaseAgent.Packaging.Tests;

/// <summary>
/// The renderer behind the chart tests, against outputs Helm gives for the same templates (written down
/// from Go's text/template and Sprig semantics), so the chart checks stand on a renderer that is itself checked.
/// </summary>
public sealed class GoTemplateTests
{
    private static readonly Dictionary<string, object?> Data = YamlDocuments.LoadValues("""
        name: demo
        port: 5432
        big: 1000000
        enabled: true
        disabled: false
        empty: ""
        list: [a, b]
        map: { b: 2, a: "x" }
        nested: { inner: { value: deep } }
        """, "data");

    [Theory]
    [InlineData("a {{ .name }} b", "a demo b")]
    [InlineData("a  {{- .name -}}  b", "ademob")]
    [InlineData("a\n{{- /* a comment */ -}}\nb", "ab")]
    [InlineData("{{ .port }}", "5432")]
    [InlineData("{{ .big }}", "1e+06")]
    [InlineData("{{ int .big }}", "1000000")]
    [InlineData("{{ .missing }}", "")]
    [InlineData("{{ .nested.inner.value }}", "deep")]
    [InlineData("{{ .port | quote }}", "\"5432\"")]
    [InlineData("{{ \"a\\nb\" | quote }}", "\"a\\nb\"")]
    [InlineData("{{ .empty | default \"fallback\" }}", "fallback")]
    [InlineData("{{ .name | default \"fallback\" }}", "demo")]
    [InlineData("{{ if .enabled }}yes{{ else }}no{{ end }}", "yes")]
    [InlineData("{{ if .disabled }}1{{ else if .enabled }}2{{ else }}3{{ end }}", "2")]
    [InlineData("{{ if .disabled }}1{{ else if .empty }}2{{ else }}3{{ end }}", "3")]
    [InlineData("{{ with .nested.inner }}{{ .value }}{{ end }}", "deep")]
    [InlineData("{{ with .empty }}x{{ else }}none{{ end }}", "none")]
    [InlineData("{{ range .list }}[{{ . }}]{{ end }}", "[a][b]")]
    [InlineData("{{ range $k, $v := .map }}{{ $k }}={{ $v }};{{ end }}", "a=x;b=2;")]
    [InlineData("{{ $x := .name }}{{ if .enabled }}{{ $x = \"changed\" }}{{ end }}{{ $x }}", "changed")]
    [InlineData("{{ max 5 (sub (int .port) 5427) }}", "5")]
    [InlineData("{{ max 5 (sub 30 5) }}", "25")]
    [InlineData("{{ div 25 2 }}", "12")]
    [InlineData("{{ printf \"%s-%ds\" .name 25 }}", "demo-25s")]
    [InlineData("{{ \"abcdef\" | trunc 3 }}", "abc")]
    [InlineData("{{ \"name-\" | trimSuffix \"-\" }}", "name")]
    [InlineData("{{ \"1.0+abc\" | replace \"+\" \"_\" }}", "1.0_abc")]
    [InlineData("{{ last (splitList \":\" \"0.0.0.0:8099\") | int }}", "8099")]
    [InlineData("{{ eq .name \"demo\" }} {{ ne .name \"demo\" }}", "true false")]
    [InlineData("{{ and .enabled .name }} {{ or .empty .disabled }}", "demo false")]
    [InlineData("{{ contains \"lease\" \"lease-agent\" }}", "true")]
    [InlineData("{{ toYaml .map }}", "a: \"x\"\nb: 2")]
    [InlineData("x:{{ toYaml .list | nindent 2 }}", "x:\n  - \"a\"\n  - \"b\"")]
    [InlineData("{{ toYaml .nested | indent 2 }}", "  inner:\n    value: \"deep\"")]
    public void Render_ProducesWhatHelmProduces(string source, string expected)
    {
        Assert.Equal(expected, Render(source));
    }

    [Fact]
    public void Include_RendersADefineWithItsOwnDot()
    {
        var template = new GoTemplate();
        template.AddFile("_helpers.tpl", "{{- define \"greet\" -}}hello {{ .who }}{{- end -}}");
        template.AddFile("main.yaml", "{{ include \"greet\" (dict \"who\" .name) | upper }}");

        Assert.Equal("HELLO DEMO", template.Render("main.yaml", Data));
    }

    [Theory]
    [InlineData("{{ .nested.missing.value }}", "nil pointer evaluating")]
    [InlineData("{{ required \"name is required\" .empty }}", "name is required")]
    [InlineData("{{ fail \"stop\" }}", "stop")]
    [InlineData("{{ eq .port 5432 }}", "incompatible types for comparison")]
    [InlineData("{{ tpl \"x\" . }}", "function \"tpl\" not defined")]
    [InlineData("{{ if .enabled }}unclosed", "missing {{end}}")]
    [InlineData("{{ $undefined }}", "undefined variable")]
    public void Render_FailsWhereHelmFails(string source, string message)
    {
        var error = Assert.Throws<TemplateException>(() => Render(source));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_KeepsScalarsTypedAsHelmDoes()
    {
        // In Helm every values.yaml number is a float64: `eq .port 5432` fails, the next one works.
        Assert.Equal("true", Render("{{ eq (int .port) 5432 }}"));
    }

    private static string Render(string source)
    {
        var template = new GoTemplate();
        template.AddFile("t", source);
        return template.Render("t", Data);
    }
}
