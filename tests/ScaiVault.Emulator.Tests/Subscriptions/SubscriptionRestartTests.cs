using System.Diagnostics;
using System.Net;
using LeaseAgent.Testing;
using Microsoft.Extensions.DependencyInjection;
using ScaiVault.Emulator.Subscriptions;
using ScaiVault.Emulator.Tests.Infrastructure;
using Xunit;
using static ScaiVault.Emulator.Tests.Infrastructure.SubscriptionApi;

namespace ScaiVault.Emulator.Tests.Subscriptions;

public class SubscriptionRestartTests
{
    [Fact]
    public async Task Restart_KeepsSubscriptionsAckedStateAndUndeliveredEvents()
    {
        var database = await TestPostgres.CreateDatabaseAsync("emu");
        const string Path = "apps/survivor/db";
        string accessToken, subscriptionId, ackedEventId;
        try
        {
            await using (var first = await new ScaiVaultEmulatorBuilder().WithStateDatabase(database).WithArguments("--dev").StartAsync())
            {
                accessToken = await first.ExchangeAsync(await first.MintTokenAsync("system:serviceaccount:ns:watcher"));
                var client = first.CreateClient(accessToken);
                subscriptionId = await CreateAsync(client, ["apps/*/db"], ["secret.created", "secret.updated"]);
                await PutSecretAsync(first, Path, "1");
                ackedEventId = Assert.Single((await PollAsync(client, subscriptionId, 0)).Events()).EventId();
                await AckAsync(client, subscriptionId, ackedEventId);

                // Written, never polled: it must survive the restart.
                await PutSecretAsync(first, Path, "2");
            }

            await using var second = await new ScaiVaultEmulatorBuilder().WithStateDatabase(database).WithArguments("--dev").StartAsync();
            var again = second.CreateClient(accessToken);
            await (await again.GetAsync(new Uri($"v1/subscriptions/{subscriptionId}", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);

            var afterRestart = Assert.Single((await PollAsync(again, subscriptionId, 0)).Events());
            Assert.Equal(("secret.updated", Path), afterRestart.TypeAndPath());
            Assert.NotEqual(ackedEventId, afterRestart.EventId());
            await AckAsync(again, subscriptionId, afterRestart.EventId());

            // The restarted emulator matches new writes against the stored subscription too.
            await PutSecretAsync(second, Path, "3");
            var newest = Assert.Single((await PollAsync(again, subscriptionId, 5)).Events());
            Assert.Equal(3, newest!["data"]!["new_version"]!.GetValue<int>());
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(database);
        }
    }

    [Fact]
    public async Task Stop_WhileAPollWaits_AnswersItEmptyAndStopsPromptly()
    {
        await using var host = await new ScaiVaultEmulatorBuilder().WithArguments("--dev").StartAsync();
        var id = await CreateAsync(host.Admin, ["apps/quiet"], ["secret.updated"]);
        var poll = PollResponseAsync(host.Admin, id, 60);
        await Eventually.TrueAsync(
            () => host.App.Services.GetRequiredService<SubscriptionSignals>().WaitingPolls(id) == 1, TimeSpan.FromSeconds(10), "the poll to wait");

        // Without ending parked polls, the server would wait for them until its shutdown timeout.
        var stopping = Stopwatch.StartNew();
        await host.App.StopAsync();
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(5), $"stopping took {stopping.Elapsed}");
        var answer = await (await poll.WaitAsync(TimeSpan.FromSeconds(5))).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Empty(answer.Events());
    }
}
