using LeaseAgent.Testing;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ScaiVault.Emulator.Tests.Infrastructure;
using Xunit;

namespace ScaiVault.Emulator.Tests.Hosting;

public class LogSecrecyTests
{
    [Fact]
    public async Task AFullLeaseLifecycle_NeverLogsAPasswordOrToken()
    {
        await using var host = await new ScaiVaultEmulatorBuilder().WithArguments("--dev", "--client", "logs=client-secret-xyz", "--log-level", "Trace").StartAsync();
        using var capture = new CapturingLoggerProvider();
        host.App.Services.GetRequiredService<ILoggerFactory>().AddProvider(capture);

        var engine = await TestEngine.CreateAsync(host);
        await engine.AddRoleAsync("app");
        var jwt = await host.MintTokenAsync("system:serviceaccount:ns:logs");
        var accessToken = await host.ExchangeAsync(jwt);
        var clientToken = await (await host.Anonymous.PostAsync(
            new Uri("oauth/token", UriKind.Relative),
            new FormUrlEncodedContent([KeyValuePair.Create("grant_type", "client_credentials"), KeyValuePair.Create("client_id", "logs"), KeyValuePair.Create("client_secret", "client-secret-xyz")])))
            .ShouldBeAsync(HttpStatusCode.OK);
        await (await host.Anonymous.PostAsync(
            new Uri("oauth/token", UriKind.Relative),
            new FormUrlEncodedContent([KeyValuePair.Create("grant_type", "client_credentials"), KeyValuePair.Create("client_id", "logs"), KeyValuePair.Create("client_secret", "wrong-secret-abc")])))
            .ShouldBeAsync(HttpStatusCode.Unauthorized);
        await (await host.Admin.PutAsync(
            new Uri("v1/secrets/apps/logs", UriKind.Relative), JsonContent.Create(new JsonObject { ["data"] = new JsonObject { ["api_key"] = "static-secret-value-123" } })))
            .ShouldBeAsync(HttpStatusCode.OK);

        var workload = host.CreateClient(accessToken);
        var lease = await (await engine.GenerateAsync(workload, "app", "5m")).ShouldBeAsync(HttpStatusCode.OK);
        var leaseId = lease["lease_id"]!.GetValue<string>();
        await (await workload.PostAsync(new Uri($"v1/dynamic/leases/{leaseId}/renew", UriKind.Relative), null)).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.NoContent, (await workload.PostAsync(new Uri($"v1/dynamic/leases/{leaseId}/revoke", UriKind.Relative), null)).StatusCode);

        string[] secrets =
        [
            lease["data"]!["password"]!.GetValue<string>(),
            accessToken,
            clientToken["access_token"]!.GetValue<string>(),
            jwt,
            jwt.Split('.')[2],
            "client-secret-xyz",
            "wrong-secret-abc",
            "static-secret-value-123",
            ScaiVaultEmulatorBuilder.DefaultAdminToken,
            "SCRAM-SHA-256$",
        ];
        Assert.NotEmpty(capture.Lines);
        Assert.Contains(capture.Lines, l => l.Contains(leaseId, StringComparison.Ordinal));
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(capture.Lines, l => l.Contains(secret, StringComparison.Ordinal));
        }
    }
}
