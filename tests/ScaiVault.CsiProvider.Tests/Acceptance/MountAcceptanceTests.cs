using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using ScaiVault.CsiProvider.Tests.Infrastructure.DriverEmulation;

namespace ScaiVault.CsiProvider.Tests.Acceptance;

/// <summary>
/// The brief's §8 acceptance checks 5, 6, 7 and 10–14: kubelet-shaped Mounts of the published AOT provider against a
/// real emulator over real Postgres, each answer handled as driver v1.6.0 handles it (path checks, atomic writer,
/// Secret sync).
/// </summary>
public sealed class MountAcceptanceTests(AcceptanceWorld world) : IClassFixture<AcceptanceWorld>
{
    private const int DefaultMode = 420; // 0644, the driver's permission
    private const int Mode0640 = 416;

    private static readonly byte[] Binary = [0x00, 0xff, 0x10, 0x80, 0x7f, 0x0a, 0x0d, 0xc3, 0x28];

    private static JsonObject Database(string password) => new()
    {
        ["username"] = "billing",
        ["password"] = password,
        ["port"] = 5432,
        ["blob"] = Convert.ToBase64String(Binary),
    };

    private static string Object(string objectName, string path, string? field = null, string? mode = null, string? version = null, string? encoding = null)
    {
        var yaml = new StringBuilder($"- objectName: {objectName}\n  path: {path}\n");
        foreach (var (key, value) in new[] { ("field", field), ("mode", mode), ("version", version), ("encoding", encoding) })
        {
            if (value is not null)
            {
                yaml.Append($"  {key}: \"{value}\"\n");
            }
        }

        return yaml.ToString();
    }

    private static string Text(IReadOnlyDictionary<string, byte[]> files, string name) => Encoding.UTF8.GetString(files[name]);

    /// <summary>The ScaiVault-version part of an object version (<c>&lt;version&gt;-&lt;config hash&gt;</c>, brief §6.2).</summary>
    private static string ScaiVaultPart(string version) => version.Split('-')[0];

    [Theory] // check 5
    [InlineData(ProviderHostKind.InProcess)]
    [InlineData(ProviderHostKind.Aot)]
    public async Task Mount_WholeStringNumberAndBase64Objects_FourFilesByteIdenticalToLeaseAgentInit(ProviderHostKind host)
    {
        var path = AcceptanceWorld.NewPath("database");
        await world.PutSecretAsync(path, Database("p@ss-" + Guid.NewGuid().ToString("N")));
        using var volume = await world.NewVolumeAsync(host);
        var request = await world.RequestAsync(
            Object("db.json", path) + Object("db-password", path, field: "password", mode: "0640")
            + Object("db-port", path, field: "port") + Object("blob.bin", path, field: "blob", encoding: "base64"));

        var response = await (await world.DriverAsync(host)).MountAsync(request);
        var outcome = MountContent.Handle(response, volume.TargetPath);

        string[] names = ["blob.bin", "db-password", "db-port", "db.json"];
        Assert.False(outcome.EmptyFilesMount);
        Assert.Equal(names, response.Files.Select(f => f.Path).Order(StringComparer.Ordinal));
        Assert.Equal(names, response.ObjectVersion.Select(v => v.Id).Order(StringComparer.Ordinal));
        Assert.All(response.ObjectVersion, v => Assert.False(string.IsNullOrEmpty(v.Version), $"{v.Id} has no version"));
        Assert.All(response.Files, f => Assert.Equal(f.Path == "db-password" ? Mode0640 : DefaultMode, f.Mode));
        Assert.Equal((UnixFileMode)Mode0640, volume.ModeOf("db-password"));
        Assert.Equal((UnixFileMode)DefaultMode, volume.ModeOf("db.json"));

        var mounted = volume.ReadFiles();
        var init = await LeaseAgentInit.WriteAsync(world, new Dictionary<string, string>
        {
            ["db.json"] = path,
            ["db-password"] = path + "#password",
            ["db-port"] = path + "#port",
            ["blob.b64"] = path + "#blob",
        });
        Assert.Equal(init["db.json"], mounted["db.json"]);
        Assert.Equal(init["db-password"], mounted["db-password"]);
        Assert.Equal(init["db-port"], mounted["db-port"]);
        Assert.Equal("5432", Text(mounted, "db-port"));
        Assert.Equal(Convert.FromBase64String(Encoding.UTF8.GetString(init["blob.b64"])), mounted["blob.bin"]);
        Assert.Equal(Binary, mounted["blob.bin"]);
    }

