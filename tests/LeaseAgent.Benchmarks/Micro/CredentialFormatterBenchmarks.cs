using BenchmarkDotNet.Attributes;
using LeaseAgent.Configuration;
using LeaseAgent.Publishing;
using LeaseAgent.ScaiVault;

namespace LeaseAgent.Benchmarks.Micro;

/// <summary>Building the published document from a grant, and rendering it in each <c>OUTPUT_FORMAT</c>.</summary>
[MemoryDiagnoser]
public class CredentialFormatterBenchmarks
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);

    private readonly DatabaseOptions _database = new() { Host = "db.internal", Port = 5432, Name = "reporting", SslMode = "require" };
    private readonly DatabaseCredential _credential = new("v_readonly_8f3k2abcd", "Xq7-Lm2pR9sT4vW8yZ1aB5cD6eF0gH3j");
    private readonly LeaseGrant _grant = new()
    {
        LeaseId = "dyn_4c1f0b7e9a2d4e6f8a1b3c5d7e9f0a2b",
        Duration = TimeSpan.FromHours(1),
        TimeToHardEnd = TimeSpan.FromHours(24),
        Renewable = true,
        IssuedAt = Now,
        ExpiresAt = Now.AddHours(1),
    };

    private CredentialDocument _document = null!;

    [GlobalSetup]
    public void Setup() => _document = CreateDocument();

    /// <summary>Includes the connection string (NpgsqlConnectionStringBuilder) and the URI.</summary>
    [Benchmark]
    public CredentialDocument CreateDocument() => CredentialFormatter.CreateDocument(_database, _credential, _grant, 3, Now);

    [Benchmark]
    public byte[] RenderJson() => CredentialFormatter.Render(_document, OutputFormat.Json);

    [Benchmark]
    public byte[] RenderEnv() => CredentialFormatter.Render(_document, OutputFormat.Env);

    [Benchmark]
    public byte[] RenderPgpass() => CredentialFormatter.Render(_document, OutputFormat.Pgpass);

    [Benchmark]
    public byte[] RenderUri() => CredentialFormatter.Render(_document, OutputFormat.Uri);
}
