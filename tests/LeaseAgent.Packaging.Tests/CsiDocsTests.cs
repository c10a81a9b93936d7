using System.Runtime.Versioning;
using System.Text.RegularExpressions;
using Grpc.Core;
using LeaseAgent.Packaging.Tests.Infrastructure;
using ScaiVault.CsiProvider.Configuration;
using ScaiVault.CsiProvider.Mounting;

namespace LeaseAgent.Packaging.Tests;

/// <summary>
/// docs/csi.md against the provider it documents: the flags table against <see cref="ProviderKeys"/>,
/// the parameter and object tables against <see cref="MountRequestParser"/>, quoted messages against the real ones,
/// and a troubleshooting row for every gRPC code the provider answers with.
/// </summary>
[SupportedOSPlatform("linux")] // the provider is a Linux-only assembly
public sealed partial class CsiDocsTests
{
    private static readonly string Text = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "docs", "csi.md"));

    private static readonly ProviderOptions Options = ProviderConfiguration.Load(["--scaivault-url=https://scaivault.scailabs.ai"], _ => null);

    [Fact]
    public void FlagsTable_HasARowForEveryProviderFlagWithItsEnvironmentVariable()
    {
        var rows = FlagRows();

        Assert.All(ProviderConfiguration.Keys, key => Assert.Equal(key, rows.GetValueOrDefault(ProviderConfiguration.FlagOf(key))));
    }

    [Theory]
    [InlineData("docs/csi.md")]
    [InlineData("src/ScaiVault.CsiProvider/README.md")]
    public void FlagsTable_IsTheCatalogues(string page)
    {
        var text = File.ReadAllText(Path.Combine(RepositoryRoot.Path, page));

        Assert.True(text.Contains(ProviderKeys.Table(), StringComparison.Ordinal), $"{page}'s flag table is not the one ProviderKeys declares; replace it with:\n{ProviderKeys.Table()}");
    }

    [Fact]
    public void FlagsTable_HasOnlyProviderFlags()
    {
        var known = ProviderConfiguration.Keys.Select(ProviderConfiguration.FlagOf).ToHashSet(StringComparer.Ordinal);

        Assert.All(FlagRows().Keys, flag => Assert.Contains(flag, known));
    }

    [Theory]
    [InlineData("INVALID_ARGUMENT")]
    [InlineData("FAILED_PRECONDITION")]
    [InlineData("UNAUTHENTICATED")]
    [InlineData("PERMISSION_DENIED")]
    [InlineData("NOT_FOUND")]
    [InlineData("RESOURCE_EXHAUSTED")]
    [InlineData("UNAVAILABLE")]
    public void Troubleshooting_HasARowForEveryCodeTheProviderAnswers(string code)
    {
        Assert.Matches($"(?m)^\\| `{code}` \\| .+ \\| .+ \\| .+ \\|$", Section("## Troubleshooting"));
    }

    [Fact]
    public void Troubleshooting_QuotesTheMissingTokenMessageAsTheProviderWritesIt()
    {
        var error = Assert.Throws<MountRequestException>(() => Parse(new() { ["objects"] = "- objectName: a\n  path: apps/a" }, tokens: false));
        var example = string.Join(' ', CodeBlock(Section("## Troubleshooting")).Split('\n').Select(l => l.Trim()));

        Assert.Equal(StatusCode.FailedPrecondition, error.Code);
        Assert.Contains("code = FailedPrecondition desc = " + error.Message, example, StringComparison.Ordinal);
    }

    [Fact]
    public void Troubleshooting_QuotesTheUrlAndObjectMessagesAsTheProviderWritesThem()
    {
        var url = Assert.Throws<MountRequestException>(() => Parse(new() { ["objects"] = "- objectName: a\n  path: apps/a", ["scaivaultUrl"] = "https://other.example" }));
        var mode = Assert.Throws<MountRequestException>(() => Parse(new() { ["objects"] = "- objectName: a\n  path: apps/a\n- objectName: db-password\n  path: apps/a\n  mode: \"0999\"" }));
        var hint = Assert.Throws<MountRequestException>(() => Parse(new() { ["objects"] = "- objectName: a\n  path: apps/a\n- objectName: db-password\n  path: apps/a\n  secretKey: x" }));

        // The docs show the URLs as "https://…", and wrap lines.
        var text = Regex.Replace(Text, "\\s+", " ");
        Assert.Contains(Regex.Replace(url.Message, "https://[^ ,']+", "https://…"), text, StringComparison.Ordinal);
        Assert.Contains(mode.Message, text, StringComparison.Ordinal);
        Assert.StartsWith("objects[1] (db-password): unknown key 'secretKey'; did you mean 'field'?", hint.Message, StringComparison.Ordinal);
        Assert.Contains("`objects[1] (db-password): unknown key 'secretKey'; did you mean 'field'? …`", Text, StringComparison.Ordinal);
        Assert.All([url, mode, hint], e => Assert.Equal(StatusCode.InvalidArgument, e.Code));
    }

    [Fact]
    public void ParametersTable_EveryDocumentedParameterIsAccepted()
    {
        var documented = TableKeys(Section("### Parameters"));
        var values = new Dictionary<string, string>
        {
            ["objects"] = "- objectName: a\n  path: apps/a",
            ["audience"] = "scaivault",
            ["scaivaultUrl"] = "https://scaivault.scailabs.ai",
        };

        Assert.Equal(values.Keys.Order(StringComparer.Ordinal), documented.Order(StringComparer.Ordinal));
        Assert.NotNull(Parse(values));
    }

    [Fact]
    public void ObjectsTable_EveryDocumentedKeyIsAccepted_AndNothingElse()
    {
        var documented = TableKeys(Section("### Objects"));
        var values = new Dictionary<string, string>
        {
            ["objectName"] = "tls/ca.der",
            ["path"] = "certs/reporting",
            ["field"] = "ca",
            ["mode"] = "\"0440\"",
            ["version"] = "\"3\"",
            ["encoding"] = "base64",
        };
        var yaml = "- " + string.Join("\n  ", documented.Select(k => $"{k}: {values[k]}"));

        var plan = Parse(new() { ["objects"] = yaml });
        var unknown = Assert.Throws<MountRequestException>(() => Parse(new() { ["objects"] = yaml + "\n  fileName: x" }));

        Assert.Equal(values.Keys.Order(StringComparer.Ordinal), documented.Order(StringComparer.Ordinal));
        Assert.Equal(Convert.ToInt32("440", 8), Assert.Single(plan.Objects).Mode);
        Assert.Contains("unknown key 'fileName'", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Docs_SayDynamicCredentialsAreOutOfScopeAndPointToTheSidecar()
    {
        var scope = Section("## What it is, and what it is not");

        Assert.Contains("not** a way to get dynamic Postgres users", scope, StringComparison.Ordinal);
        Assert.Contains("revoke", scope, StringComparison.Ordinal);
        Assert.Contains("kubernetes.md", scope, StringComparison.Ordinal);
    }

    [Fact]
    public void Links_PointToFilesThatExist()
    {
        foreach (Match link in RelativeLink().Matches(Text))
        {
            var target = link.Groups["path"].Value;
            var path = Path.GetFullPath(Path.Combine(RepositoryRoot.Path, "docs", target));

            Assert.True(File.Exists(path) || System.IO.Directory.Exists(path), $"docs/csi.md links to {target}, which does not exist");
        }
    }

    private static MountPlan Parse(Dictionary<string, string> parameters, bool tokens = true) =>
        MountRequestParser.Parse(DriverMountRequest.For(parameters, "reporting-secrets", "reporting", tokens ? "scaivault" : null), Options);

    /// <summary>flag → environment variable, from the rows of the "Provider flags" table.</summary>
    private static Dictionary<string, string> FlagRows() =>
        FlagRow().Matches(Section("## Provider flags")).ToDictionary(m => m.Groups["flag"].Value, m => m.Groups["env"].Value, StringComparer.Ordinal);

    private static List<string> TableKeys(string section) =>
        TableKey().Matches(section).Select(m => m.Groups["key"].Value).ToList();

    /// <summary>The text from a heading to the next heading of the same or a higher level.</summary>
    private static string Section(string heading)
    {
        var start = Text.IndexOf("\n" + heading + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"docs/csi.md has no heading '{heading}'");
        var level = heading.TakeWhile(c => c == '#').Count();
        var next = Regex.Match(Text[(start + heading.Length + 2)..], $"(?m)^#{{1,{level}}} ");
        return next.Success ? Text.Substring(start, heading.Length + 2 + next.Index) : Text[start..];
    }

    private static string CodeBlock(string section)
    {
        var match = Regex.Match(section, "```\\n(?<body>.*?)```", RegexOptions.Singleline);
        Assert.True(match.Success, "no code block");
        return match.Groups["body"].Value;
    }

    [GeneratedRegex("(?m)^\\| `(?<flag>--[a-z-]+)` \\| `(?<env>[A-Z_]+)` \\|")]
    private static partial Regex FlagRow();

    [GeneratedRegex("(?m)^\\| `(?<key>[A-Za-z]+)` \\|")]
    private static partial Regex TableKey();

    [GeneratedRegex("\\]\\((?<path>\\.{1,2}/[^)#]+)(#[^)]*)?\\)")]
    private static partial Regex RelativeLink();
}
