using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Google.Protobuf;
using ScaiVault.CsiProvider.Tests.Infrastructure.DriverEmulation;
using ScaiVault.CsiProvider.V1Alpha1;

namespace ScaiVault.CsiProvider.Tests.Acceptance;

/// <summary>
/// The driver emulation against hand-made MountResponses: it must accept what driver v1.6.0 accepts, refuse what it
/// refuses with its messages, and write and read the mount the way its atomic writer and Secret sync do.
/// </summary>
public sealed class DriverEmulationTests : IDisposable
{
    private static readonly int DefaultMode = Convert.ToInt32("644", 8);

    private readonly string _target = Directory.CreateTempSubdirectory("sv-volume-").FullName;

    public void Dispose() => Directory.Delete(_target, recursive: true);

    private static MountResponse Response(params (string Path, string Contents, int Mode)[] files)
    {
        var response = new MountResponse();
        foreach (var (path, contents, mode) in files)
        {
            response.Files.Add(new V1Alpha1.File { Path = path, Mode = mode, Contents = ByteString.CopyFromUtf8(contents) });
            response.ObjectVersion.Add(new ObjectVersion { Id = path, Version = "1-0123abcd" });
        }

        return response;
    }

    private Dictionary<string, string> Read() =>
        MountedFiles.Get(_target).ToDictionary(f => f.Key, f => System.IO.File.ReadAllText(f.Value), StringComparer.Ordinal);

