using LeaseAgent.Testing;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;
using ScaiVault.Emulator.Tests.Infrastructure;
using Xunit;

namespace ScaiVault.Emulator.Tests.Dynamic;

public class EngineTests(EmulatorFixture fixture) : IClassFixture<EmulatorFixture>
{
    private ScaiVaultEmulator Host => fixture.Host;

    [Fact]
    public async Task Create_WorkingConfig_Is201_AndReadable()
    {
        var engine = await TestEngine.CreateAsync(Host);
        var json = await (await Host.Admin.GetAsync(new Uri($"v1/dynamic/engines/{engine.Name}", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(engine.Name, json["name"]!.GetValue<string>());
        Assert.Equal("database", json["type"]!.GetValue<string>());
        Assert.Equal("postgresql", json["config"]!["plugin"]!.GetValue<string>());
        Assert.Equal(engine.RootSecretPath, json["config"]!["root_credentials_path"]!.GetValue<string>());
        Assert.Equal(3600, json["default_ttl"]!.GetValue<int>());
        Assert.Equal(86400, json["max_ttl"]!.GetValue<int>());

        var health = await (await Host.Admin.GetAsync(new Uri($"v1/dynamic/engines/{engine.Name}/health", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal("healthy", health["status"]!.GetValue<string>());
    }

    [PasswordCheckingFact]
    public async Task Create_WrongRootPassword_IsInvalidConfig_WithoutEchoingThePassword()
    {
        var engine = await TestEngine.CreateAsync(Host);
        var wrongPassword = "wrong-" + TestEngine.NewSuffix();
        var badPath = $"infra/{engine.Suffix}/bad-root";
        await WriteRootAsync(badPath, new NpgsqlConnectionStringBuilder(Host.StateDatabase).Username!, wrongPassword);

        var response = await Host.Admin.PostAsync(
            new Uri("v1/dynamic/engines", UriKind.Relative), JsonContent.Create(engine.EngineBody(name: engine.Name + "-bad", rootPath: badPath)));
        var body = await response.Content.ReadAsStringAsync();
        var error = await response.ShouldBeErrorAsync(HttpStatusCode.BadRequest, "invalid_config");
        Assert.Contains("connection test failed", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain(wrongPassword, body, StringComparison.Ordinal);
        await (await Host.Admin.GetAsync(new Uri($"v1/dynamic/engines/{engine.Name}-bad", UriKind.Relative)))
            .ShouldBeErrorAsync(HttpStatusCode.NotFound, "engine_not_found");
    }

    [Fact]
    public async Task Create_UnreachableHost_IsInvalidConfig()
    {
        var engine = await TestEngine.CreateAsync(Host);
        var response = await Host.Admin.PostAsync(
            new Uri("v1/dynamic/engines", UriKind.Relative),
            JsonContent.Create(engine.EngineBody(name: engine.Name + "-nowhere", connectionUrl: "postgresql://{{username}}:{{password}}@127.0.0.1:1/db")));
        await response.ShouldBeErrorAsync(HttpStatusCode.BadRequest, "invalid_config");
    }

    [Theory]
    [InlineData("mysql", "postgresql://{{username}}:{{password}}@127.0.0.1/db", "infra/x/root")]
    [InlineData("postgresql", "postgresql://root:secret@127.0.0.1/db", "infra/x/root")]
    [InlineData("postgresql", "postgresql://{{username}}:{{password}}@127.0.0.1/db?bogus=1", "infra/x/root")]
    [InlineData("postgresql", "postgresql://{{username}}:{{password}}@127.0.0.1/db", "infra/missing/root")]
    public async Task Create_BadConfig_IsInvalidConfig(string plugin, string url, string rootPath)
    {
        var body = new JsonObject
        {
            ["name"] = "cfg-" + TestEngine.NewSuffix(),
            ["type"] = "database",
            ["config"] = new JsonObject { ["plugin"] = plugin, ["connection_url"] = url, ["root_credentials_path"] = rootPath },
        };
        var response = await Host.Admin.PostAsync(new Uri("v1/dynamic/engines", UriKind.Relative), JsonContent.Create(body));
        await response.ShouldBeErrorAsync(HttpStatusCode.BadRequest, "invalid_config");
    }

    [Fact]
    public async Task Create_BadName_IsValidationError()
    {
        var engine = await TestEngine.CreateAsync(Host);
        var response = await Host.Admin.PostAsync(new Uri("v1/dynamic/engines", UriKind.Relative), JsonContent.Create(engine.EngineBody(name: "Bad Name!")));
        await response.ShouldBeErrorAsync(HttpStatusCode.UnprocessableEntity, "validation_error");
    }

    [Fact]
    public async Task Create_Duplicate_IsConflict()
    {
        var engine = await TestEngine.CreateAsync(Host);
        var response = await Host.Admin.PostAsync(new Uri("v1/dynamic/engines", UriKind.Relative), JsonContent.Create(engine.EngineBody()));
        await response.ShouldBeErrorAsync(HttpStatusCode.Conflict, "engine_exists");
    }

    [Fact]
    public async Task Create_DefaultTtlAboveMax_IsInvalidDuration()
    {
        var engine = await TestEngine.CreateAsync(Host);
        var body = engine.EngineBody(name: engine.Name + "-ttl", maxTtl: "10m");
        var response = await Host.Admin.PostAsync(new Uri("v1/dynamic/engines", UriKind.Relative), JsonContent.Create(body));
        await response.ShouldBeErrorAsync(HttpStatusCode.BadRequest, "invalid_duration");
    }

    [PasswordCheckingFact]
    public async Task Patch_FixesRotatedRootCredentials_AndHealthFollows()
    {
        var engine = await TestEngine.CreateAsync(Host);
        var user = new NpgsqlConnectionStringBuilder(Host.StateDatabase).Username!;
        await WriteRootAsync(engine.RootSecretPath, user, "rotated-away");
        var broken = await (await Host.Admin.GetAsync(new Uri($"v1/dynamic/engines/{engine.Name}/health", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal("unhealthy", broken["status"]!.GetValue<string>());
        Assert.DoesNotContain("rotated-away", broken.ToJsonString(), StringComparison.Ordinal);

        var goodPath = $"infra/{engine.Suffix}/root-v2";
        await WriteRootAsync(goodPath, user, new NpgsqlConnectionStringBuilder(Host.StateDatabase).Password!);
        var patched = await Host.Admin.PatchAsync(
            new Uri($"v1/dynamic/engines/{engine.Name}", UriKind.Relative),
            JsonContent.Create(new JsonObject { ["config"] = new JsonObject { ["root_credentials_path"] = goodPath }, ["max_ttl"] = "12h" }));
        var json = await patched.ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(goodPath, json["config"]!["root_credentials_path"]!.GetValue<string>());
        Assert.Equal(43200, json["max_ttl"]!.GetValue<int>());

        var healthy = await (await Host.Admin.GetAsync(new Uri($"v1/dynamic/engines/{engine.Name}/health", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal("healthy", healthy["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Patch_BrokenUrl_IsInvalidConfig_AndChangesNothing()
    {
        var engine = await TestEngine.CreateAsync(Host);
        var response = await Host.Admin.PatchAsync(
            new Uri($"v1/dynamic/engines/{engine.Name}", UriKind.Relative),
            JsonContent.Create(new JsonObject { ["config"] = new JsonObject { ["connection_url"] = "postgresql://{{username}}:{{password}}@127.0.0.1:1/x" } }));
        await response.ShouldBeErrorAsync(HttpStatusCode.BadRequest, "invalid_config");
        var json = await (await Host.Admin.GetAsync(new Uri($"v1/dynamic/engines/{engine.Name}", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(TestEngine.ConnectionUrl(Host.StateDatabase), json["config"]!["connection_url"]!.GetValue<string>());
    }

    [Fact]
    public async Task Get_UnknownEngine_IsEngineNotFound() =>
        await (await Host.Admin.GetAsync(new Uri("v1/dynamic/engines/nope", UriKind.Relative))).ShouldBeErrorAsync(HttpStatusCode.NotFound, "engine_not_found");

    [Fact]
    public async Task Role_Create_AppliesDefaultsAndIsReadable()
    {
        var engine = await TestEngine.CreateAsync(Host);
        var response = await Host.Admin.PostAsync(
            new Uri($"v1/dynamic/engines/{engine.Name}/roles", UriKind.Relative),
            JsonContent.Create(new JsonObject { ["name"] = "readonly", ["creation_statements"] = new JsonArray(engine.CreationStatement) }));
        await response.ShouldBeAsync(HttpStatusCode.Created);

        var role = await (await Host.Admin.GetAsync(new Uri($"v1/dynamic/engines/{engine.Name}/roles/readonly", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(3600, role["default_ttl"]!.GetValue<int>());
        Assert.Equal(86400, role["max_ttl"]!.GetValue<int>());
        Assert.Contains("NOLOGIN", role["revocation_statements"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("VALID UNTIL '{{expiration}}'", role["renew_statements"]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Role_MaxTtlAboveEngineMax_IsCapped()
    {
        var engine = await TestEngine.CreateAsync(Host, maxTtl: "2h");
        await engine.AddRoleAsync("wide", defaultTtl: "3h", maxTtl: "48h");
        var role = await (await Host.Admin.GetAsync(new Uri($"v1/dynamic/engines/{engine.Name}/roles/wide", UriKind.Relative))).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(7200, role["max_ttl"]!.GetValue<int>());
        Assert.Equal(7200, role["default_ttl"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("Read-Only", "CREATE ROLE \"{{name}}\"", null)]
    [InlineData("ok", "CREATE ROLE \"{{nme}}\"", null)]
    [InlineData("ok", "CREATE ROLE \"{{name}}\"", "ALTER ROLE \"{{name}}\" PASSWORD '{{password}}'")]
    [InlineData("ok", "", null)]
    public async Task Role_Invalid_IsInvalidRole(string name, string creation, string? revocation)
    {
        var engine = await TestEngine.CreateAsync(Host);
        var body = new JsonObject { ["name"] = name, ["creation_statements"] = new JsonArray(creation) };
        if (revocation is not null)
        {
            body["revocation_statements"] = new JsonArray(revocation);
        }

        var response = await Host.Admin.PostAsync(new Uri($"v1/dynamic/engines/{engine.Name}/roles", UriKind.Relative), JsonContent.Create(body));
        await response.ShouldBeErrorAsync(HttpStatusCode.BadRequest, "invalid_role");
    }

    [Fact]
    public async Task Role_Duplicate_IsConflict()
    {
        var engine = await TestEngine.CreateAsync(Host);
        await engine.AddRoleAsync("app");
        var response = await Host.Admin.PostAsync(
            new Uri($"v1/dynamic/engines/{engine.Name}/roles", UriKind.Relative),
            JsonContent.Create(new JsonObject { ["name"] = "app", ["creation_statements"] = new JsonArray(engine.CreationStatement) }));
        await response.ShouldBeErrorAsync(HttpStatusCode.Conflict, "role_exists");
    }

    [Fact]
    public async Task Role_UnknownEngineOrRole_IsNotFound()
    {
        var engine = await TestEngine.CreateAsync(Host);
        await (await Host.Admin.PostAsync(
                new Uri("v1/dynamic/engines/nope/roles", UriKind.Relative),
                JsonContent.Create(new JsonObject { ["name"] = "app", ["creation_statements"] = new JsonArray("SELECT 1") })))
            .ShouldBeErrorAsync(HttpStatusCode.NotFound, "engine_not_found");
        await (await Host.Admin.GetAsync(new Uri($"v1/dynamic/engines/{engine.Name}/roles/nope", UriKind.Relative)))
            .ShouldBeErrorAsync(HttpStatusCode.NotFound, "role_not_found");
    }

    private async Task WriteRootAsync(string path, string username, string password) =>
        await (await Host.Admin.PutAsync(
                new Uri($"v1/secrets/{path}", UriKind.Relative),
                JsonContent.Create(new JsonObject { ["data"] = new JsonObject { ["username"] = username, ["password"] = password } })))
            .ShouldBeAsync(HttpStatusCode.OK);
}
