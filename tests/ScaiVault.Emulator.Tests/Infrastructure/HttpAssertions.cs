using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace ScaiVault.Emulator.Tests.Infrastructure;

public static class HttpAssertions
{
    /// <summary>Asserts the status (showing the body when it differs) and returns the parsed JSON body.</summary>
    public static async Task<JsonNode> ShouldBeAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        return body.Length == 0 ? new JsonObject() : JsonNode.Parse(body)!;
    }

    /// <summary>Asserts the contract's error envelope with the given status and code, and X-Request-ID equal to request_id.</summary>
    public static async Task<JsonNode> ShouldBeErrorAsync(this HttpResponseMessage response, HttpStatusCode expected, string code)
    {
        var json = await response.ShouldBeAsync(expected);
        var error = json["error"] ?? throw new Xunit.Sdk.XunitException($"No error envelope: {json.ToJsonString()}");
        Assert.Equal(code, error["code"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(error["message"]!.GetValue<string>()));
        Assert.IsType<JsonObject>(error["details"]);
        var requestId = error["request_id"]!.GetValue<string>();
        Assert.StartsWith("req_", requestId, StringComparison.Ordinal);
        Assert.Equal(requestId, response.Headers.GetValues("X-Request-ID").Single());
        return error;
    }

    public static string Header(this HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single() : throw new Xunit.Sdk.XunitException($"No {name} header");

    public static string[] PropertyNames(this JsonNode node) =>
        [.. node.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal)];
}
