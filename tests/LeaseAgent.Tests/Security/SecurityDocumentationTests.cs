using System.Text.RegularExpressions;
using LeaseAgent.Testing;

namespace LeaseAgent.Tests.Security;

/// <summary>
/// docs/security.md promises that every guarantee has a test: each <c>`SomethingTests.Method`</c> it names must be
/// a test that exists under tests/, and every finding of the security review (1 to 20) must be placed somewhere.
/// </summary>
public sealed partial class SecurityDocumentationTests
{
    private const int ReviewFindings = 20;

    [Fact]
    public void EveryTestTheSecurityPageNames_Exists()
    {
        var page = ReadPage();
        var sources = Directory.EnumerateFiles(Path.Combine(RepositoryRoot.Path, "tests"), "*Tests.cs", SearchOption.AllDirectories)
            .GroupBy(Path.GetFileNameWithoutExtension, StringComparer.Ordinal)
            .ToDictionary(g => g.Key!, g => string.Concat(g.Select(File.ReadAllText)), StringComparer.Ordinal);

        var named = TestReference().Matches(page).Select(m => (Class: m.Groups["class"].Value, Method: m.Groups["method"].Value)).Distinct().ToList();

        Assert.True(named.Count >= 40, $"docs/security.md names only {named.Count} tests; did the reference format change?");
        var missing = named
            .Where(t => !sources.TryGetValue(t.Class, out var source) || !Regex.IsMatch(source, $@"\b(void|Task) {Regex.Escape(t.Method)}\("))
            .Select(t => $"{t.Class}.{t.Method}")
            .ToList();
        Assert.True(missing.Count == 0, $"docs/security.md names tests that do not exist: {string.Join(", ", missing)}");
    }

    [Fact]
    public void EveryFindingOfTheReview_IsPlaced()
    {
        var placed = FindingTag().Matches(ReadPage())
            .SelectMany(m => m.Groups["numbers"].Value.Split(',', StringSplitOptions.TrimEntries))
            .Select(int.Parse)
            .ToHashSet();

        var unplaced = Enumerable.Range(1, ReviewFindings).Where(n => !placed.Contains(n)).ToList();
        Assert.True(unplaced.Count == 0, $"docs/security.md places no guarantee or decision for review findings {string.Join(", ", unplaced)}");
    }

    private static string ReadPage() => File.ReadAllText(Path.Combine(RepositoryRoot.Path, "docs", "security.md"));

    [GeneratedRegex(@"`(?<class>[A-Z][A-Za-z0-9]*Tests)\.(?<method>[A-Za-z0-9_]+)`")]
    private static partial Regex TestReference();

    [GeneratedRegex(@"\[(?<numbers>\d+(?:, \d+)*)\]")]
    private static partial Regex FindingTag();
}
