using LeaseAgent.Testing;
using Npgsql;

namespace LeaseAgent.Tests.Integration;

/// <summary>The throwaway server the test projects start from local binaries when LEASEAGENT_TEST_POSTGRES is unset.</summary>
public sealed class LocalPostgresServerTests
{
    [LocalPostgresFact]
    public async Task Start_ChecksPasswords_SurvivesStopAndResume_AndDisposeRemovesEverything()
    {
        var server = await LocalPostgresServer.StartAsync();
        try
        {
            Assert.Equal(1, await TestPostgres.ScalarAsync<int>(server.AdminConnectionString, "SELECT 1"));
            Assert.Equal("127.0.0.1", await TestPostgres.ScalarAsync<string>(server.AdminConnectionString, "SHOW listen_addresses"));
            var wrong = new NpgsqlConnectionStringBuilder(server.AdminConnectionString) { Password = "not-the-password" }.ConnectionString;
            var refused = await Assert.ThrowsAsync<PostgresException>(() => TestPostgres.ScalarAsync<int>(wrong, "SELECT 1"));
            Assert.Equal(PostgresErrorCodes.InvalidPassword, refused.SqlState);
            Assert.Null(await TestPostgres.AgentRequireAuthAsync(server.AdminConnectionString)); // scram: the agent's default

            await server.StopServerAsync();
            await Assert.ThrowsAnyAsync<NpgsqlException>(() => TestPostgres.ScalarAsync<int>(server.AdminConnectionString, "SELECT 1"));
            await server.ResumeAsync();
            Assert.Equal(1, await TestPostgres.ScalarAsync<int>(server.AdminConnectionString, "SELECT 1"));
        }
        finally
        {
            await server.DisposeAsync();
        }

        Assert.False(Directory.Exists(server.Directory), $"{server.Directory} is left behind");
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => TestPostgres.ScalarAsync<int>(server.AdminConnectionString, "SELECT 1"));
    }
}

/// <summary>A fact that is skipped, with the reason, when there are no Postgres server binaries to start a server from.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class LocalPostgresFactAttribute : FactAttribute
{
    public LocalPostgresFactAttribute()
    {
        if (!LocalPostgresServer.BinariesAvailableAsync().GetAwaiter().GetResult())
        {
            Skip = "no Postgres server binaries (.ci/postgres.sh bindir finds none)";
        }
    }
}
