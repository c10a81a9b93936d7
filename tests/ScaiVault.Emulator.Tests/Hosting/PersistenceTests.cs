using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LeaseAgent.Testing;
using ScaiVault.Emulator.Tests.Infrastructure;
using Xunit;

namespace ScaiVault.Emulator.Tests.Hosting;

public class PersistenceTests
{
    [Fact]
    public async Task Restart_OnTheSameDatabase_KeepsTokensSecretsEnginesLeasesAndTheDevKey()
    {
        var database = await TestPostgres.CreateDatabaseAsync("emu");
        TestEngine engine;
        string accessToken, unusedJwt, leaseId, username, password;
        var clientRef = "intent:" + Guid.NewGuid().ToString("N");
        await using (var first = await new ScaiVaultEmulatorBuilder().WithStateDatabase(database).WithArguments("--dev").StartAsync())
        {
            engine = await TestEngine.CreateAsync(first, dropRolesWithHost: false);
            await engine.AddRoleAsync("app");
            accessToken = await first.ExchangeAsync(await first.MintTokenAsync("system:serviceaccount:ns:survivor"));
            unusedJwt = await first.MintTokenAsync("system:serviceaccount:ns:later");
            var lease = await (await engine.GenerateAsync(first.CreateClient(accessToken), "app", "10m", clientRef)).ShouldBeAsync(HttpStatusCode.OK);
            Assert.Equal(clientRef, lease["client_ref"]!.GetValue<string>());
            (leaseId, username, password) = (lease["lease_id"]!.GetValue<string>(), lease["data"]!["username"]!.GetValue<string>(), lease["data"]!["password"]!.GetValue<string>());
        }

        try
        {
            await using var second = await new ScaiVaultEmulatorBuilder().WithStateDatabase(database).WithArguments("--dev").StartAsync();
            var workload = second.CreateClient(accessToken);

            var whoami = await (await workload.GetAsync(new Uri("v1/auth/whoami", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
            Assert.Equal("system:serviceaccount:ns:survivor", whoami["identity_id"]!.GetValue<string>());
            await (await second.Admin.GetAsync(new Uri($"v1/secrets/{engine.RootSecretPath}", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK); // root credentials: admin only
            await (await second.Admin.GetAsync(new Uri($"v1/dynamic/engines/{engine.Name}/roles/app", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
            var lookedUp = await (await workload.GetAsync(new Uri($"v1/dynamic/leases/{leaseId}", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
            Assert.Equal(clientRef, lookedUp["client_ref"]!.GetValue<string>());
            var found = await (await workload.GetAsync(new Uri($"v1/dynamic/leases?state=active&client_ref={clientRef}", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
            Assert.Equal(leaseId, Assert.Single(found["leases"]!.AsArray())!["lease_id"]!.GetValue<string>());
            await (await workload.PostAsync(
                new Uri($"v1/dynamic/leases/{leaseId}/renew", UriKind.Relative), JsonContent.Create(new JsonObject { ["increment"] = "5m" })))
                .ShouldBeAsync(HttpStatusCode.OK);
            await using (var session = await engine.LoginAsync(username, password))
            {
                Assert.Equal(System.Data.ConnectionState.Open, session.State);
            }

            // A JWT signed before the restart still verifies: the dev key lives in the schema.
            await second.ExchangeAsync(unusedJwt);

            Assert.Equal(HttpStatusCode.NoContent, (await workload.PostAsync(new Uri($"v1/dynamic/leases/{leaseId}/revoke", UriKind.Relative), null)).StatusCode);
            Assert.False(await engine.UserExistsAsync(username));
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(database);
            await engine.DropRolesAsync();
        }
    }
}
