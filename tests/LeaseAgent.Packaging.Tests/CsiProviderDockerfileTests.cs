using System.Xml.Linq;
using LeaseAgent.Packaging.Tests.Infrastructure;

namespace LeaseAgent.Packaging.Tests;

/// <summary>
/// The Dockerfile's <c>csi-provider</c> target, read statically like the agent's (<see cref="DockerfileTests"/>):
/// what the provider image is made of, who it runs as and how it starts.
/// </summary>
public sealed class CsiProviderDockerfileTests
{
    public const string BinaryPath = "/usr/local/bin/scaivault-csi-provider";

    private const string ProviderProject = "src/ScaiVault.CsiProvider/ScaiVault.CsiProvider.csproj";
    private const string PublishedBinary = "artifacts/publish/ScaiVault.CsiProvider/release_linux-x64/scaivault-csi-provider";

    private static readonly List<Stage> Stages = Dockerfile.Parse(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "Dockerfile")));

    [Fact]
    public void CsiProviderStage_IsOnTheAgentsChiseledRuntimeDepsBase_AndNotTheDefaultTarget()
    {
        var provider = Stage("csi-provider");

        Assert.Equal(Stage("agent").BaseImage, provider.BaseImage);
        Assert.Matches("^mcr\\.microsoft\\.com/dotnet/runtime-deps:10\\.0-[a-z]+-chiseled$", provider.BaseImage);
        Assert.Equal("agent", Stages[^1].Name); // `docker build .` still builds the agent
    }

    [Fact]
    public void CsiProviderStage_RunsAsRootOnPurpose_AndSaysWhy()
    {
        // The socket lives in the root-owned hostPath the driver shares; the chiseled base defaults to a non-root user,
        // so root must be explicit, and the reason must sit next to it.
        var provider = Stage("csi-provider");
        var user = provider.Last("USER");
        var dockerfile = File.ReadAllLines(Path.Combine(RepositoryRoot.Path, "Dockerfile"));
        var comment = dockerfile.Take(user!.Line - 1).Reverse().TakeWhile(l => l.StartsWith('#')).ToList();

        Assert.Equal("0:0", user.Arguments);
        Assert.Contains(comment, l => l.Contains("root-owned", StringComparison.Ordinal));
        Assert.Contains(comment, l => l.Contains("/var/run/secrets-store-csi-providers", StringComparison.Ordinal));
    }

    [Fact]
    public void CsiProviderStage_CopiesThePublishedBinaryAndStartsItInExecForm()
    {
        var provider = Stage("csi-provider");
        var copy = Assert.Single(provider.All("COPY"));
        var from = Assert.Single(copy.Flags, f => f.StartsWith("--from=", StringComparison.Ordinal))["--from=".Length..];
        var parts = copy.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var workdir = WorkdirOf(Stage(from));

        Assert.Equal($"{workdir}/{PublishedBinary}", parts[0]);
        Assert.Equal(BinaryPath, parts[1]);
        Assert.Equal(new[] { BinaryPath }, Dockerfile.ExecForm(provider.Last("ENTRYPOINT")!)!);
        Assert.Null(provider.Last("CMD")); // serving is the default command; the chart passes only flags
        Assert.DoesNotContain(provider.Instructions, i => i.Keyword is "RUN" or "SHELL" or "ADD");
    }

    [Fact]
    public void BuildStage_PublishesTheProviderForLinuxX64AndChecksTheBinary()
    {
        var runs = Stages.Where(s => s.Name is not ("agent" or "emulator" or "csi-provider")).SelectMany(s => s.All("RUN")).Select(r => r.Arguments).ToList();

        Assert.Contains(runs, r => r.Contains($"dotnet publish {ProviderProject} -c Release -r linux-x64", StringComparison.Ordinal)
            && r.Contains("test -x " + PublishedBinary, StringComparison.Ordinal));
        Assert.Contains(runs, r => r.Contains($"dotnet restore {ProviderProject} -r linux-x64", StringComparison.Ordinal));
    }

    [Fact]
    public void BuildStage_CopiesEveryProjectAndLinkedSourceTheProviderNeeds()
    {
        var project = XDocument.Load(Path.Combine(RepositoryRoot.Path, ProviderProject));
        var projectDirectory = Path.Combine(RepositoryRoot.Path, "src", "ScaiVault.CsiProvider");
        string Relative(string include) =>
            Path.GetRelativePath(RepositoryRoot.Path, Path.GetFullPath(Path.Combine(projectDirectory, include.Replace('\\', '/')))).Replace('\\', '/');

        var references = project.Descendants("ProjectReference").Select(r => Relative(r.Attribute("Include")!.Value)).ToList();
        var linked = project.Descendants("Compile").Select(c => c.Attribute("Include")?.Value).OfType<string>()
            .Where(i => i.StartsWith("..", StringComparison.Ordinal)).Select(Relative).ToList();
        var build = Stage("build-csi-provider");
        var copied = StagesUpTo(build).SelectMany(s => s.All("COPY"))
            .Where(c => !c.Flags.Any(f => f.StartsWith("--from=", StringComparison.Ordinal)))
            .SelectMany(c => c.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..^1])
            .ToList();

        // A project file must be copied on its own (for the restore layer) and with its directory (for publish); a
        // linked source file with its directory or alone.
        bool IsCopied(string file) => copied.Any(source => source == file || source.EndsWith('/') && file.StartsWith(source, StringComparison.Ordinal));

        Assert.Contains(ProviderProject, copied);
        Assert.Contains("src/ScaiVault.CsiProvider/", copied);
        foreach (var reference in references)
        {
            Assert.Contains(reference, copied);
            Assert.Contains(Path.GetDirectoryName(reference)!.Replace('\\', '/') + "/", copied);
        }

        Assert.All(linked, file => Assert.True(IsCopied(file), $"{file} (compiled into the provider by link) is not copied into the build stage"));
    }

    /// <summary>A stage and the stages it is built on (FROM another stage), base first.</summary>
    private static List<Stage> StagesUpTo(Stage stage)
    {
        var chain = new List<Stage> { stage };
        while (Stages.FirstOrDefault(s => s.Name == chain[0].BaseImage) is { } parent)
        {
            chain.Insert(0, parent);
        }

        return chain;
    }

    private static string? WorkdirOf(Stage stage) => StagesUpTo(stage).Select(s => s.Last("WORKDIR")?.Arguments).LastOrDefault(w => w is not null);

    private static Stage Stage(string name) => Assert.Single(Stages, s => s.Name == name);
}