    [Fact] // check 6
    public async Task Mount_NestedObjectName_PassesTheDriversPathRules_AndMountsThroughTheAtomicWriter()
    {
        var path = AcceptanceWorld.NewPath("certs");
        var (certificate, key) = DriverEmulationTests.SelfSigned(ec: false);
        await world.PutSecretAsync(path, new JsonObject { ["certificate"] = certificate, ["key"] = key });
        using var volume = await world.NewVolumeAsync();
        var request = await world.RequestAsync(Object("tls/tls.crt", path, field: "certificate") + Object("tls/tls.key", path, field: "key", mode: "0400"));

        var response = await world.InProcess.Driver.MountAsync(request);
        DriverPaths.Validate(response.Files.Select(f => f.Path));
        var outcome = MountContent.Handle(response, volume.TargetPath);

        Assert.True(outcome.Write!.Written);
        Assert.Equal(["tls/tls.crt", "tls/tls.key"], MountedFiles.Get(volume.TargetPath).Keys.Order(StringComparer.Ordinal));
        Assert.Equal(Path.Combine(AtomicWriter.DataDirName, "tls"), new FileInfo(Path.Combine(volume.TargetPath, "tls")).LinkTarget);
        Assert.Equal(certificate, Text(volume.ReadFiles(), "tls/tls.crt"));
        Assert.Equal((UnixFileMode)Convert.ToInt32("400", 8), volume.ModeOf("tls/tls.key"));
    }

    /// <summary>Names the driver's writer refuses (atomic_writer.go validatePath, writer.go Validate), by why.</summary>
    public static TheoryData<string> NamesTheDriverRefuses => new()
    {
        "/etc/passwd",
        "../escape",
        "a/../b",
        "..data/x",
        "..hidden",
        "./a",
        "a/",
        "a//b",
        "a/./b",
        new string('a', 256),
        string.Join('/', Enumerable.Repeat(new string('a', 255), 17)),
    };

    /// <summary>2,175 characters but 4,334 bytes: the driver's 4096 limit is Go's <c>len</c>, in bytes.</summary>
    public static readonly string LongInBytesOnly = string.Join('/', Enumerable.Repeat(new string('é', 127), 17));

