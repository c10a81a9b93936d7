using System.Text;

namespace LeaseAgent.Configuration;

/// <summary>README.md's configuration table, rendered from the <see cref="AgentKeys"/> catalogue (a test keeps the two equal).</summary>
public static class ConfigurationTable
{
    public const string Header = "| Variable | Default | Meaning |";

    /// <summary>The table in Markdown, one row per key in catalogue order, ending with a line break.</summary>
    public static string Markdown()
    {
        var table = new StringBuilder().Append(Header).Append('\n').Append("| --- | --- | --- |\n");
        foreach (var key in AgentKeys.All)
        {
            table.Append($"| `{key.Name}` | {key.ShownDefault} | {key.Help} |\n");
        }

        return table.ToString();
    }
}
