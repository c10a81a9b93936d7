using LeaseAgent.Testing;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace ScaiVault.Emulator.Tests.Infrastructure;

/// <summary>The subscription calls the tests make, with the contract's shapes.</summary>
public static class SubscriptionApi
{
    /// <summary><c>POST /v1/subscriptions</c> with polling delivery; returns the id.</summary>
    public static async Task<string> CreateAsync(HttpClient client, string[] paths, string[] events, string name = "test")
    {
        var response = await client.PostAsync(new Uri("v1/subscriptions", UriKind.Relative), JsonContent.Create(new JsonObject
        {
            ["name"] = name,
            ["paths"] = new JsonArray([.. paths.Select(p => JsonValue.Create(p))]),
            ["events"] = new JsonArray([.. events.Select(e => JsonValue.Create(e))]),
            ["delivery"] = new JsonObject { ["type"] = "polling" },
        }));
        return (await response.ShouldBeAsync(HttpStatusCode.Created))["id"]!.GetValue<string>();
    }

    /// <param name="query">More query parameters, each starting with <c>&amp;</c>.</param>
    public static Task<HttpResponseMessage> PollResponseAsync(HttpClient client, string id, int timeoutSeconds, string query = "") =>
        client.GetAsync(new Uri($"v1/subscriptions/{id}/poll?timeout={timeoutSeconds}{query}", UriKind.Relative));

    /// <summary>A successful poll's <c>{"events": [...], "has_more": …}</c>.</summary>
    public static async Task<JsonNode> PollAsync(HttpClient client, string id, int timeoutSeconds, string query = "") =>
        await (await PollResponseAsync(client, id, timeoutSeconds, query)).ShouldBeAsync(HttpStatusCode.OK);

    public static JsonArray Events(this JsonNode poll) => poll["events"]!.AsArray();

    public static string EventId(this JsonNode? envelope) => envelope!["event_id"]!.GetValue<string>();

    public static (string Type, string Path) TypeAndPath(this JsonNode? envelope) =>
        (envelope!["event_type"]!.GetValue<string>(), envelope["path"]!.GetValue<string>());

    public static Task<HttpResponseMessage> AckResponseAsync(HttpClient client, string id, params string[] eventIds) =>
        client.PostAsync(
            new Uri($"v1/subscriptions/{id}/ack", UriKind.Relative),
            JsonContent.Create(new JsonObject { ["event_ids"] = new JsonArray([.. eventIds.Select(e => JsonValue.Create(e))]) }));

    public static async Task AckAsync(HttpClient client, string id, params string[] eventIds) =>
        await (await AckResponseAsync(client, id, eventIds)).ShouldBeAsync(HttpStatusCode.NoContent);

    /// <summary><c>PUT /v1/secrets/{path}</c> as the admin, optionally with the emulator's <c>rotation</c> field.</summary>
    public static async Task<HttpResponseMessage> PutSecretAsync(ScaiVaultEmulator host, string path, string value, string? gracePeriod = null)
    {
        var body = new JsonObject { ["data"] = new JsonObject { ["value"] = value } };
        if (gracePeriod is not null)
        {
            body["rotation"] = new JsonObject { ["grace_period"] = gracePeriod };
        }

        var response = await host.Admin.PutAsync(new Uri($"v1/secrets/{path}", UriKind.Relative), JsonContent.Create(body));
        await response.ShouldBeAsync(HttpStatusCode.OK);
        return response;
    }
}
