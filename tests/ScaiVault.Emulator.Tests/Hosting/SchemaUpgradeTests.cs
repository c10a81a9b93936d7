using System.Net;
using LeaseAgent.Testing;
using ScaiVault.Emulator.Tests.Infrastructure;
using Xunit;

namespace ScaiVault.Emulator.Tests.Hosting;

public class SchemaUpgradeTests
{
    private const string ColumnQuery =
        "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'scaivault' AND table_name = 'leases' AND column_name = 'client_ref'";

    private const string IndexQuery =
        "SELECT count(*) FROM pg_indexes WHERE schemaname = 'scaivault' AND indexname = 'leases_by_client_ref'";

    [Fact]
    public async Task Start_OnAStateDatabaseWithoutClientRef_AddsTheColumnAndIndex_AndKeepsItsLeases()
    {
        var database = await TestPostgres.CreateDatabaseAsync("emu");
        TestEngine engine;
        string oldLease;
        const string Subject = "system:serviceaccount:ns:upgrader";
        await using (var first = await new ScaiVaultEmulatorBuilder().WithStateDatabase(database).WithArguments("--dev").StartAsync())
        {
            engine = await TestEngine.CreateAsync(first, dropRolesWithHost: false);
            await engine.AddRoleAsync("app");
            var workload = await first.WorkloadClientAsync(Subject);
            oldLease = (await (await engine.GenerateAsync(workload, "app", "10m")).ShouldBeAsync(HttpStatusCode.OK))["lease_id"]!.GetValue<string>();
        }

        try
        {
            // What an emulator from before client_ref left behind: the same leases table without the column and its index.
            await TestEngine.SqlAsync(database, "DROP INDEX scaivault.leases_by_client_ref; ALTER TABLE scaivault.leases DROP COLUMN client_ref");
            Assert.Equal(0, await TestEngine.ScalarAsync<long>(database, ColumnQuery));

            await using var second = await new ScaiVaultEmulatorBuilder().WithStateDatabase(database).WithArguments("--dev").StartAsync();
            Assert.Equal(1, await TestEngine.ScalarAsync<long>(database, ColumnQuery));
            Assert.Equal(1, await TestEngine.ScalarAsync<long>(database, IndexQuery));

            var workload = await second.WorkloadClientAsync(Subject);
            var old = await (await workload.GetAsync(new Uri($"v1/dynamic/leases/{oldLease}", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
            Assert.True(old.AsObject().ContainsKey("client_ref"));
            Assert.Null(old["client_ref"]);

            var clientRef = "intent:" + Guid.NewGuid().ToString("N");
            var fresh = await (await engine.GenerateAsync(workload, "app", "10m", clientRef)).ShouldBeAsync(HttpStatusCode.OK);
            var found = await (await workload.GetAsync(new Uri($"v1/dynamic/leases?client_ref={clientRef}", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
            Assert.Equal(fresh["lease_id"]!.GetValue<string>(), Assert.Single(found["leases"]!.AsArray())!["lease_id"]!.GetValue<string>());
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(database);
            await engine.DropRolesAsync();
        }
    }
}
