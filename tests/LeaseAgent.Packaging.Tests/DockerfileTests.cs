using System.Text.RegularExpressions;
using System.Xml.Linq;
using LeaseAgent.Packaging.Tests.Infrastructure;

namespace LeaseAgent.Packaging.Tests;

/// <summary>
/// The Dockerfile, read statically (there is no Docker engine to build it here): what the final images are
/// made of and how they start. Whether it builds is for `docker build` to say.
/// </summary>
public sealed partial class DockerfileTests
{
    private const string PublishedBinary = "artifacts/publish/LeaseAgent/release_linux-x64/lease-agent";

    private static readonly List<Stage> Stages = Dockerfile.Parse(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "Dockerfile")));

    public static TheoryData<string> FinalStages => ["agent", "emulator"];

    [Fact]
    public void FinalStage_IsTheAgentOnAChiseledOrDistrolessBase()
    {
        var final = Stages[^1];

        Assert.Equal("agent", final.Name);
        Assert.Matches(MinimalBase(), final.BaseImage);
    }

    [Fact]
    public void EmulatorStage_IsOnAChiseledAspNetBase()
    {
        var emulator = Assert.Single(Stages, s => s.Name == "emulator");

        Assert.Matches("^mcr\\.microsoft\\.com/dotnet/aspnet:10\\.0-[a-z]+-chiseled$", emulator.BaseImage);
    }

    [Fact]
    public void EmulatorStage_StartsWithoutDevModeOrAnAdminTokenOnTheCommandLine()
    {
        // Security review, finding 6: --dev lets anyone mint workload tokens, and argv is visible in ps and docker inspect.
        var emulator = Stage("emulator");
        var command = (Dockerfile.ExecForm(emulator.Last("ENTRYPOINT")!) ?? []).Concat(emulator.Last("CMD") is { } cmd ? Dockerfile.ExecForm(cmd) ?? [] : []).ToList();

        Assert.NotEmpty(command);
        Assert.DoesNotContain(command, a => a.StartsWith("--dev", StringComparison.Ordinal));
        Assert.DoesNotContain(command, a => a is "--admin-token" or "--client" || a.StartsWith("--admin-token=", StringComparison.Ordinal) || a.StartsWith("--client=", StringComparison.Ordinal));
        Assert.DoesNotContain(emulator.All("ENV"), e => e.Arguments.Contains("ADMIN_TOKEN", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(FinalStages))]
    public void FinalStages_RunAsANumericNonRootUser(string stage)
    {
        var user = Stage(stage).Last("USER");

        Assert.NotNull(user);
        var match = NumericUser().Match(user.Arguments);
        Assert.True(match.Success, $"USER '{user.Arguments}' in stage {stage} is not numeric (uid or uid:gid)");
        Assert.NotEqual("0", match.Groups["uid"].Value);
    }

    [Theory]
    [MemberData(nameof(FinalStages))]
    public void FinalStages_StartInExecFormWithoutAShell(string stage)
    {
        var entrypoint = Stage(stage).Last("ENTRYPOINT");

        Assert.NotNull(entrypoint);
        Assert.NotNull(Dockerfile.ExecForm(entrypoint));
        if (Stage(stage).Last("CMD") is { } cmd)
        {
            Assert.NotNull(Dockerfile.ExecForm(cmd));
        }
    }

    [Theory]
    [MemberData(nameof(FinalStages))]
    public void FinalStages_HaveNoRunShellOrAdd(string stage)
    {
        // A chiseled base has no shell: a RUN would fail, and every layer should come from a build stage.
        var forbidden = Stage(stage).Instructions.Where(i => i.Keyword is "RUN" or "SHELL" or "ADD").ToList();

        Assert.True(forbidden.Count == 0, string.Join("; ", forbidden.Select(i => $"line {i.Line}: {i.Keyword} {i.Arguments}")));
    }

    [Fact]
    public void AgentStage_CopiesThePublishedBinaryOntoPathAndRunsIt()
    {
        var agent = Stage("agent");
        var copy = Assert.Single(agent.All("COPY"));
        var from = Assert.Single(copy.Flags, f => f.StartsWith("--from=", StringComparison.Ordinal))["--from=".Length..];
        var parts = copy.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var build = Stage(from);
        var workdir = build.Last("WORKDIR")?.Arguments ?? Stages.Where(s => s.Name == build.BaseImage).Select(s => s.Last("WORKDIR")?.Arguments).FirstOrDefault();

        // publish writes to artifacts/publish/<project>/<config>_<rid>/ because Directory.Build.props sets ArtifactsPath.
        Assert.Equal($"{workdir}/{PublishedBinary}", parts[0]);
        Assert.Equal("/usr/local/bin/lease-agent", parts[1]);
        Assert.Equal(new[] { "/usr/local/bin/lease-agent" }, Dockerfile.ExecForm(agent.Last("ENTRYPOINT")!)!);
        Assert.Equal(new[] { "run" }, Dockerfile.ExecForm(agent.Last("CMD")!)!);
        Assert.Contains(agent.All("ENV"), e => e.Arguments.StartsWith("PATH=", StringComparison.Ordinal) && e.Arguments.Contains("/usr/local/bin", StringComparison.Ordinal));
    }

    [Fact]
    public void DirectoryBuildProps_PutsPublishOutputWhereTheDockerfileCopiesItFrom()
    {
        var props = XDocument.Load(Path.Combine(RepositoryRoot.Path, "Directory.Build.props"));
        var artifactsPath = props.Descendants("ArtifactsPath").Select(e => e.Value).SingleOrDefault();

        Assert.Equal("$(MSBuildThisFileDirectory)artifacts", artifactsPath);
        Assert.Contains(Stages.SelectMany(s => s.All("RUN")), r => r.Arguments.Contains("test -x " + PublishedBinary, StringComparison.Ordinal));
    }

    [Fact]
    public void BuildStages_InstallTheAotToolchainAndPublishForLinuxX64()
    {
        var runs = Stages.Where(s => s.Name is not ("agent" or "emulator")).SelectMany(s => s.All("RUN")).Select(r => r.Arguments).ToList();

        Assert.Contains(runs, r => r.Contains("apt-get install", StringComparison.Ordinal) && r.Contains(" clang", StringComparison.Ordinal) && r.Contains("zlib1g-dev", StringComparison.Ordinal));
        Assert.Contains(runs, r => r.Contains("dotnet publish src/LeaseAgent/LeaseAgent.csproj -c Release -r linux-x64", StringComparison.Ordinal));
        Assert.Matches("^mcr\\.microsoft\\.com/dotnet/sdk:10\\.0", Stages[0].BaseImage);
    }

    [Fact]
    public void BuildStages_CopyEveryProjectTheAgentReferences_ForRestoreAndForPublish()
    {
        var agentProject = XDocument.Load(Path.Combine(RepositoryRoot.Path, "src/LeaseAgent/LeaseAgent.csproj"));
        var referenced = agentProject.Descendants("ProjectReference")
            .Select(r => Path.GetRelativePath(RepositoryRoot.Path, Path.GetFullPath(Path.Combine(RepositoryRoot.Path, "src/LeaseAgent", r.Attribute("Include")!.Value))).Replace('\\', '/'))
            .ToList();
        var copied = Stages.SelectMany(s => s.All("COPY"))
            .Where(c => !c.Flags.Any(f => f.StartsWith("--from=", StringComparison.Ordinal)))
            .SelectMany(c => c.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..^1])
            .ToHashSet(StringComparer.Ordinal);

        Assert.NotEmpty(referenced); // src/ScaiVault.Client, shared with the CSI provider
        foreach (var project in referenced)
        {
            Assert.Contains(project, copied); // before the restore layer
            Assert.Contains(Path.GetDirectoryName(project)!.Replace('\\', '/') + "/", copied); // before publish
        }
    }

    [Fact]
    public void CopiedSources_ExistAndAreNotDockerignored()
    {
        var ignore = new DockerIgnore(File.ReadAllText(Path.Combine(RepositoryRoot.Path, ".dockerignore")));
        var sources = Stages.SelectMany(s => s.All("COPY"))
            .Where(c => !c.Flags.Any(f => f.StartsWith("--from=", StringComparison.Ordinal)))
            .SelectMany(c => c.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..^1])
            .ToList();

        Assert.NotEmpty(sources);
        foreach (var source in sources)
        {
            var path = Path.Combine(RepositoryRoot.Path, source.TrimEnd('/'));
            Assert.True(File.Exists(path) || Directory.Exists(path), $"COPY source {source} does not exist");
            Assert.False(ignore.IsExcluded(source.TrimEnd('/')), $"COPY source {source} is excluded by .dockerignore");
        }

        // Nothing under the copied directories that the build needs is ignored either, except build output.
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepositoryRoot.Path, "src", "LeaseAgent"), "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(RepositoryRoot.Path, file).Replace('\\', '/');
            Assert.False(ignore.IsExcluded(relative), $"{relative} is excluded by .dockerignore");
        }
    }

    [Theory]
    [InlineData("artifacts/publish/LeaseAgent/release_linux-x64/lease-agent")]
    [InlineData("src/LeaseAgent/obj/project.assets.json")]
    [InlineData("src/LeaseAgent/bin/Release/net10.0/lease-agent.dll")]
    [InlineData(".git/HEAD")]
    [InlineData("tests/LeaseAgent.Tests/LeaseAgent.Tests.csproj")]
    public void Dockerignore_KeepsHostBuildOutputAndTheRestOutOfTheContext(string path)
    {
        var ignore = new DockerIgnore(File.ReadAllText(Path.Combine(RepositoryRoot.Path, ".dockerignore")));

        Assert.True(ignore.IsExcluded(path), $"{path} would be sent to the Docker daemon");
    }

    [Fact]
    public void DockerIgnoreMatcher_FollowsDockerRules()
    {
        var ignore = new DockerIgnore("**/bin/\nartifacts/\n*.md\n!README.md\n");

        Assert.True(ignore.IsExcluded("src/a/bin/x.dll"));
        Assert.True(ignore.IsExcluded("bin/x.dll"));
        Assert.True(ignore.IsExcluded("artifacts/publish/x"));
        Assert.True(ignore.IsExcluded("CHANGES.md"));
        Assert.False(ignore.IsExcluded("README.md"));
        Assert.False(ignore.IsExcluded("src/binary.cs"));
        Assert.False(ignore.IsExcluded("docs/x.md"));
    }

    [Fact]
    public void Parser_SubstitutesGlobalArgsAndFindsStages()
    {
        var stages = Dockerfile.Parse("""
            # syntax=docker/dockerfile:1
            ARG BASE=mcr.microsoft.com/dotnet/sdk:10.0
            FROM ${BASE} AS build
            RUN echo a \
              # a comment inside a continuation
              && echo b
            FROM scratch
            USER 1000
            ENTRYPOINT /bin/app
            """);

        Assert.Equal(2, stages.Count);
        Assert.Equal("mcr.microsoft.com/dotnet/sdk:10.0", stages[0].BaseImage);
        Assert.Equal("build", stages[0].Name);
        Assert.Equal("echo a && echo b", Assert.Single(stages[0].All("RUN")).Arguments);
        Assert.Null(Dockerfile.ExecForm(stages[1].Last("ENTRYPOINT")!));
    }

    private static Stage Stage(string name) => Assert.Single(Stages, s => s.Name == name);

    [GeneratedRegex("^(mcr\\.microsoft\\.com/dotnet/runtime-deps:10\\.0-[a-z]+-chiseled(-extra)?|gcr\\.io/distroless/[a-z0-9-]+(:[a-z0-9.-]+)?)$")]
    private static partial Regex MinimalBase();

    [GeneratedRegex("^(?<uid>[0-9]+)(:[0-9]+)?$")]
    private static partial Regex NumericUser();
}