    [Fact]
    public void Handle_ProviderErrorCode_FailsWithTheDriversMessage()
    {
        var response = Response(("a", "x", DefaultMode));
        response.Error = new Error { Code = "BadThing" };

        var failure = Assert.Throws<DriverMountException>(() => MountContent.Handle(response, _target));

        Assert.Equal("mount request failed with provider error code BadThing", failure.Message);
        Assert.Equal("BadThing", failure.ErrorCode);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_target));
    }

    [Fact]
    public void Handle_EmptyErrorCode_IsNoError()
    {
        var response = Response(("a", "x", DefaultMode));
        response.Error = new Error();

        Assert.True(MountContent.Handle(response, _target).Write!.Written);
    }

    [Fact]
    public void Handle_NoObjectVersions_FailsWithMissingObjectVersions()
    {
        var response = Response(("a", "x", DefaultMode));
        response.ObjectVersion.Clear();

        var failure = Assert.Throws<DriverMountException>(() => MountContent.Handle(response, _target));

        Assert.Equal("missing object versions", failure.Message);
        Assert.Equal(DriverErrorCode.GrpcProviderError, failure.ErrorCode);
    }

    [Fact]
    public void Handle_NoFiles_IsTheDriversSilentEmptyMount()
    {
        var response = Response(("a", "x", DefaultMode));
        response.Files.Clear();

        var outcome = MountContent.Handle(response, _target);

        Assert.True(outcome.EmptyFilesMount);
        Assert.Null(outcome.Write);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_target));
    }

    [Fact]
    public void Handle_AboveOneMebibyte_WarnsAndStillWrites()
    {
        var outcome = MountContent.Handle(Response(("big", new string('x', MountContent.SizeWarningBytes + 1), DefaultMode)), _target);

        Assert.Equal([MountContent.SizeWarning], outcome.Warnings);
        Assert.Equal(MountContent.SizeWarningBytes + 1, Read()["big"].Length);
        Assert.Empty(MountContent.Handle(Response(("small", "x", DefaultMode)), _target).Warnings);
    }

    [Theory]
    [InlineData("", "invalid path: must not be empty: \"\"")]
    [InlineData("/etc/passwd", "invalid path: must be relative path: /etc/passwd")]
    [InlineData("..", "invalid path: must not contain '..': ..")]
    [InlineData("../escape", "invalid path: must not contain '..': ../escape")]
    [InlineData("a/../b", "invalid path: must not contain '..': a/../b")]
    [InlineData("..data/x", "invalid path: must not start with '..': ..data/x")]
    [InlineData("..hidden", "invalid path: must not start with '..': ..hidden")]
    [InlineData("./a", "invalid filepath: \"./a\"")]
    [InlineData("a/", "invalid filepath: \"a/\"")]
    [InlineData("a//b", "invalid filepath: \"a//b\"")]
    [InlineData("a/.", "invalid filepath: \"a/.\"")]
    [InlineData("a/./b", "invalid filepath: \"a/./b\"")]
    public void WritePayloads_PathTheDriverRefuses_FailsWithItsMessage_AndWritesNothing(string path, string message)
    {
        var failure = Assert.Throws<DriverMountException>(() => MountContent.Handle(Response(("ok", "x", DefaultMode), (path, "x", DefaultMode)), _target));

        Assert.Equal(message, failure.Message);
        Assert.Equal(DriverErrorCode.FileWriteError, failure.ErrorCode);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_target));
    }

    [Fact]
    public void ValidatePath_LengthLimits_AreInBytes()
    {
        DriverPaths.ValidatePath(new string('a', 255));
        DriverPaths.ValidatePath(string.Join('/', Enumerable.Repeat(new string('a', 255), 16)));

        Assert.Equal(
            "invalid path: filenames must be less than or equal to 255 characters",
            Assert.Throws<DriverMountException>(() => DriverPaths.ValidatePath(new string('a', 256))).Message);
        Assert.Throws<DriverMountException>(() => DriverPaths.ValidatePath(new string('é', 128))); // 256 bytes
        Assert.Equal(
            "invalid path: must be less than or equal to 4096 characters",
            Assert.Throws<DriverMountException>(() => DriverPaths.ValidatePath(string.Join('/', Enumerable.Repeat(new string('a', 255), 17)))).Message);
    }

    [Theory]
    [InlineData("db.json")]
    [InlineData("tls/tls.crt")]
    [InlineData("a..b")]
    [InlineData(".hidden")]
    [InlineData("dir/..notparent")]
    public void Validate_PathsTheDriverAccepts_Pass(string path) => DriverPaths.Validate([path]);

    [Theory]
    [InlineData("a//b/./c/", "a/b/c")]
    [InlineData("/../a", "/a")]
    [InlineData("../../a", "../../a")]
    [InlineData("a/b/../..", ".")]
    [InlineData("", ".")]
    public void Clean_IsGosFilepathClean(string path, string clean) => Assert.Equal(clean, DriverPaths.Clean(path));

    [Fact]
    public void Write_NestedPath_LinksTheTopLevelElementThroughData()
    {
        var outcome = MountContent.Handle(Response(("tls/tls.crt", "cert", DefaultMode), ("db.json", "{}", DefaultMode)), _target);

        Assert.True(outcome.Write!.Written);
        Assert.Equal(Path.Combine("..data", "tls"), new FileInfo(Path.Combine(_target, "tls")).LinkTarget);
        Assert.Equal(Path.Combine("..data", "db.json"), new FileInfo(Path.Combine(_target, "db.json")).LinkTarget);
        Assert.Equal(outcome.Write.DataDirectory, new FileInfo(Path.Combine(_target, "..data")).LinkTarget);
        Assert.Matches(@"^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\d+$", outcome.Write.DataDirectory);
        Assert.Equal(["db.json", "tls/tls.crt"], Read().Keys.Order(StringComparer.Ordinal));
        Assert.Equal("cert", System.IO.File.ReadAllText(Path.Combine(_target, "tls", "tls.crt")));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(256)] // 0400
    [InlineData(416)] // 0640
    [InlineData(420)] // 0644
    [InlineData(511)] // 0777, above any umask
    public void Write_AppliesTheModeExactly(int mode)
    {
        MountContent.Handle(Response(("f", "x", mode)), _target);

        Assert.Equal((UnixFileMode)mode, System.IO.File.GetUnixFileMode(MountedFiles.Get(_target)["f"]));
    }

    [Fact]
    public void Write_SameBytes_WritesNothing_EvenWhenOnlyTheModeChanged()
    {
        var first = MountContent.Handle(Response(("a", "x", DefaultMode), ("b/c", "y", DefaultMode)), _target);

        var same = MountContent.Handle(Response(("a", "x", DefaultMode), ("b/c", "y", DefaultMode)), _target);
        var modeOnly = MountContent.Handle(Response(("a", "x", 256), ("b/c", "y", DefaultMode)), _target);

        Assert.False(same.Write!.Written);
        Assert.False(modeOnly.Write!.Written);
        Assert.Equal(first.Write!.DataDirectory, modeOnly.Write.DataDirectory);
        Assert.Equal((UnixFileMode)DefaultMode, System.IO.File.GetUnixFileMode(MountedFiles.Get(_target)["a"]));
    }

    [Fact]
    public void Write_ChangedBytes_SwapsToANewDirectory_AndRemovesTheOldOne()
    {
        var first = MountContent.Handle(Response(("a", "x", DefaultMode), ("b", "y", DefaultMode)), _target);

        var second = MountContent.Handle(Response(("a", "x2", DefaultMode), ("b", "y", DefaultMode)), _target);

        Assert.True(second.Write!.Written);
        Assert.NotEqual(first.Write!.DataDirectory, second.Write.DataDirectory);
        Assert.False(Directory.Exists(Path.Combine(_target, first.Write.DataDirectory!)));
        Assert.Equal(new Dictionary<string, string> { ["a"] = "x2", ["b"] = "y" }, Read());
        Assert.Equal(
            new[] { "..data", "a", "b", second.Write.DataDirectory! }.Order(StringComparer.Ordinal),
            Directory.EnumerateFileSystemEntries(_target).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Write_PathNoLongerReturned_IsRemoved()
    {
        MountContent.Handle(Response(("a", "x", DefaultMode), ("gone", "y", DefaultMode), ("dir/nested", "z", DefaultMode)), _target);

        var second = MountContent.Handle(Response(("a", "x", DefaultMode)), _target);

        Assert.True(second.Write!.Written);
        Assert.Equal(["dir", "dir/nested", "gone"], second.Write.RemovedPaths);
        Assert.Equal(["a"], Read().Keys);
        Assert.False(Path.Exists(Path.Combine(_target, "gone")));
        Assert.Null(new FileInfo(Path.Combine(_target, "gone")).LinkTarget);
    }

    [Fact]
    public void WritePayloads_AFileAnOldProviderWroteItself_IsReplacedByTheWritersLink()
    {
        System.IO.File.WriteAllText(Path.Combine(_target, "a"), "written by the provider");

        MountContent.Handle(Response(("a", "from the driver", DefaultMode)), _target);

        Assert.NotNull(new FileInfo(Path.Combine(_target, "a")).LinkTarget);
        Assert.Equal("from the driver", Read()["a"]);
    }

    [Fact]
    public void MountedFiles_SkipsTheWritersEntries()
    {
        MountContent.Handle(Response(("a", "x", DefaultMode)), _target);

        Assert.Equal(["a"], MountedFiles.Get(_target).Keys);
        Assert.Equal(Path.Combine(_target, "..data", "a"), MountedFiles.Get(_target)["a"]);
    }

    [Fact]
    public void SecretData_IsTheFilesBytes_ByKey()
    {
        MountContent.Handle(Response(("db-password", "s3cr3t", DefaultMode), ("tls/ca.crt", "ca", DefaultMode)), _target);

        var data = SecretSync.SecretData(_target, new SecretObject("billing-db", "Opaque", [new("db-password", "password"), new(" tls/ca.crt ", "ca")]));

        Assert.Equal("s3cr3t", Encoding.UTF8.GetString(data["password"]));
        Assert.Equal("ca", Encoding.UTF8.GetString(data["ca"]));
    }

    [Fact]
    public void SecretData_ObjectNameNotMounted_FailsAsTheDriver()
    {
        MountContent.Handle(Response(("db-password", "s3cr3t", DefaultMode)), _target);

        var failure = Assert.Throws<SecretSyncException>(() =>
            SecretSync.SecretData(_target, new SecretObject("billing-db", "Opaque", [new("db.json", "config")])));

        Assert.Equal("file matching objectName db.json not found in the pod", failure.Message);
    }

    [Theory]
    [InlineData("", "Opaque", true, "secret name is empty")]
    [InlineData("s", "", true, "secret type is empty")]
    [InlineData("s", "Opaque", false, "data is empty")]
    public void SecretData_InvalidSecretObject_FailsValidation(string name, string type, bool withData, string message)
    {
        var failure = Assert.Throws<SecretSyncException>(() =>
            SecretSync.SecretData(_target, new SecretObject(name, type, withData ? [new("a", "b")] : [])));

        Assert.Equal(message, failure.Message);
    }

    [Theory]
    [InlineData(false, "RSA PRIVATE KEY")]
    [InlineData(true, "EC PRIVATE KEY")]
    public void SecretData_TlsType_SplitsThePemIntoCertificateAndKey(bool ec, string keyLabel)
    {
        var (certificatePem, keyPem) = SelfSigned(ec);
        MountContent.Handle(Response(("tls/bundle.pem", keyPem + "\n" + certificatePem, DefaultMode)), _target);

        var data = SecretSync.SecretData(_target, new SecretObject("billing-tls", SecretSync.TlsType, [new("tls/bundle.pem", "tls.crt"), new("tls/bundle.pem", "tls.key")]));

        var crt = Encoding.ASCII.GetString(data["tls.crt"]);
        var key = Encoding.ASCII.GetString(data["tls.key"]);
        Assert.Equal(certificatePem.ReplaceLineEndings("\n") + "\n", crt);
        Assert.StartsWith($"-----BEGIN {keyLabel}-----\n", key, StringComparison.Ordinal);
        using var pair = X509Certificate2.CreateFromPem(crt, key);
        Assert.True(pair.HasPrivateKey);
    }

    [Fact]
    public void SecretData_TlsType_OtherKey_IsRefused()
    {
        var (certificatePem, _) = SelfSigned(ec: false);
        MountContent.Handle(Response(("tls.pem", certificatePem, DefaultMode)), _target);

        var failure = Assert.Throws<SecretSyncException>(() =>
            SecretSync.SecretData(_target, new SecretObject("t", SecretSync.TlsType, [new("tls.pem", "ca.crt")])));

        Assert.Equal("key 'ca.crt' is not supported. Only 'tls.key' and 'tls.crt' are supported", failure.Message);
    }

    /// <summary>A self-signed certificate and its PKCS#8 key, as PEM.</summary>
    internal static (string Certificate, string Key) SelfSigned(bool ec)
    {
        using AsymmetricAlgorithm key = ec ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : RSA.Create(2048);
        var request = key is ECDsa ecdsa
            ? new CertificateRequest("CN=billing.example", ecdsa, HashAlgorithmName.SHA256)
            : new CertificateRequest("CN=billing.example", (RSA)key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }
}
