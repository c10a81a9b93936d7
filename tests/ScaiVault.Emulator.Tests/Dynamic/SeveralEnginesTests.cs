using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LeaseAgent.Testing;
using Npgsql;
using Xunit;

namespace ScaiVault.Emulator.Tests.Dynamic;

/// <summary>Two engines on two databases of one emulator, as <see cref="ScaiVaultEmulatorBuilder"/> sets them up.</summary>
public class SeveralEnginesTests
{
    [Fact]
    public async Task Lease_OfEachEngine_LogsInToItsOwnDatabaseOnly()
    {
        var reporting = await TestPostgres.CreateDatabaseAsync("reporting");
        try
        {
            // One engine on a database the test keeps, one on a database the emulator creates and drops.
            await using var emulator = await new ScaiVaultEmulatorBuilder()
                .WithDevEndpoints()
                .WithEngine("reporting-db", reporting, engine => engine.WithRole("1h", "2h"))
                .WithEngine("billing-db", engine => engine.WithRole("1h", "2h"))
                .StartAsync();
            var workload = await emulator.WorkloadClientAsync("system:serviceaccount:ns:two-engines");
            Assert.Equal(2, emulator.Roles.Count);
            Assert.NotEqual(emulator.Roles[0].Engine.Connection.Database, emulator.Roles[1].Engine.Connection.Database);

            foreach (var role in emulator.Roles)
            {
                var lease = await workload.PostAsync(new Uri($"v1/dynamic/engines/{role.Engine.Name}/creds/{role.Name}", UriKind.Relative), null);
                var data = (await lease.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonObject>())!["data"]!;
                var (username, password) = (data["username"]!.GetValue<string>(), data["password"]!.GetValue<string>());
                var other = emulator.Roles.Single(r => r != role).Engine;

                Assert.Equal((role.Engine.Connection.Database, 10L), await ReadReportAsync(role.Engine, username, password));
                var refused = await Assert.ThrowsAsync<PostgresException>(async () => await (await LoginAsync(other, username, password)).DisposeAsync());
                Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState); // the login, not a query: "permission denied for database"
            }
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(reporting);
        }
    }

    [Fact]
    public void With_ReturnsANewBuilder_LeavingItsSourceAsItWas()
    {
        var plain = new ScaiVaultEmulatorBuilder();
        var withRole = plain.WithRole("4s", "12s");

        Assert.NotSame(plain, withRole);
        Assert.Equal(new ScaiVaultEmulatorBuilder(), plain);
        Assert.NotEqual(plain, withRole);
    }

    private static async Task<(string? Database, long Rows)> ReadReportAsync(EmulatorEngine engine, string username, string password)
    {
        await using var connection = await LoginAsync(engine, username, password);
        await using var command = new NpgsqlCommand("SELECT current_database(), (SELECT count(*) FROM report)", connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetString(0), reader.GetInt64(1));
    }

    private static async Task<NpgsqlConnection> LoginAsync(EmulatorEngine engine, string username, string password)
    {
        var login = new NpgsqlConnectionStringBuilder(engine.Database) { Username = username, Password = password, Pooling = false };
        var connection = new NpgsqlConnection(login.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }
}
