namespace ScaiVault.CsiProvider.Tests.Infrastructure;

/// <summary>
/// A fresh directory for one test's socket, directly under <c>/tmp</c>: a Unix socket path may have at most 107
/// bytes, which a test runner's nested temp directories can exceed.
/// </summary>
public sealed class SocketDirectory : IDisposable
{
    public SocketDirectory()
    {
        Path = Directory.CreateTempSubdirectory("sv-").FullName;
        if (System.Text.Encoding.UTF8.GetByteCount(Socket) > 107)
        {
            throw new InvalidOperationException($"{Socket} is longer than a Unix socket path may be; set TMPDIR to a shorter directory");
        }
    }

    public string Path { get; }

    /// <summary>Where the driver would dial the provider named <c>scaivault</c>.</summary>
    public string Socket => System.IO.Path.Combine(Path, "scaivault.sock");

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
