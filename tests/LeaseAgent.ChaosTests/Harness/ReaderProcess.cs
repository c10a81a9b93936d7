using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace LeaseAgent.ChaosTests.Harness;

/// <summary>Runs <see cref="ReaderProgram"/> as a separate process against a pod's credential file.</summary>
public sealed class ReaderProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;

    private ReaderProcess(Process process)
    {
        _process = process;
        _stdout = process.StandardOutput.ReadToEndAsync();
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public static ReaderProcess Start(string file, UnixFileMode mode)
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path && File.Exists(path) ? path : "dotnet";
        var start = new ProcessStartInfo(host, ["exec", typeof(ReaderProgram).Assembly.Location, "hammer", file, Convert.ToString((int)mode, 8)])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        return new ReaderProcess(Process.Start(start)!);
    }

    /// <summary>Closes the reader's input, which stops it, and returns its report.</summary>
    public async Task<ReaderReport> StopAsync()
    {
        _process.StandardInput.Close();
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var output = await _stdout;
        if (_process.ExitCode != 0)
        {
            var error = await _stderr;
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"the reader exited with {_process.ExitCode}: {error}"));
        }

        return JsonSerializer.Deserialize<ReaderReport>(output.Trim().Split('\n')[^1])!;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
