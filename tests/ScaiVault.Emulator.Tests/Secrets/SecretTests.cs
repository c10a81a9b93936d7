using LeaseAgent.Testing;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ScaiVault.Emulator.Tests.Infrastructure;
using Xunit;

namespace ScaiVault.Emulator.Tests.Secrets;

public class SecretTests(EmulatorFixture fixture) : IClassFixture<EmulatorFixture>
{
    private ScaiVaultEmulator Host => fixture.Host;

    [Fact]
    public async Task Put_ThenGet_ReturnsTheDocumentedShape()
    {
        var path = $"apps/{TestEngine.NewSuffix()}/config";
        var metadata = new JsonObject
        {
            ["description"] = "Reporting API key",
            ["tags"] = new JsonArray("reporting", "production"),
            ["owner"] = "team:reporting",
            ["ticket"] = "OPS-1",
        };
        await PutAsync(path, new JsonObject { ["api_key"] = "k-1", ["port"] = 8080 }, metadata, "api_key");

        var response = await Host.Admin.GetAsync(new Uri($"v1/secrets/{path}", UriKind.Relative));
        var json = await response.ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(
            ["created_at", "data", "expires_at", "last_accessed_at", "metadata", "path", "rotation_policy_id", "secret_policy_id", "secret_type",
             "updated_at", "version"],
            json.PropertyNames());
        Assert.Equal(path, json["path"]!.GetValue<string>());
        Assert.Equal("api_key", json["secret_type"]!.GetValue<string>());
        Assert.Equal(1, json["version"]!.GetValue<int>());
        Assert.Equal("k-1", json["data"]!["api_key"]!.GetValue<string>());
        Assert.Equal(8080, json["data"]!["port"]!.GetValue<int>());
        Assert.True(JsonNode.DeepEquals(metadata, json["metadata"]), json["metadata"]!.ToJsonString());
        Assert.EndsWith("Z", json["created_at"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(json["expires_at"]);
        Assert.Null(json["rotation_policy_id"]);
        Assert.Null(json["secret_policy_id"]);
        Assert.Equal("1000", response.Header("X-RateLimit-Limit"));
    }

    [Fact]
    public async Task Put_WithoutMetadata_ReadsBackTheDocumentedMetadataKeys_AndKeepsCustomOnes()
    {
        var bare = $"apps/{TestEngine.NewSuffix()}/bare";
        await PutAsync(bare, new JsonObject { ["x"] = "y" });
        var custom = $"apps/{TestEngine.NewSuffix()}/custom";
        await PutAsync(custom, new JsonObject { ["x"] = "y" }, new JsonObject { ["ticket"] = "OPS-2" });

        var bareMetadata = (await (await Host.Admin.GetAsync(new Uri($"v1/secrets/{bare}", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK))["metadata"];
        Assert.True(
            JsonNode.DeepEquals(new JsonObject { ["description"] = null, ["tags"] = new JsonArray(), ["owner"] = null }, bareMetadata),
            bareMetadata!.ToJsonString());
        var customMetadata = (await (await Host.Admin.GetAsync(new Uri($"v1/secrets/{custom}", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK))["metadata"]!;
        Assert.Equal(["description", "owner", "tags", "ticket"], customMetadata.PropertyNames());
        Assert.Equal("OPS-2", customMetadata["ticket"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("{\"description\": 42}", "metadata.description")]
    [InlineData("{\"owner\": [\"a\"]}", "metadata.owner")]
    [InlineData("{\"tags\": \"prod\"}", "metadata.tags")]
    [InlineData("{\"tags\": [\"prod\", 7]}", "metadata.tags")]
    public async Task Put_MetadataOfTheWrongType_IsInvalidRequest_AndWritesNothing(string metadata, string field)
    {
        var path = $"apps/{TestEngine.NewSuffix()}/meta";
        var body = new JsonObject { ["data"] = new JsonObject { ["x"] = "y" }, ["metadata"] = JsonNode.Parse(metadata) };
        var error = await (await Host.Admin.PutAsync(new Uri($"v1/secrets/{path}", UriKind.Relative), JsonContent.Create(body)))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "invalid_request");
        Assert.Equal(field, error["details"]!["field"]!.GetValue<string>());
        await (await Host.Admin.GetAsync(new Uri($"v1/secrets/{path}", UriKind.Relative))).ShouldBeErrorAsync(HttpStatusCode.NotFound, "secret_not_found");
    }

    [Theory]
    [InlineData("kv")]
    [InlineData("json")]
    [InlineData("certificate")]
    [InlineData("ssh_key")]
    [InlineData("api_key")]
    public async Task Put_EveryDocumentedSecretType_IsStoredAsGiven(string secretType)
    {
        var path = $"apps/{TestEngine.NewSuffix()}/typed";
        await PutAsync(path, new JsonObject { ["x"] = "y" }, secretType: secretType);
        var json = await (await Host.Admin.GetAsync(new Uri($"v1/secrets/{path}", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(secretType, json["secret_type"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("generic")]
    [InlineData("database_credentials")]
    [InlineData("KV")]
    [InlineData("")]
    public async Task Put_UnknownSecretType_IsInvalidSecretType_AndWritesNothing(string secretType)
    {
        var path = $"apps/{TestEngine.NewSuffix()}/typed";
        await PutAsync(path, new JsonObject { ["password"] = "one" }, secretType: "kv");

        var body = new JsonObject { ["data"] = new JsonObject { ["password"] = "two" }, ["secret_type"] = secretType };
        var error = await (await Host.Admin.PutAsync(new Uri($"v1/secrets/{path}", UriKind.Relative), JsonContent.Create(body)))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "invalid_secret_type");
        Assert.Equal("secret_type", error["details"]!["field"]!.GetValue<string>());
        Assert.Equal(["api_key", "certificate", "json", "kv", "ssh_key"], error["details"]!["allowed"]!.AsArray().Select(t => t!.GetValue<string>()).Order(StringComparer.Ordinal));

        var latest = await (await Host.Admin.GetAsync(new Uri($"v1/secrets/{path}", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal((1, "one"), (latest["version"]!.GetValue<int>(), latest["data"]!["password"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Put_WithoutSecretType_StoresJson()
    {
        var path = $"apps/{TestEngine.NewSuffix()}/untyped";
        await PutAsync(path, new JsonObject { ["username"] = "u", ["password"] = "p" });
        var json = await (await Host.Admin.GetAsync(new Uri($"v1/secrets/{path}", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal("json", json["secret_type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Get_RecordsLastAccessedAt_AndAWriteDoesNot()
    {
        var path = $"apps/{TestEngine.NewSuffix()}/accessed";
        var written = await PutAsync(path, new JsonObject { ["x"] = "y" });
        Assert.Null(written["last_accessed_at"]);

        var first = await (await Host.Admin.GetAsync(new Uri($"v1/secrets/{path}", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
        Assert.True(Time(first["last_accessed_at"]) >= Time(first["updated_at"]));
        var again = await (await Host.Admin.GetAsync(new Uri($"v1/secrets/{path}?version=1", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
        Assert.True(Time(again["last_accessed_at"]) >= Time(first["last_accessed_at"]));

        var rewritten = await PutAsync(path, new JsonObject { ["x"] = "z" });
        Assert.Equal(Time(again["last_accessed_at"]), Time(rewritten["last_accessed_at"]));
    }

    [Fact]
    public async Task Put_Twice_WritesVersions_AndOldVersionsStayReadable()
    {
        var path = $"apps/{TestEngine.NewSuffix()}/db";
        await PutAsync(path, new JsonObject { ["password"] = "one" });
        await PutAsync(path, new JsonObject { ["password"] = "two" });

        var latest = await (await Host.Admin.GetAsync(new Uri($"v1/secrets/{path}", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
        var first = await (await Host.Admin.GetAsync(new Uri($"v1/secrets/{path}?version=1", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal((2, "two"), (latest["version"]!.GetValue<int>(), latest["data"]!["password"]!.GetValue<string>()));
        Assert.Equal((1, "one"), (first["version"]!.GetValue<int>(), first["data"]!["password"]!.GetValue<string>()));
        Assert.Equal(first["created_at"]!.GetValue<string>(), latest["created_at"]!.GetValue<string>());
        Assert.True(Time(latest["updated_at"]) >= Time(first["updated_at"]));
    }

    [Fact]
    public async Task Get_WithWorkloadToken_IsAllowed()
    {
        var path = $"apps/{TestEngine.NewSuffix()}/shared";
        await PutAsync(path, new JsonObject { ["x"] = "y" });
        var workload = await Host.WorkloadClientAsync("system:serviceaccount:ns:reader");
        await (await workload.GetAsync(new Uri($"v1/secrets/{path}", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Get_AnEnginesRootCredentials_IsForbiddenToWorkloads_AndReadableByTheAdmin()
    {
        var engine = await TestEngine.CreateAsync(Host);
        var workload = await Host.WorkloadClientAsync("system:serviceaccount:ns:reader");

        var denied = await workload.GetAsync(new Uri($"v1/secrets/{engine.RootSecretPath}", UriKind.Relative));
        var error = await denied.ShouldBeErrorAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        Assert.Equal("dynamic:manage", error["details"]!["required_scope"]!.GetValue<string>());
        Assert.DoesNotContain("password", await denied.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        await (await workload.GetAsync(new Uri($"v1/secrets/{engine.RootSecretPath}?version=1", UriKind.Relative)))
            .ShouldBeErrorAsync(HttpStatusCode.Forbidden, "insufficient_scope");

        var read = await (await Host.Admin.GetAsync(new Uri($"v1/secrets/{engine.RootSecretPath}", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
        Assert.NotNull(read["data"]!["password"]);
    }

    [Fact]
    public async Task Get_UnknownPath_IsSecretNotFound() =>
        await (await Host.Admin.GetAsync(new Uri("v1/secrets/no/such/secret", UriKind.Relative)))
            .ShouldBeErrorAsync(HttpStatusCode.NotFound, "secret_not_found");

    [Fact]
    public async Task Get_UnknownVersion_IsSecretNotFound()
    {
        var path = $"apps/{TestEngine.NewSuffix()}/v";
        await PutAsync(path, new JsonObject { ["a"] = "b" });
        await (await Host.Admin.GetAsync(new Uri($"v1/secrets/{path}?version=7", UriKind.Relative)))
            .ShouldBeErrorAsync(HttpStatusCode.NotFound, "secret_not_found");
    }

    [Theory]
    [InlineData("v1/secrets/a/b?version=latest")]
    [InlineData("v1/secrets/a/b?version=0")]
    [InlineData("v1/secrets/a/b%20c")]
    [InlineData("v1/secrets/a/b*")]
    public async Task Get_BadPathOrVersion_IsInvalidRequest(string url) =>
        await (await Host.Admin.GetAsync(new Uri(url, UriKind.Relative))).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "invalid_request");

    [Fact]
    public async Task Put_DataNotAnObject_IsInvalidRequest()
    {
        var response = await Host.Admin.PutAsync(
            new Uri("v1/secrets/apps/bad", UriKind.Relative), JsonContent.Create(new JsonObject { ["data"] = "just a string" }));
        await response.ShouldBeErrorAsync(HttpStatusCode.BadRequest, "invalid_request");
    }

    private async Task<JsonNode> PutAsync(string path, JsonObject data, JsonObject? metadata = null, string? secretType = null)
    {
        var body = new JsonObject { ["data"] = data };
        if (metadata is not null)
        {
            body["metadata"] = metadata;
        }

        if (secretType is not null)
        {
            body["secret_type"] = secretType;
        }

        return await (await Host.Admin.PutAsync(new Uri($"v1/secrets/{path}", UriKind.Relative), JsonContent.Create(body))).ShouldBeAsync(HttpStatusCode.OK);
    }

    private static DateTimeOffset Time(JsonNode? node) => DateTimeOffset.Parse(node!.GetValue<string>(), CultureInfo.InvariantCulture);
}
