using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Grpc.Core;
using ScaiVault.Client;
using ScaiVault.CsiProvider.Tests.Infrastructure;
using ScaiVault.CsiProvider.V1Alpha1;

namespace ScaiVault.CsiProvider.Tests.Mounting;

/// <summary>
/// Mount served for real (brief §7.2, §8): the provider in process, called over its Unix socket as the driver calls
/// it, reading from a real emulator over the test Postgres.
/// </summary>
public sealed partial class SecretMounterTests : IAsyncLifetime
{
    private const string DatabasePath = "apps/billing/database";
    private const string Password = "sentinel-password-Zq81";
    private static readonly byte[] Certificate = [0x30, 0x82, 0x00, 0xff, 0x10, 0x0a];

    private CsiEmulator _emulator = null!;
    private InProcessProvider _provider = null!;
    private (string Jwt, DateTimeOffset ExpiresAt) _token;

    public async Task InitializeAsync()
    {
        _emulator = await CsiEmulator.StartAsync();
        _provider = await InProcessProvider.StartAsync(_emulator.BaseAddress);
        _token = await _emulator.MintAsync();
        await _emulator.PutSecretAsync(DatabasePath, new Dictionary<string, object>
        {
            ["username"] = "billing",
            ["password"] = Password,
            ["port"] = 5432,
            ["certificate"] = Convert.ToBase64String(Certificate),
            ["certificate_hex"] = Convert.ToHexString(Certificate),
        });
    }

    public async Task DisposeAsync()
    {
        await _provider.DisposeAsync();
        await _emulator.DisposeAsync();
    }

    [Fact]
    public async Task Mount_WholeStringNumberAndBase64Objects_ReturnsTheFilesLeaseAgentInitWrites()
    {
        var response = await _provider.Driver.MountAsync(MountRequests.ForPod(_token, $"""
            - objectName: db.json
              path: {DatabasePath}
            - objectName: db-password
              path: {DatabasePath}
              field: password
              mode: "0640"
            - objectName: port
              path: {DatabasePath}
              field: port
            - objectName: tls/cert.der
              path: {DatabasePath}
              field: certificate
              encoding: base64
            """));

        var data = (await _emulator.ReadSecretAsync(DatabasePath))["data"]!.ToJsonString();
        var agent = new SecretValue(DatabasePath, 1, Encoding.UTF8.GetBytes(data)); // what lease-agent init renders
        Assert.Equal(["db.json", "db-password", "port", "tls/cert.der"], response.Files.Select(f => f.Path));
        Assert.Equal(agent.Render(null), response.Files[0].Contents.ToByteArray());
        Assert.Equal(Password, response.Files[1].Contents.ToStringUtf8());
        Assert.Equal(agent.Render("password"), response.Files[1].Contents.ToByteArray());
        Assert.Equal("5432", response.Files[2].Contents.ToStringUtf8());
        Assert.Equal(Certificate, response.Files[3].Contents.ToByteArray());
        Assert.Equal([420, 416, 420, 420], response.Files.Select(f => f.Mode));
        Assert.Equal(response.Files.Select(f => f.Path), response.ObjectVersion.Select(v => v.Id));
        Assert.All(response.ObjectVersion, v => Assert.Matches(VersionFormat(), v.Version));
        Assert.All(response.ObjectVersion, v => Assert.StartsWith("1-", v.Version, StringComparison.Ordinal));
        Assert.Equal(4, response.ObjectVersion.Select(v => v.Version).Distinct().Count()); // each object's own config
        Assert.True(string.IsNullOrEmpty(response.Error?.Code));
        Assert.Equal(1, _emulator.Count("GET", "/v1/secrets/" + DatabasePath));
        Assert.Equal(1, _emulator.Exchanges);
    }

    [GeneratedRegex("^[0-9]+-[0-9a-f]{8}$")]
    private static partial Regex VersionFormat();

    private static string Objects(params (string Name, string Path, string? Extra)[] objects) =>
        string.Concat(objects.Select(o => $"- objectName: {o.Name}\n  path: {o.Path}\n" + (o.Extra is null ? "" : $"  {o.Extra}\n")));
}
