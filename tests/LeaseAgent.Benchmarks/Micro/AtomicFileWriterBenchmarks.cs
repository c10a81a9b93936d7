using BenchmarkDotNet.Attributes;
using LeaseAgent.Publishing;

namespace LeaseAgent.Benchmarks.Micro;

/// <summary>
/// One atomic publish of a credential-sized file: exclusive temp file, flushed to disk (fsync), renamed. The
/// fsync dominates, so the figure says as much about the disk as about the code.
/// </summary>
[MemoryDiagnoser]
public class AtomicFileWriterBenchmarks
{
    private const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly byte[] _content = new byte[620];
    private DirectoryInfo _directory = null!;
    private string _path = null!;

    [GlobalSetup]
    public void Setup()
    {
        Random.Shared.NextBytes(_content);
        _directory = Directory.CreateTempSubdirectory("lease-agent-micro-");
        _path = Path.Combine(_directory.FullName, "db.json");
    }

    [GlobalCleanup]
    public void Cleanup() => _directory.Delete(recursive: true);

    [Benchmark]
    public void Write() => AtomicFileWriter.Write(_path, _content, Mode);
}
