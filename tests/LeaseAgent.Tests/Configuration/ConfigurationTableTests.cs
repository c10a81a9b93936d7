using System.Text.RegularExpressions;
using LeaseAgent.Configuration;
using LeaseAgent.Testing;
using ScaiVault.Hosting.Configuration;
using YamlDotNet.RepresentationModel;

namespace LeaseAgent.Tests.Configuration;

/// <summary>
/// The documentation of the keys is the <see cref="AgentKeys"/> catalogue's: README.md's table is its rendering, and
/// the chart's values for agent keys that have a default are that default.
/// </summary>
public sealed partial class ConfigurationTableTests
{
    private const string UpdateVariable = "LEASEAGENT_UPDATE_DOCS";

    private static string Readme => Path.Combine(RepositoryRoot.Path, "README.md");

    [Fact]
    public void Readme_ConfigurationTable_EqualsTheCatalogue()
    {
        var readme = File.ReadAllText(Readme);
        var (start, length) = TableIn(readme);
        var committed = readme.Substring(start, length);
        var expected = ConfigurationTable.Markdown();
        if (committed != expected && Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllText(Readme, readme[..start] + expected + readme[(start + length)..]);
            committed = expected;
        }

        var committedRows = committed.Split('\n');
        var expectedRows = expected.Split('\n');
        var firstDifference = Enumerable.Range(0, Math.Max(committedRows.Length, expectedRows.Length))
            .FirstOrDefault(i => committedRows.ElementAtOrDefault(i) != expectedRows.ElementAtOrDefault(i), -1);
        Assert.True(
            firstDifference < 0,
            $"README.md's configuration table differs from src/LeaseAgent/Configuration/AgentKeys.cs at row {firstDifference + 1}:\n"
            + $"  README:    {committedRows.ElementAtOrDefault(firstDifference)}\n  catalogue: {expectedRows.ElementAtOrDefault(firstDifference)}\n"
            + $"Change the key in AgentKeys (the catalogue is the source), then rewrite the table with: "
            + $"{UpdateVariable}=1 dotnet test tests/LeaseAgent.Tests --filter {nameof(ConfigurationTableTests)}");
    }

    [Fact]
    public void ChartValues_ForKeysWithADefault_AreThatDefault()
    {
        var helpers = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "charts", "lease-agent", "templates", "_helpers.tpl"));
        var values = (YamlMappingNode)LoadYaml(Path.Combine(RepositoryRoot.Path, "charts", "lease-agent", "values.yaml")).RootNode;
        var byName = AgentKeys.All.ToDictionary(key => key.Name);

        var fromValues = ChartEnvFromValues().Matches(helpers).Select(m => (Key: m.Groups["key"].Value, Path: m.Groups["path"].Value))
            .Concat(ChartEnvWithValue().Matches(helpers).Select(m => (Key: m.Groups["key"].Value, Path: m.Groups["path"].Value)))
            .ToList();

        Assert.NotEmpty(fromValues); // the env template still reads .Values the way this test expects
        var checkedKeys = 0;
        foreach (var (key, path) in fromValues)
        {
            Assert.True(byName.TryGetValue(key, out var setting), $"charts/lease-agent sets {key}, which is not a key of the agent (AgentKeys)");
            var value = Lookup(values, path);
            if (setting.DefaultText is null || string.IsNullOrEmpty(value))
            {
                continue; // no agent default to agree with, or left to the agent's own
            }

            checkedKeys++;
            Assert.True(
                setting.MeansDefault(value),
                $"charts/lease-agent/values.yaml .{path} = '{value}' sets {key}, whose default is {setting.ShownDefault} (AgentKeys); make them agree");
        }

        Assert.True(checkedKeys >= 5, $"only {checkedKeys} chart values were compared; the pattern no longer matches _helpers.tpl");
    }

    /// <summary>The table: from its header line to the first line that is not a row.</summary>
    private static (int Start, int Length) TableIn(string readme)
    {
        var start = readme.IndexOf(ConfigurationTable.Header + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"README.md has no line '{ConfigurationTable.Header}' (the configuration table)");
        var end = start;
        while (end < readme.Length && readme[end] == '|')
        {
            end = readme.IndexOf('\n', end) + 1;
        }

        return (start, end - start);
    }

    private static YamlDocument LoadYaml(string path)
    {
        using var reader = new StreamReader(path);
        var stream = new YamlStream();
        stream.Load(reader);
        return stream.Documents[0];
    }

    private static string? Lookup(YamlMappingNode root, string dottedPath)
    {
        YamlNode node = root;
        foreach (var part in dottedPath.Split('.'))
        {
            if (node is not YamlMappingNode mapping || !mapping.Children.TryGetValue(new YamlScalarNode(part), out var child))
            {
                return null;
            }

            node = child;
        }

        return (node as YamlScalarNode)?.Value;
    }

    /// <summary><c>- name: KEY</c> then <c>value: {{ .Values.a.b | quote }}</c>: the chart always sets the key from a value.</summary>
    [GeneratedRegex(@"- name: (?<key>[A-Z_]+)\n\s+value: \{\{ \.Values\.(?<path>[\w.]+) \| quote \}\}")]
    private static partial Regex ChartEnvFromValues();

    /// <summary><c>{{- with .Values.a.b }}</c>, <c>- name: KEY</c>, <c>value: {{ . | quote }}</c>: set only when the value is not empty.</summary>
    [GeneratedRegex(@"\{\{- with \.Values\.(?<path>[\w.]+) \}\}\n- name: (?<key>[A-Z_]+)\n\s+value: \{\{ \. \| quote \}\}")]
    private static partial Regex ChartEnvWithValue();
}
