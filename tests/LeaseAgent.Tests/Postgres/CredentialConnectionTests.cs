using System.Collections;
using LeaseAgent.Configuration;
using LeaseAgent.Postgres;
using LeaseAgent.ScaiVault;
using Npgsql;

namespace LeaseAgent.Tests.Postgres;

/// <summary>
/// Every credential the agent logs in with brings a password never seen before. <c>new NpgsqlConnection(string)</c>
/// keeps a data source per distinct connection string in Npgsql's process-wide cache for the life of the process,
/// so each rotation left one behind: about 100 KiB of live heap per rotation in the soak (figure 10 of
/// <c>docs/benchmarks.md</c>). The agent's own connections must leave nothing in that cache.
/// </summary>
public sealed class CredentialConnectionTests
{
    [Fact]
    public async Task Probe_LeavesNoDataSourceInNpgsqlsProcessWideCache()
    {
        var credential = FreshCredential();

        var result = await new CredentialProbe(Database(CredentialProbeWindowTests.ClosedPort()), TimeProvider.System).ProbeAsync(credential, CancellationToken.None);

        Assert.Equal(ProbeFailure.Unreachable, result.Failure); // it did try to connect
        Assert.False(IsCached(credential), "Npgsql's process-wide cache holds a data source for the credential");
    }

    [Fact]
    public async Task SessionCount_LeavesNoDataSourceInNpgsqlsProcessWideCache()
    {
        var credential = FreshCredential();

        var sessions = await new DatabaseSessions(Database(CredentialProbeWindowTests.ClosedPort())).CountAsync(credential, "v_someone_else", CancellationToken.None);

        Assert.Null(sessions); // it did try to connect
        Assert.False(IsCached(credential), "Npgsql's process-wide cache holds a data source for the credential");
    }

    /// <summary>The test can fail: a connection opened the usual way does land in the cache.</summary>
    [Fact]
    public async Task TheCacheIsVisible_ANewNpgsqlConnectionLandsInIt()
    {
        var credential = FreshCredential();
        var connectionString = CredentialProbe.ConnectionString(Database(CredentialProbeWindowTests.ClosedPort()), credential, forProbe: true);

        await using var connection = new NpgsqlConnection(connectionString);
        await Assert.ThrowsAnyAsync<Exception>(() => connection.OpenAsync());

        Assert.True(IsCached(credential), "Npgsql's process-wide cache holds no data source for the credential");
    }

    private static DatabaseCredential FreshCredential() => new("v_reporting_readonly_cache", $"pw-{Guid.NewGuid():N}");

    /// <summary>Whether a cached connection string holds the credential's password (not printed: the keys hold passwords).</summary>
    private static bool IsCached(DatabaseCredential credential) =>
        NpgsqlCachedConnectionStrings().Any(key => key.Contains(credential.Password, StringComparison.Ordinal));

    /// <summary>
    /// The keys of Npgsql's <c>PoolManager.Pools</c> (internal: read by reflection, so an Npgsql upgrade that renames
    /// it fails here loudly rather than passing quietly).
    /// </summary>
    private static List<string> NpgsqlCachedConnectionStrings()
    {
        var poolManager = typeof(NpgsqlConnection).Assembly.GetType("Npgsql.PoolManager", throwOnError: true)!;
        const System.Reflection.BindingFlags Static = System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public;
        var pools = poolManager.GetProperty("Pools", Static)?.GetValue(null) ?? poolManager.GetField("Pools", Static)?.GetValue(null)
            ?? throw new InvalidOperationException("Npgsql.PoolManager has no Pools any more: find the data source cache anew");
        return [.. ((IDictionary)pools).Keys.Cast<object>().Select(key => key.ToString()!)];
    }

    /// <summary>A server that refuses the connection: the data source is made, the login never happens.</summary>
    private static DatabaseOptions Database(int port) => CredentialProbeWindowTests.Database(port, ("DB_PROBE_WINDOW", "0s"));
}
