using System.Globalization;

namespace LeaseAgent.Testing;

/// <summary>
/// The environment a <c>lease-agent</c> (or the benchmarks' bare client, which reads the same keys) runs with against
/// a role of a <see cref="ScaiVaultEmulator"/>: one copy for the integration tests, the chaos suite and the benchmarks.
/// </summary>
public static class AgentEnvironment
{
    /// <summary>
    /// Only the required keys, so everything else keeps the agent's defaults (what the benchmarks measure), plus
    /// <c>DB_SSLMODE=disable</c> (the test servers have no TLS) and <paramref name="requireAuth"/> when not null
    /// (<see cref="TestPostgres.AgentRequireAuthAsync"/>).
    /// </summary>
    public static Dictionary<string, string> Required(Uri scaiVault, string tokenFile, EmulatorRole role, string outputFile, string? requireAuth)
    {
        var database = role.Engine.Connection;
        var environment = new Dictionary<string, string>
        {
            ["SCAIVAULT_URL"] = scaiVault.ToString(),
            ["SCAIVAULT_TOKEN_FILE"] = tokenFile,
            ["LEASE_ENGINE"] = role.Engine.Name,
            ["LEASE_ROLE"] = role.Name,
            ["DB_HOST"] = database.Host!,
            ["DB_PORT"] = database.Port.ToString(CultureInfo.InvariantCulture),
            ["DB_NAME"] = database.Database!,
            ["DB_SSLMODE"] = "disable",
            ["OUTPUT_FILE"] = outputFile,
        };
        if (requireAuth is not null)
        {
            environment["DB_REQUIRE_AUTH"] = requireAuth;
        }

        return environment;
    }

    /// <summary>
    /// The required keys and what tests want on top: a short drain (1 s) and shutdown budget (10 s), so a test's
    /// rotations and stops take seconds, and JSON logs at debug level, which the tests read.
    /// </summary>
    public static async Task<Dictionary<string, string>> ForTestAsync(Uri scaiVault, string tokenFile, EmulatorRole role, string outputFile)
    {
        var environment = Required(scaiVault, tokenFile, role, outputFile, await TestPostgres.AgentRequireAuthAsync(role.Engine.Database));
        environment["LEASE_DRAIN_TIMEOUT"] = "1s";
        environment["SHUTDOWN_TIMEOUT"] = "10s";
        environment["LOG_FORMAT"] = "json";
        environment["LOG_LEVEL"] = "debug";
        return environment;
    }
}
