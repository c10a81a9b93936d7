namespace LeaseAgent.Testing;

/// <summary>
/// The published Native AOT <c>lease-agent</c>: the one named by <c>LEASEAGENT_BINARY</c>, or published once per
/// test run with the README's command (see <see cref="PublishedBinary"/>).
/// </summary>
public static class AgentBinary
{
    public const string EnvironmentVariable = "LEASEAGENT_BINARY";

    private static readonly PublishedBinary Agent = new("src/LeaseAgent/LeaseAgent.csproj", "lease-agent", "agent", EnvironmentVariable);

    /// <param name="artifacts">The directory under <c>artifacts/</c> this test project publishes into.</param>
    public static Task<string> GetPathAsync(string artifacts) => Agent.GetPathAsync(artifacts);
}
