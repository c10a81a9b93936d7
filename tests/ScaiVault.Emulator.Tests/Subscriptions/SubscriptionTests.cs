using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using LeaseAgent.Testing;
using Microsoft.Extensions.DependencyInjection;
using ScaiVault.Emulator.Subscriptions;
using ScaiVault.Emulator.Tests.Infrastructure;
using Xunit;
using static ScaiVault.Emulator.Tests.Infrastructure.SubscriptionApi;

namespace ScaiVault.Emulator.Tests.Subscriptions;

/// <summary>A short redelivery timeout, so that redelivery (and its absence after an ack) shows within seconds.</summary>
public sealed class SubscriptionFixture : EmulatorFixture
{
    public static readonly TimeSpan Redelivery = TimeSpan.FromSeconds(1);

    // Subscription operations unlimited: the admin creates more than 20 subscriptions a minute here (RateLimitTests covers the class).
    protected override ScaiVaultEmulatorBuilder Emulator => new ScaiVaultEmulatorBuilder()
        .WithDevEndpoints()
        .WithArguments("--subscription-redelivery", "1s")
        .WithRateLimits(subscriptionOperations: 0);
}

public class SubscriptionTests(SubscriptionFixture fixture) : IClassFixture<SubscriptionFixture>
{
    private static readonly string[] Updated = ["secret.updated"];

    private ScaiVaultEmulator Host => fixture.Host;

