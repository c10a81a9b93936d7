using System.Net;
using System.Net.Sockets;

namespace LeaseAgent.Tests;

/// <summary>
/// A hand-written peer on 127.0.0.1 (an HTTP server, a Postgres impostor): accepts every connection and serves
/// each on its own, within a 10 s budget, until disposed. Subclasses say what one connection gets.
/// </summary>
public abstract class LoopbackTcpServer : IAsyncDisposable
{
    private static readonly TimeSpan ConnectionBudget = TimeSpan.FromSeconds(10);

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
            // Stopping is the point.
        }

        _stop.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Starts listening; called by the subclass's constructor once its own fields are set.</summary>
    protected void Listen()
    {
        _listener.Start();
        _loop = AcceptLoopAsync();
    }

    /// <summary>Serves one connection; the client is disposed afterwards. <paramref name="budget"/> ends with the connection's budget or the server.</summary>
    protected abstract Task ServeAsync(TcpClient client, CancellationToken budget);

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = ServeWithinBudgetAsync(client);
        }
    }

    private async Task ServeWithinBudgetAsync(TcpClient client)
    {
        using (client)
        {
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            budget.CancelAfter(ConnectionBudget);
            await ServeAsync(client, budget.Token);
        }
    }
}
