using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Npgsql;

namespace LeaseAgent.Testing;

/// <summary>
/// A throwaway Postgres from the machine's server binaries: a fresh cluster in a temp directory, on a free loopback
/// port, scram-sha-256 for TCP logins, a random superuser password. <c>.ci/postgres.sh</c> does the work (as root it
/// runs the server as the <c>postgres</c> OS user), so CI, the samples and the tests start servers one way.
/// When the test process ends, however it ends, the script's <c>reap</c> stops the server and removes its directory.
/// </summary>
public sealed class LocalPostgresServer : IAsyncDisposable
{
    /// <summary>Names the directory of <c>initdb</c> and <c>pg_ctl</c> instead of searching for one (a directory without them: none).</summary>
    public const string BinariesVariable = "LEASEAGENT_TEST_POSTGRES_BINARIES";

    private const string DirectoryPrefix = "leaseagent-test-pg-";

    private readonly string _directory;
    private int _disposed;

    private LocalPostgresServer(string directory, string adminConnectionString, string password)
    {
        _directory = directory;
        AdminConnectionString = adminConnectionString;
        Password = password;
    }

    /// <summary>Superuser connection string to the maintenance database (no pooling: a server restart must not leave dead connections behind).</summary>
    public string AdminConnectionString { get; }

    /// <summary>The superuser's password, for the callers that record every secret of a run.</summary>
    public string Password { get; }

    /// <summary>The temp directory that holds the cluster, its log and nothing else.</summary>
    public string Directory => _directory;

    /// <summary>Whether <c>.ci/postgres.sh</c> finds server binaries here (it never installs any when asked this).</summary>
    public static async Task<bool> BinariesAvailableAsync()
    {
        try
        {
            await RunScriptAsync(["bindir"]);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    public static async Task<LocalPostgresServer> StartAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), DirectoryPrefix + Guid.NewGuid().ToString("N")[..12]);
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var port = FreeLoopbackPort();

        // Not an exit handler: the test host gets killed moments after its last test, before one could remove the cluster.
        using var reaper = Process.Start(Script(["reap", directory, Environment.ProcessId.ToString(CultureInfo.InvariantCulture)], null, redirect: false))!;
        var initial = await RunScriptAsync(["start", directory, port.ToString(CultureInfo.InvariantCulture)], password);
        var admin = new NpgsqlConnectionStringBuilder(initial.Trim()) { Password = password, Pooling = false }.ConnectionString;
        return new LocalPostgresServer(directory, admin, password);
    }

    /// <summary>Fast shutdown: sessions end, the server refuses connections until <see cref="ResumeAsync"/>.</summary>
    public Task StopServerAsync() => RunScriptAsync(["stop", _directory]);

    public Task ResumeAsync() => RunScriptAsync(["resume", _directory]);

    /// <summary>Stops the server and removes its directory now, before the process ends.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await StopServerAsync();
            System.IO.Directory.Delete(_directory, recursive: true);
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static ProcessStartInfo Script(IEnumerable<string> args, string? password, bool redirect = true)
    {
        var start = new ProcessStartInfo(Path.Combine(RepositoryRoot.Path, ".ci", "postgres.sh"), args)
        {
            RedirectStandardOutput = redirect,
            RedirectStandardError = redirect,
            UseShellExecute = false,
        };
        if (password is not null)
        {
            start.Environment["PG_SUPERUSER_PASSWORD"] = password; // the environment, not the command line, which ps shows
        }

        return start;
    }

    private static async Task<string> RunScriptAsync(string[] args, string? password = null)
    {
        using var process = Process.Start(Script(args, password))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return process.ExitCode == 0
            ? await stdout
            : throw new InvalidOperationException($".ci/postgres.sh {args[0]} failed with {process.ExitCode}: {await stderr}");
    }
}