    [Fact]
    public async Task Create_Returns201WithTheSubscription_AndGetShowsIt()
    {
        var client = await Host.WorkloadClientAsync("system:serviceaccount:subs:creator");
        var response = await client.PostAsync(new Uri("v1/subscriptions", UriKind.Relative), JsonContent.Create(new JsonObject
        {
            ["name"] = "db-credentials",
            ["paths"] = new JsonArray("/apps/*/db/", "infra/**"),
            ["events"] = new JsonArray("secret.rotated", "secret.updated", "secret.rotated"),
            ["delivery"] = new JsonObject { ["type"] = "polling" },
        }));
        var created = await response.ShouldBeAsync(HttpStatusCode.Created);

        Assert.Equal(["created_at", "delivery", "events", "id", "identity_id", "name", "paths", "status"], created.PropertyNames());
        var id = created["id"]!.GetValue<string>();
        Assert.Matches("^sub_[0-9a-f]{32}$", id);
        Assert.Equal("db-credentials", created["name"]!.GetValue<string>());
        Assert.Equal("active", created["status"]!.GetValue<string>());
        Assert.Equal("system:serviceaccount:subs:creator", created["identity_id"]!.GetValue<string>());
        Assert.Equal(["apps/*/db", "infra/**"], Strings(created["paths"]));
        Assert.Equal(["secret.rotated", "secret.updated"], Strings(created["events"]));
        Assert.Equal("polling", created["delivery"]!["type"]!.GetValue<string>());
        Assert.EndsWith("Z", created["created_at"]!.GetValue<string>(), StringComparison.Ordinal);

        var fetched = await (await client.GetAsync(new Uri($"v1/subscriptions/{id}", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(created.ToJsonString(), fetched.ToJsonString());
    }

    [Theory]
    [InlineData("""{"paths": ["a/*"], "events": ["secret.updated"]}""", "name")]
    [InlineData("""{"name": "  ", "paths": ["a/*"], "events": ["secret.updated"]}""", "name")]
    [InlineData("""{"name": "n", "events": ["secret.updated"]}""", "paths")]
    [InlineData("""{"name": "n", "paths": [], "events": ["secret.updated"]}""", "paths")]
    [InlineData("""{"name": "n", "paths": ["a/**b"], "events": ["secret.updated"]}""", "paths")]
    [InlineData("""{"name": "n", "paths": ["a//b"], "events": ["secret.updated"]}""", "paths")]
    [InlineData("""{"name": "n", "paths": [null], "events": ["secret.updated"]}""", "paths")]
    [InlineData("""{"name": "n", "paths": ["a"]}""", "events")]
    [InlineData("""{"name": "n", "paths": ["a"], "events": []}""", "events")]
    [InlineData("""{"name": "n", "paths": ["a"], "events": ["secret.updated", "secret.exploded"]}""", "events")]
    [InlineData("""{"name": "n", "paths": ["a"], "events": ["secret.updated"], "delivery": {"type": "webhook"}}""", "delivery.type")]
    [InlineData("""{"name": "n", "paths": ["a"], "events": ["secret.updated"], "delivery": {}}""", "delivery.type")]
    public async Task Create_Invalid_Is422ValidationErrorNamingTheField(string body, string field)
    {
        var response = await Host.Admin.PostAsync(
            new Uri("v1/subscriptions", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));
        var error = await response.ShouldBeErrorAsync(HttpStatusCode.UnprocessableEntity, "validation_error");
        Assert.Equal(field, error["details"]!["field"]!.GetValue<string>());
        Assert.Contains(field.Split('.')[0], error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Writes_ReachOnlySubscriptionsWhoseGlobAndEventTypeMatch()
    {
        var prefix = $"glob/{TestEngine.NewSuffix()}";
        var client = await Host.WorkloadClientAsync("system:serviceaccount:subs:globs");
        var oneLevel = await CreateAsync(client, [$"{prefix}/*/db"], ["secret.created", "secret.updated"]);
        var anyDepth = await CreateAsync(client, [$"{prefix}/**"], ["secret.created"]);
        var exact = await CreateAsync(client, [$"{prefix}/a/db"], Updated);

        await PutSecretAsync(Host, $"{prefix}/a/db", "1");
        await PutSecretAsync(Host, $"{prefix}/a/db", "2");
        await PutSecretAsync(Host, $"{prefix}/a/b/db", "1");
        await PutSecretAsync(Host, $"{prefix}/other", "1");
        await PutSecretAsync(Host, $"elsewhere/{prefix}/a/db", "1");

        Assert.Equal(
            [("secret.created", $"{prefix}/a/db"), ("secret.updated", $"{prefix}/a/db")],
            (await PollAsync(client, oneLevel, 0)).Events().Select(e => e.TypeAndPath()));
        Assert.Equal(
            [("secret.created", $"{prefix}/a/db"), ("secret.created", $"{prefix}/a/b/db"), ("secret.created", $"{prefix}/other")],
            (await PollAsync(client, anyDepth, 0)).Events().Select(e => e.TypeAndPath()));
        Assert.Equal(
            [("secret.updated", $"{prefix}/a/db")],
            (await PollAsync(client, exact, 0)).Events().Select(e => e.TypeAndPath()));
    }

    [Fact]
    public async Task Rotation_EmitsUpdatedThenRotated_InTheContractEnvelope()
    {
        var path = $"rot/{TestEngine.NewSuffix()}/db";
        var client = await Host.WorkloadClientAsync("system:serviceaccount:subs:rotation");
        var rotatedOnly = await CreateAsync(client, [path], ["secret.rotated"]);
        var both = await CreateAsync(client, [path], ["secret.updated", "secret.rotated"]);

        await PutSecretAsync(Host, path, "1");
        await PutSecretAsync(Host, path, "2");
        var rotation = await PutSecretAsync(Host, path, "3", gracePeriod: "5m");
        var written = JsonNode.Parse(await rotation.Content.ReadAsStringAsync())!;
        Assert.Equal(3, written["version"]!.GetValue<int>());

        var rotated = Assert.Single((await PollAsync(client, rotatedOnly, 0)).Events())!;
        Assert.Equal(
            ["data", "event_id", "event_type", "identity_id", "partner_id", "path", "request_id", "tenant_id", "timestamp"],
            rotated.PropertyNames());
        Assert.Null(rotated["partner_id"]);
        Assert.Matches("^evt_[0-9a-f]{32}$", rotated.EventId());
        Assert.Equal(("secret.rotated", path), rotated.TypeAndPath());
        Assert.Equal("emulator", rotated["tenant_id"]!.GetValue<string>());
        Assert.Equal("admin", rotated["identity_id"]!.GetValue<string>());
        Assert.Equal(rotation.Header("X-Request-ID"), rotated["request_id"]!.GetValue<string>());
        Assert.Equal(Time(written["updated_at"]), Time(rotated["timestamp"]));
        Assert.Equal(
            ["auto_generated", "grace_period_ends", "new_version", "old_version", "rotation_policy_id", "rotation_policy_name"],
            rotated["data"]!.PropertyNames());
        Assert.Equal((2, 3), (rotated["data"]!["old_version"]!.GetValue<int>(), rotated["data"]!["new_version"]!.GetValue<int>()));
        Assert.Equal(Time(written["updated_at"]) + TimeSpan.FromMinutes(5), Time(rotated["data"]!["grace_period_ends"]));

        var all = (await PollAsync(client, both, 0)).Events();
        Assert.Equal(["secret.updated", "secret.updated", "secret.rotated"], all.Select(e => e.TypeAndPath().Type));
        Assert.Equal((1, 2), (all[0]!["data"]!["old_version"]!.GetValue<int>(), all[0]!["data"]!["new_version"]!.GetValue<int>()));
        Assert.Equal(rotation.Header("X-Request-ID"), all[1]!["request_id"]!.GetValue<string>());
        Assert.Equal(rotation.Header("X-Request-ID"), all[2]!["request_id"]!.GetValue<string>());

        // One event, fanned out: both subscriptions see the same id.
        Assert.Equal(rotated.EventId(), all[2].EventId());
    }

    [Fact]
    public async Task Events_CarryTheDocumentedDataOfTheirType_AndNeverASecretValue()
    {
        var path = $"data/{TestEngine.NewSuffix()}/db";
        var client = await Host.WorkloadClientAsync("system:serviceaccount:subs:data");
        var id = await CreateAsync(client, [path], ["secret.created", "secret.updated", "secret.rotated"]);
        const string Secret = "hunter2-never-in-an-event";

        await PutAsync(path, new JsonObject
        {
            ["data"] = new JsonObject { ["password"] = Secret },
            ["secret_type"] = "json",
            ["metadata"] = new JsonObject { ["tags"] = new JsonArray("billing", "production"), ["owner"] = Secret },
        });
        await PutAsync(path, new JsonObject { ["data"] = new JsonObject { ["password"] = Secret + "2" } });
        await PutAsync(path, new JsonObject
        {
            ["data"] = new JsonObject { ["password"] = Secret + "3" },
            ["rotation"] = new JsonObject { ["grace_period"] = "48h", ["policy_id"] = "rot_quarterly", ["policy_name"] = "quarterly" },
        });
        await PutAsync(path, new JsonObject { ["data"] = new JsonObject { ["password"] = Secret + "4" }, ["rotation"] = new JsonObject() });

        var poll = await (await PollResponseAsync(client, id, 0)).Content.ReadAsStringAsync();
        Assert.DoesNotContain("hunter2", poll, StringComparison.Ordinal);
        var events = JsonNode.Parse(poll)!.Events();
        Assert.Equal(
            ["secret.created", "secret.updated", "secret.updated", "secret.rotated", "secret.updated", "secret.rotated"],
            events.Select(e => e.TypeAndPath().Type));
        Assert.All(events, e => Assert.Null(e!["partner_id"]));

        Assert.Equal(
            """{"version":1,"secret_type":"json","created_by":"admin","tags":["billing","production"],"expires_at":null}""",
            events[0]!["data"]!.ToJsonString());
        Assert.Equal("""{"old_version":1,"new_version":2,"updated_by":"admin","is_rotation":false}""", events[1]!["data"]!.ToJsonString());
        Assert.Equal("""{"old_version":2,"new_version":3,"updated_by":"admin","is_rotation":true}""", events[2]!["data"]!.ToJsonString());
        var rotated = events[3]!["data"]!;
        Assert.Equal(("rot_quarterly", "quarterly", false), (
            rotated["rotation_policy_id"]!.GetValue<string>(), rotated["rotation_policy_name"]!.GetValue<string>(), rotated["auto_generated"]!.GetValue<bool>()));
        Assert.Equal(Time(events[3]!["timestamp"]) + TimeSpan.FromHours(48), Time(rotated["grace_period_ends"]));

        // A rotation that names no policy gets the emulator's fixed one; its grace period defaults to 0.
        var unnamed = events[5]!["data"]!;
        Assert.Equal(("rot_emulator", "emulator"), (unnamed["rotation_policy_id"]!.GetValue<string>(), unnamed["rotation_policy_name"]!.GetValue<string>()));
        Assert.Equal(Time(events[5]!["timestamp"]), Time(unnamed["grace_period_ends"]));
    }

    [Theory]
    [InlineData("""{"policy_id": ""}""", "rotation.policy_id")]
    [InlineData("""{"policy_id": 7}""", null)]
    [InlineData("""{"policy_name": "a\u0001b"}""", "rotation.policy_name")]
    public async Task Put_WithABadRotationPolicy_IsRefused_AndWritesNothing(string rotation, string? field)
    {
        var path = $"rot/{TestEngine.NewSuffix()}/policy";
        var response = await Host.Admin.PutAsync(
            new Uri($"v1/secrets/{path}", UriKind.Relative),
            new StringContent($$"""{"data": {"a": "b"}, "rotation": {{rotation}}}""", Encoding.UTF8, "application/json"));
        var error = await response.ShouldBeErrorAsync(HttpStatusCode.BadRequest, "invalid_request");
        if (field is not null)
        {
            Assert.Equal(field, error["details"]!["field"]!.GetValue<string>());
        }

        await (await Host.Admin.GetAsync(new Uri($"v1/secrets/{path}", UriKind.Relative))).ShouldBeErrorAsync(HttpStatusCode.NotFound, "secret_not_found");
    }

    [Fact]
    public async Task Poll_SinceEventId_DeliversOnlyTheEventsAfterIt()
    {
        var path = $"since/{TestEngine.NewSuffix()}";
        var client = await Host.WorkloadClientAsync("system:serviceaccount:subs:since");
        var id = await CreateAsync(client, [path], ["secret.created", "secret.updated"]);
        for (var version = 1; version <= 3; version++)
        {
            await PutSecretAsync(Host, path, version.ToString(CultureInfo.InvariantCulture));
        }

        var ids = (await PollAsync(client, id, 0)).Events().Select(e => e.EventId()).ToList();
        Assert.Equal(3, ids.Count);

        // Not acked: all three are due again after the redelivery timeout, but only those after the given id come.
        var afterSecond = await Eventually.ReturnsAsync(
            async () => await PollAsync(client, id, 0, $"&since_event_id={ids[1]}"),
            p => p.Events().Count > 0,
            TimeSpan.FromSeconds(10),
            "the events due again");
        Assert.Equal([ids[2]], afterSecond.Events().Select(e => e.EventId()));
        Assert.False(afterSecond["has_more"]!.GetValue<bool>());

        var afterFirst = await PollAsync(client, id, 0, $"&since_event_id={ids[0]}");
        Assert.Equal([ids[1]], afterFirst.Events().Select(e => e.EventId())); // the third is handed out already
        Assert.Equal(ids[0], Assert.Single((await PollAsync(client, id, 0)).Events()).EventId());
    }

    [Fact]
    public async Task Poll_SinceAnEventIdThisSubscriptionNeverHad_Is422()
    {
        var path = $"since/{TestEngine.NewSuffix()}";
        var client = await Host.WorkloadClientAsync("system:serviceaccount:subs:since-unknown");
        var mine = await CreateAsync(client, [path], ["secret.created"]);
        var other = await CreateAsync(client, [$"{path}/other"], ["secret.created"]);
        await PutSecretAsync(Host, $"{path}/other", "1");
        var otherEvent = Assert.Single((await PollAsync(client, other, 0)).Events()).EventId();

        foreach (var since in new[] { "evt_00000000000000000000000000000000", otherEvent, "" })
        {
            var response = await client.GetAsync(new Uri($"v1/subscriptions/{mine}/poll?timeout=0&since_event_id={since}", UriKind.Relative));
            var error = await response.ShouldBeErrorAsync(HttpStatusCode.UnprocessableEntity, "validation_error");
            Assert.Equal("since_event_id", error["details"]!["field"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Poll_MaxEvents_BoundsTheBatch()
    {
        var path = $"max/{TestEngine.NewSuffix()}";
        var id = await CreateAsync(Host.Admin, [path], ["secret.created", "secret.updated"]);
        for (var version = 1; version <= 5; version++)
        {
            await PutSecretAsync(Host, path, version.ToString(CultureInfo.InvariantCulture));
        }

        var first = await PollAsync(Host.Admin, id, 0, "&max_events=2");
        Assert.Equal((2, true), (first.Events().Count, first["has_more"]!.GetValue<bool>()));
        var rest = await PollAsync(Host.Admin, id, 0, $"&max_events={SubscriptionService.MaxEventsLimit}");
        Assert.Equal((3, false), (rest.Events().Count, rest["has_more"]!.GetValue<bool>()));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1001")]
    [InlineData("-1")]
    [InlineData("ten")]
    [InlineData("")]
    public async Task Poll_BadMaxEvents_Is422(string maxEvents)
    {
        var id = await CreateAsync(Host.Admin, [$"max/{TestEngine.NewSuffix()}"], Updated);
        var response = await Host.Admin.GetAsync(new Uri($"v1/subscriptions/{id}/poll?timeout=0&max_events={maxEvents}", UriKind.Relative));
        var error = await response.ShouldBeErrorAsync(HttpStatusCode.UnprocessableEntity, "validation_error");
        Assert.Equal("max_events", error["details"]!["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task Put_WithABadGracePeriod_IsInvalidDuration_AndWritesNothing()
    {
        var path = $"rot/{TestEngine.NewSuffix()}/bad";
        var response = await Host.Admin.PutAsync(
            new Uri($"v1/secrets/{path}", UriKind.Relative),
            JsonContent.Create(new JsonObject { ["data"] = new JsonObject { ["a"] = "b" }, ["rotation"] = new JsonObject { ["grace_period"] = "soon" } }));
        await response.ShouldBeErrorAsync(HttpStatusCode.BadRequest, "invalid_duration");
        await (await Host.Admin.GetAsync(new Uri($"v1/secrets/{path}", UriKind.Relative))).ShouldBeErrorAsync(HttpStatusCode.NotFound, "secret_not_found");
    }

    [Fact]
    public async Task Poll_WhileWaiting_ReturnsAsSoonAsAMatchingSecretIsWritten()
    {
        var path = $"wait/{TestEngine.NewSuffix()}/db";
        var client = await Host.WorkloadClientAsync("system:serviceaccount:subs:waiter");
        var id = await CreateAsync(client, [path], ["secret.created"]);
        var signals = Host.App.Services.GetRequiredService<SubscriptionSignals>();

        var started = Stopwatch.StartNew();
        var poll = PollAsync(client, id, 20);

        // Write only once the poll is parked, so that it is the wake-up that is tested, not the first look.
        await Eventually.TrueAsync(() => signals.WaitingPolls(id) == 1, TimeSpan.FromSeconds(10), "the poll to wait");
        Assert.False(poll.IsCompleted);
        await PutSecretAsync(Host, path, "1");

        var result = await poll.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(("secret.created", path), Assert.Single(result.Events()).TypeAndPath());
        Assert.False(result["has_more"]!.GetValue<bool>());
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"the poll took {started.Elapsed}; its timeout was 20 s");
    }

    [Fact]
    public async Task Poll_WithNothingToDeliver_AnswersEmptyAtTheTimeout()
    {
        var client = await Host.WorkloadClientAsync("system:serviceaccount:subs:idle");
        var id = await CreateAsync(client, [$"idle/{TestEngine.NewSuffix()}"], Updated);

        var started = Stopwatch.StartNew();
        var result = await PollAsync(client, id, 1);
        Assert.True(started.Elapsed >= TimeSpan.FromMilliseconds(900), $"answered after {started.Elapsed}, before the 1 s timeout");
        Assert.Empty(result.Events());
        Assert.False(result["has_more"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("61")]
    [InlineData("-1")]
    [InlineData("soon")]
    [InlineData("1.5")]
    [InlineData("")]
    public async Task Poll_BadTimeout_Is422(string timeout)
    {
        var id = await CreateAsync(Host.Admin, [$"t/{TestEngine.NewSuffix()}"], Updated);
        var response = await Host.Admin.GetAsync(new Uri($"v1/subscriptions/{id}/poll?timeout={timeout}", UriKind.Relative));
        var error = await response.ShouldBeErrorAsync(HttpStatusCode.UnprocessableEntity, "validation_error");
        Assert.Equal("timeout", error["details"]!["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task Poll_MoreThanABatchDue_SaysHasMore_AndTheNextPollGetsTheRest()
    {
        var path = $"batch/{TestEngine.NewSuffix()}";
        var id = await CreateAsync(Host.Admin, [path], ["secret.created", "secret.updated"]);
        for (var i = 0; i < SubscriptionService.MaxEventsPerPoll + 3; i++)
        {
            await PutSecretAsync(Host, path, i.ToString(CultureInfo.InvariantCulture));
        }

        var first = await PollAsync(Host.Admin, id, 0);
        var second = await PollAsync(Host.Admin, id, 0);
        Assert.Equal((SubscriptionService.MaxEventsPerPoll, true), (first.Events().Count, first["has_more"]!.GetValue<bool>()));
        Assert.Equal((3, false), (second.Events().Count, second["has_more"]!.GetValue<bool>()));
        Assert.Equal(
            Enumerable.Range(1, SubscriptionService.MaxEventsPerPoll + 3),
            first.Events().Concat(second.Events()).Select(e => e!["data"]!["new_version"]?.GetValue<int>() ?? e["data"]!["version"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Ack_StopsRedelivery()
    {
        var path = $"ack/{TestEngine.NewSuffix()}";
        var client = await Host.WorkloadClientAsync("system:serviceaccount:subs:acker");
        var id = await CreateAsync(client, [path], ["secret.created"]);
        await PutSecretAsync(Host, path, "1");
        var eventId = Assert.Single((await PollAsync(client, id, 0)).Events()).EventId();

        await AckAsync(client, id, eventId, "evt_unknown_ids_are_ignored");

        // Three redelivery timeouts: an un-acked event would have come back within this poll.
        var started = Stopwatch.StartNew();
        var later = await PollAsync(client, id, 3);
        Assert.Empty(later.Events());
        Assert.True(started.Elapsed >= SubscriptionFixture.Redelivery * 2, $"the poll answered after {started.Elapsed}");
        Assert.Equal(1, await DeliveryCountAsync(id, eventId));
        Assert.True(await TestEngine.ScalarAsync<bool>(Host.StateDatabase, $"SELECT acked_at IS NOT NULL FROM scaivault.subscription_events WHERE event_id = '{eventId}'"));
    }

    [Fact]
    public async Task UnackedEvent_IsHiddenForTheRedeliveryTimeout_ThenDeliveredAgain()
    {
        var path = $"redeliver/{TestEngine.NewSuffix()}";
        var client = await Host.WorkloadClientAsync("system:serviceaccount:subs:forgetful");
        var id = await CreateAsync(client, [path], ["secret.created"]);
        await PutSecretAsync(Host, path, "1");

        var delivered = Stopwatch.StartNew();
        var first = Assert.Single((await PollAsync(client, id, 0)).Events());
        Assert.Empty((await PollAsync(client, id, 0)).Events());

        // The long poll wakes when the event becomes due again, long before its 20 s timeout.
        var again = Assert.Single((await PollAsync(client, id, 20)).Events());
        Assert.Equal(first.EventId(), again.EventId());
        Assert.True(delivered.Elapsed >= SubscriptionFixture.Redelivery - TimeSpan.FromMilliseconds(100), $"redelivered after {delivered.Elapsed}");
        Assert.True(delivered.Elapsed < TimeSpan.FromSeconds(10), $"redelivered only after {delivered.Elapsed}");
        Assert.Equal(2, await DeliveryCountAsync(id, first.EventId()));

        await AckAsync(client, id, again.EventId());
        Assert.Empty((await PollAsync(client, id, 2)).Events());
    }

    [Fact]
    public async Task OtherIdentity_GetsSubscriptionNotFound_ForEveryOperation()
    {
        var path = $"mine/{TestEngine.NewSuffix()}";
        var owner = await Host.WorkloadClientAsync("system:serviceaccount:subs:owner");
        var other = await Host.WorkloadClientAsync("system:serviceaccount:subs:other");
        var id = await CreateAsync(owner, [path], ["secret.created"]);
        await PutSecretAsync(Host, path, "1");
        var subscription = new Uri($"v1/subscriptions/{id}", UriKind.Relative);

        await (await other.GetAsync(subscription)).ShouldBeErrorAsync(HttpStatusCode.NotFound, "subscription_not_found");
        await (await PollResponseAsync(other, id, 0)).ShouldBeErrorAsync(HttpStatusCode.NotFound, "subscription_not_found");
        await (await AckResponseAsync(other, id, "evt_x")).ShouldBeErrorAsync(HttpStatusCode.NotFound, "subscription_not_found");
        await (await other.DeleteAsync(subscription)).ShouldBeErrorAsync(HttpStatusCode.NotFound, "subscription_not_found");
        await (await Host.Admin.GetAsync(subscription)).ShouldBeErrorAsync(HttpStatusCode.NotFound, "subscription_not_found");

        // Nothing the other identity did touched the owner's subscription or its event.
        await (await owner.GetAsync(subscription)).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(("secret.created", path), Assert.Single((await PollAsync(owner, id, 0)).Events()).TypeAndPath());
    }

    [Fact]
    public async Task Delete_RemovesTheSubscriptionAndItsQueue()
    {
        var path = $"gone/{TestEngine.NewSuffix()}";
        var client = await Host.WorkloadClientAsync("system:serviceaccount:subs:deleter");
        var id = await CreateAsync(client, [path], ["secret.created"]);
        await PutSecretAsync(Host, path, "1");
        var subscription = new Uri($"v1/subscriptions/{id}", UriKind.Relative);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync(subscription)).StatusCode);
        await (await client.GetAsync(subscription)).ShouldBeErrorAsync(HttpStatusCode.NotFound, "subscription_not_found");
        await (await PollResponseAsync(client, id, 0)).ShouldBeErrorAsync(HttpStatusCode.NotFound, "subscription_not_found");
        await (await client.DeleteAsync(subscription)).ShouldBeErrorAsync(HttpStatusCode.NotFound, "subscription_not_found");
        Assert.Equal(0, await TestEngine.ScalarAsync<long>(Host.StateDatabase, $"SELECT count(*) FROM scaivault.subscription_events WHERE subscription_id = '{id}'"));

        // Writing to the path afterwards still works.
        await PutSecretAsync(Host, path, "2");
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"event_ids": ["evt_a", ""]}""")]
    public async Task Ack_WithoutEventIds_Is422(string body)
    {
        var id = await CreateAsync(Host.Admin, [$"ack/{TestEngine.NewSuffix()}"], Updated);
        var response = await Host.Admin.PostAsync(
            new Uri($"v1/subscriptions/{id}/ack", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));
        var error = await response.ShouldBeErrorAsync(HttpStatusCode.UnprocessableEntity, "validation_error");
        Assert.Equal("event_ids", error["details"]!["field"]!.GetValue<string>());
    }

    private async Task PutAsync(string path, JsonObject body) =>
        await (await Host.Admin.PutAsync(new Uri($"v1/secrets/{path}", UriKind.Relative), JsonContent.Create(body))).ShouldBeAsync(HttpStatusCode.OK);

    private Task<int> DeliveryCountAsync(string subscriptionId, string eventId) =>
        TestEngine.ScalarAsync<int>(
            Host.StateDatabase,
            $"SELECT delivery_count FROM scaivault.subscription_events WHERE subscription_id = '{subscriptionId}' AND event_id = '{eventId}'");

    private static string[] Strings(JsonNode? array) => [.. array!.AsArray().Select(s => s!.GetValue<string>())];

    private static DateTimeOffset Time(JsonNode? node) => DateTimeOffset.Parse(node!.GetValue<string>(), CultureInfo.InvariantCulture);
}