    [Theory] // check 6, from the other side
    [MemberData(nameof(NamesTheDriverRefuses))]
    public async Task Mount_ObjectNameTheDriverWouldRefuse_IsInvalidArgument_NeverAResponseTheDriverFails(string objectName)
    {
        Assert.Throws<DriverMountException>(() => DriverPaths.Validate([objectName])); // the premise
        var path = AcceptanceWorld.NewPath("database");
        await world.PutSecretAsync(path, Database("p-" + Guid.NewGuid().ToString("N")));
        using var volume = await world.NewVolumeAsync();

        var failure = await Assert.ThrowsAsync<DriverMountException>(async () =>
            await volume.MountAsync(await world.RequestAsync($"- objectName: '{objectName}'\n  path: {path}\n")));

        Assert.True(failure.ErrorCode == DriverErrorCode.GrpcProviderError, $"the provider answered, and the driver failed to write it: {failure.Message}");
        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, Assert.IsType<Grpc.Core.RpcException>(failure.InnerException).StatusCode);
    }

    [Fact] // check 6: the driver counts bytes
    public Task Mount_ObjectNameLongerThanTheDriversLimitInBytesOnly_IsInvalidArgument() =>
        Mount_ObjectNameTheDriverWouldRefuse_IsInvalidArgument_NeverAResponseTheDriverFails(LongInBytesOnly);

    [Theory] // check 6
    [InlineData(".hidden")]
    [InlineData("a..b")]
    [InlineData("dir/..notparent")]
    [InlineData("deep/er/still/file.txt")]
    public async Task Mount_ObjectNameTheDriverAccepts_MountsThroughTheWriter(string objectName)
    {
        var path = AcceptanceWorld.NewPath("database");
        await world.PutSecretAsync(path, Database("p-" + Guid.NewGuid().ToString("N")));
        using var volume = await world.NewVolumeAsync();

        var outcome = await volume.MountAsync(await world.RequestAsync($"- objectName: '{objectName}'\n  path: {path}\n  field: username\n"));

        Assert.True(outcome.Write!.Written);
        Assert.Equal("billing", Text(volume.ReadFiles(), objectName));
    }

    [Fact] // check 7
    public async Task SecretObjects_FromTheMount_OpaqueEqualsTheFile_TlsSplits_AndAnUnreturnedObjectNameIsNotFound()
    {
        var path = AcceptanceWorld.NewPath("billing");
        var (certificate, key) = DriverEmulationTests.SelfSigned(ec: true);
        var password = "pw-" + Guid.NewGuid().ToString("N");
        await world.PutSecretAsync(path, new JsonObject { ["password"] = password, ["bundle"] = key + "\n" + certificate + "\n" });
        using var volume = await world.NewVolumeAsync();
        await volume.MountAsync(await world.RequestAsync(Object("db-password", path, field: "password") + Object("tls/bundle.pem", path, field: "bundle")));

        var opaque = volume.SyncSecret(new SecretObject("billing-db", "Opaque", [new("db-password", "password")]));
        var tls = volume.SyncSecret(new SecretObject("billing-tls", SecretSync.TlsType, [new("tls/bundle.pem", SecretSync.TlsCertKey), new("tls/bundle.pem", SecretSync.TlsPrivateKeyKey)]));
        var missing = Assert.Throws<SecretSyncException>(() => volume.SyncSecret(new SecretObject("billing-config", "Opaque", [new("db.json", "config")])));

        Assert.Equal(volume.ReadFiles()["db-password"], opaque["password"]);
        Assert.Equal(password, Encoding.UTF8.GetString(opaque["password"]));
        using (var pair = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(tls[SecretSync.TlsCertKey]), Encoding.ASCII.GetString(tls[SecretSync.TlsPrivateKeyKey])))
        {
            Assert.True(pair.HasPrivateKey);
            Assert.Equal("CN=billing.example", pair.Subject);
        }

        Assert.Equal("file matching objectName db.json not found in the pod", missing.Message);
    }

    [Theory] // check 10
    [InlineData(ProviderHostKind.InProcess)]
    [InlineData(ProviderHostKind.Aot)]
    public async Task Mount_Twice_WithoutAChange_SameVersionsAndBytes_AndTheWriterWritesNothing(ProviderHostKind host)
    {
        var path = AcceptanceWorld.NewPath("database");
        await world.PutSecretAsync(path, Database("p-" + Guid.NewGuid().ToString("N")));
        using var volume = await world.NewVolumeAsync(host);
        var objects = Object("db.json", path) + Object("db-password", path, field: "password");
        var podUid = Guid.NewGuid().ToString();

        var first = await volume.MountAsync(await world.RequestAsync(objects, podUid));
        var firstFiles = volume.ReadFiles();
        var second = await volume.MountAsync(await world.RequestAsync(objects, podUid)); // a republish: a fresh token

        Assert.True(first.Write!.Written);
        Assert.Equal(first.ObjectVersions, second.ObjectVersions);
        Assert.False(second.Write!.Written, "the second mount changed bytes the driver would rewrite");
        Assert.Equal(first.Write.DataDirectory, second.Write.DataDirectory);
        Assert.Equal(firstFiles, volume.ReadFiles());
    }

    [Fact] // check 11
    public async Task Mount_AfterANewSecretVersion_ChangesOnlyItsObjectsVersions_AndTheSyncedSecretFollows()
    {
        var changed = AcceptanceWorld.NewPath("database");
        var unchanged = AcceptanceWorld.NewPath("other");
        await world.PutSecretAsync(changed, Database("old-" + Guid.NewGuid().ToString("N")));
        await world.PutSecretAsync(unchanged, new JsonObject { ["token"] = "t-" + Guid.NewGuid().ToString("N") });
        using var volume = await world.NewVolumeAsync();
        var objects = Object("db.json", changed) + Object("db-password", changed, field: "password") + Object("other.json", unchanged);
        var secretObject = new SecretObject("billing-db", "Opaque", [new("db-password", "password")]);
        var before = await volume.MountAsync(await world.RequestAsync(objects));

        var newPassword = "new-" + Guid.NewGuid().ToString("N");
        await world.PutSecretAsync(changed, Database(newPassword));
        var after = await volume.MountAsync(await world.RequestAsync(objects));

        Assert.NotEqual(before.ObjectVersions["db.json"], after.ObjectVersions["db.json"]);
        Assert.NotEqual(before.ObjectVersions["db-password"], after.ObjectVersions["db-password"]);
        Assert.Equal(before.ObjectVersions["other.json"], after.ObjectVersions["other.json"]);
        Assert.True(after.Write!.Written);
        Assert.Equal(newPassword, Text(volume.ReadFiles(), "db-password"));
        Assert.Contains(newPassword, Text(volume.ReadFiles(), "db.json"), StringComparison.Ordinal);
        Assert.Equal(newPassword, Encoding.UTF8.GetString(volume.SyncSecret(secretObject)["password"]));
    }

    [Theory] // check 12
    [InlineData("field")]
    [InlineData("mode")]
    public async Task Mount_AfterOnlyAnObjectsFieldOrModeChanged_ChangesItsVersion_NotTheScaiVaultVersion(string change)
    {
        var path = AcceptanceWorld.NewPath("database");
        await world.PutSecretAsync(path, Database("p-" + Guid.NewGuid().ToString("N")));
        var scaiVaultVersion = await world.SecretVersionAsync(path);
        using var volume = await world.NewVolumeAsync();
        var other = Object("db.json", path);
        var before = await volume.MountAsync(await world.RequestAsync(other + Object("item", path, field: "username", mode: "0640")));

        var edited = change == "field" ? Object("item", path, field: "password", mode: "0640") : Object("item", path, field: "username", mode: "0600");
        var after = await volume.MountAsync(await world.RequestAsync(other + edited));

        Assert.NotEqual(before.ObjectVersions["item"], after.ObjectVersions["item"]);
        Assert.Equal(before.ObjectVersions["db.json"], after.ObjectVersions["db.json"]);
        Assert.Equal(scaiVaultVersion, await world.SecretVersionAsync(path));
        Assert.Equal(ScaiVaultPart(before.ObjectVersions["item"]), ScaiVaultPart(after.ObjectVersions["item"]));
        Assert.Equal(scaiVaultVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), ScaiVaultPart(after.ObjectVersions["item"]));

        // The driver's writer compares bytes only: a mode-only change is not applied until the content changes (brief §9).
        Assert.Equal(change == "field", after.Write!.Written);
    }

    [Fact] // check 13
    public async Task Mount_PinnedVersion_NeverChangesAcrossASecretUpdate()
    {
        var path = AcceptanceWorld.NewPath("database");
        var oldPassword = "v1-" + Guid.NewGuid().ToString("N");
        await world.PutSecretAsync(path, Database(oldPassword));
        var pinned = await world.SecretVersionAsync(path);
        using var volume = await world.NewVolumeAsync();
        var objects = Object("db-password", path, field: "password", version: pinned.ToString(System.Globalization.CultureInfo.InvariantCulture)) + Object("current", path, field: "password");
        var before = await volume.MountAsync(await world.RequestAsync(objects));

        await world.PutSecretAsync(path, Database("v2-" + Guid.NewGuid().ToString("N")));
        var after = await volume.MountAsync(await world.RequestAsync(objects));

        Assert.Equal(before.ObjectVersions["db-password"], after.ObjectVersions["db-password"]);
        Assert.NotEqual(before.ObjectVersions["current"], after.ObjectVersions["current"]);
        Assert.Equal(oldPassword, Text(volume.ReadFiles(), "db-password"));
    }

    [Fact] // check 14
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "SHA-1 is what a careless provider might put in a version; the test looks for it.")]
    public async Task Mount_Versions_CarryNoHashOfTheContents()
    {
        var path = AcceptanceWorld.NewPath("database");
        await world.PutSecretAsync(path, Database("p-" + Guid.NewGuid().ToString("N")));
        var request = await world.RequestAsync(Object("db.json", path) + Object("db-password", path, field: "password") + Object("blob.bin", path, field: "blob", encoding: "base64"));

        var response = await world.InProcess.Driver.MountAsync(request);

        Assert.Equal(3, response.Files.Count);
        foreach (var file in response.Files)
        {
            var version = response.ObjectVersion.Single(v => v.Id == file.Path).Version;
            var contents = file.Contents.ToByteArray();
            foreach (var hash in new[] { Convert.ToHexString(SHA256.HashData(contents)), Convert.ToHexString(SHA1.HashData(contents)) })
            {
                // Not the hash, nor the 8-character prefix a version might shorten it to, in either case.
                Assert.DoesNotContain(hash[..8], version, StringComparison.OrdinalIgnoreCase);
            }
        }
    }
}
