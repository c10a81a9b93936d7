using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LeaseAgent.Configuration;
using LeaseAgent.Status;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LeaseAgent.Diagnostics;

/// <summary>
/// <c>HEALTH_ADDRESS</c>: a minimal HTTP/1.1 server on exactly that address, one request per connection.
/// <list type="bullet">
/// <item><c>GET /healthz</c>: 200 <c>ok</c> while the status heartbeat is fresh and names this process (the same
/// check as <c>lease-agent probe live</c>), else 503 with the reason.</item>
/// <item><c>GET /readyz</c>: 200 while a probed credential is published (or <c>FAIL_OPEN</c> applies), else 503
/// with the state and the last error code.</item>
/// <item><c>GET /metrics</c>: the Prometheus text exposition of <see cref="LeaseMetrics"/>.</item>
/// </list>
/// A raw socket rather than <see cref="HttpListener"/>: it binds the address as given (HttpListener matches the
/// Host header against its prefixes and binds every interface for a wildcard), and costs ~30 KB of binary where
/// HttpListener costs ~260 KB. The port is bound in <see cref="StartAsync"/>, before the supervisor starts: a
/// port in use stops the agent with exit code 2 before it leases anything.
/// Slow or silent clients cannot starve probes: every connection is accepted at once, the request head must
/// arrive within <see cref="HeadTimeout"/> and the whole request within 5 s, and beyond
/// <see cref="MaxConnections"/> connections still waiting for their head, the oldest of those from the busiest
/// source address is closed.
/// </summary>
public sealed class HealthServer(
    HealthOptions options,
    StatusReporter status,
    LeaseMetrics metrics,
    TimeProvider time,
    ILogger<HealthServer> logger) : BackgroundService
{
    /// <summary>
    /// Connections served at once; each costs a socket and an 8 KiB head buffer, so memory stays about 1 MiB.
    /// Counted are connections still waiting for their request head; a new one beyond the cap evicts the oldest of
    /// them from the source address holding the most. A flood from one address cannot evict a probe from another,
    /// and once its head has arrived a probe cannot be evicted at all, however fast evicted clients reconnect.
    /// </summary>
    internal const int MaxConnections = 128;

    /// <summary>The request head must arrive within this; a kubelet or Prometheus sends it at once.</summary>
    internal static readonly TimeSpan HeadTimeout = TimeSpan.FromSeconds(1);

    /// <summary><see cref="HeadTimeout"/>, longer only in tests that must hold a connection open without racing it.</summary>
    internal TimeSpan HeadBudget { get; init; } = HeadTimeout;

    private const int MaxRequestHead = 8 * 1024;
    private const string TextPlain = "text/plain; charset=utf-8";
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);
    private static readonly byte[] EndOfHead = "\r\n\r\n"u8.ToArray();

    // Connections waiting for their request head, oldest first, with their source address (read once: a closed
    // socket no longer knows it). Guarded by its own lock: the accept loop adds and
    // evicts, each connection removes itself once its head has arrived or it ends.
    private readonly LinkedList<(Socket Socket, IPAddress From)> _connections = new();
    private Socket? _listener;

    /// <summary>Where the server listens once started (the real port when <c>HEALTH_ADDRESS</c> gave port 0).</summary>
    public IPEndPoint? LocalEndpoint { get; private set; }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var address = options.Address ?? throw new InvalidOperationException("HealthServer runs only when HEALTH_ADDRESS is set");
        var endpoint = Resolve(address);
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endpoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.Bind(endpoint);
            socket.Listen(64);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            Log.HealthBindFailed(logger, address, e.SocketErrorCode.ToString(), e.Message);
            var fix = e.SocketErrorCode == SocketError.AddressAlreadyInUse
                ? "another process holds that port; choose a free port"
                : "use an address of this host, e.g. 127.0.0.1:8099 or 0.0.0.0:8099";
            throw new ConfigurationException("HEALTH_ADDRESS", $"cannot listen on {address}: {e.Message}; {fix}");
        }

        _listener = socket;
        LocalEndpoint = (IPEndPoint)socket.LocalEndPoint!;
        Log.HealthListening(logger, LocalEndpoint.ToString());
        return base.StartAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _listener?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var listener = _listener!;
        while (!stoppingToken.IsCancellationRequested)
        {
            // Accept without waiting for a free slot: waiting let a few silent clients hold every slot while
            // probes queued in the listen backlog (security review, finding 7).
            Socket connection;
            try
            {
                connection = await listener.AcceptAsync(stoppingToken);
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                // Out of file descriptors and the like: say so, and do not spin.
                Log.HealthAcceptFailed(logger, e.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100), time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            _ = ServeAsync(connection, Admit(connection), stoppingToken);
        }
    }

    /// <summary>Registers a new connection, closing the oldest one when the server is at <see cref="MaxConnections"/>.</summary>
    private LinkedListNode<(Socket Socket, IPAddress From)> Admit(Socket connection)
    {
        (Socket Socket, IPAddress From)? evicted = null;
        LinkedListNode<(Socket Socket, IPAddress From)> node;
        lock (_connections)
        {
            if (_connections.Count >= MaxConnections)
            {
                var victim = OldestOfTheBusiestAddress();
                evicted = victim.Value;
                _connections.Remove(victim);
            }

            node = _connections.AddLast((connection, connection.RemoteEndPoint is IPEndPoint remote ? remote.Address : IPAddress.None));
        }

        if (evicted is var (socket, from))
        {
            // Disposing aborts its pending receive; its ServeAsync logs that and finds its node already removed.
            // The address is the one read on admission: the socket may be closing already.
            Log.HealthConnectionEvicted(logger, MaxConnections, from.ToString());
            socket.Dispose();
        }

        return node;
    }

    /// <summary>
    /// The connection to evict: the oldest one from the source address holding the most. Evicting the oldest of all
    /// let clients churning through reconnects evict a probe that a busy node had not yet let send its head; a
    /// kubelet probes from the node's address, so a flood from anywhere else never reaches its connections.
    /// </summary>
    private LinkedListNode<(Socket Socket, IPAddress From)> OldestOfTheBusiestAddress()
    {
        var counts = new Dictionary<IPAddress, int>();
        foreach (var (_, from) in _connections)
        {
            counts[from] = counts.GetValueOrDefault(from) + 1;
        }

        var busiest = counts.MaxBy(c => c.Value).Key;
        for (var node = _connections.First!; ; node = node.Next!)
        {
            if (node.Value.From.Equals(busiest))
            {
                return node;
            }
        }
    }

    private async Task ServeAsync(Socket connection, LinkedListNode<(Socket Socket, IPAddress From)> node, CancellationToken stoppingToken)
    {
        var remote = connection.RemoteEndPoint?.ToString();
        try
        {
            using (connection)
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                // Real time, not the injected TimeProvider: these budgets bound real peers on a real socket.
                var started = Stopwatch.GetTimestamp();
                timeout.CancelAfter(HeadBudget);
                var requestLine = await ReadRequestLineAsync(connection, timeout.Token);
                if (requestLine is null)
                {
                    return; // closed before a whole request head arrived
                }

                // Only connections still waiting for their head can be evicted: a probe whose head has arrived is
                // answered from memory within the request budget, whatever churn evicted clients cause meanwhile.
                Release(node);

                var left = RequestTimeout - Stopwatch.GetElapsedTime(started);
                timeout.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
                var response = await RespondAsync(requestLine, timeout.Token);
                await connection.SendAsync(response, SocketFlags.None, timeout.Token);
                connection.Shutdown(SocketShutdown.Both);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            Log.HealthRequestFailed(logger, remote, e.Message);
        }
        finally
        {
            Release(node);
        }
    }

    /// <summary>Takes a connection off the eviction list (once its head has arrived, or when it ends).</summary>
    private void Release(LinkedListNode<(Socket Socket, IPAddress From)> node)
    {
        lock (_connections)
        {
            if (node.List is not null)
            {
                _connections.Remove(node);
            }
        }
    }

    /// <summary>Reads up to the end of the request head (so that closing the socket does not reset it) and returns its first line.</summary>
    private static async Task<string?> ReadRequestLineAsync(Socket connection, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxRequestHead];
        var length = 0;
        while (true)
        {
            var end = buffer.AsSpan(0, length).IndexOf(EndOfHead);
            if (end >= 0)
            {
                var lineEnd = buffer.AsSpan(0, end).IndexOf("\r\n"u8);
                return Encoding.ASCII.GetString(buffer, 0, lineEnd < 0 ? end : lineEnd);
            }

            if (length == buffer.Length)
            {
                return string.Empty; // too large: answered 400
            }

            var read = await connection.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                return null;
            }

            length += read;
        }
    }

    private async Task<byte[]> RespondAsync(string requestLine, CancellationToken cancellationToken)
    {
        var parts = requestLine.Split(' ');
        if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            return Response(400, "Bad Request", TextPlain, "bad request\n"u8.ToArray(), head: false);
        }

        var (method, target) = (parts[0], parts[1]);
        var query = target.IndexOf('?', StringComparison.Ordinal);
        var path = query < 0 ? target : target[..query];
        var head = method == "HEAD";
        if (method != "GET" && !head)
        {
            return Response(405, "Method Not Allowed", TextPlain, "use GET or HEAD\n"u8.ToArray(), head: false, allow: true);
        }

        switch (path)
        {
            case "/healthz":
                var verdict = StatusCheck.Evaluate(status.FilePath, StatusCheck.DefaultMaxAge, time.GetUtcNow());
                return verdict.Live
                    ? Response(200, "OK", TextPlain, "ok\n"u8.ToArray(), head)
                    : Response(503, "Service Unavailable", TextPlain, Encoding.UTF8.GetBytes(verdict.Reason + "\n"), head);

            case "/readyz":
                var current = status.Current?.Status;
                return current switch
                {
                    { Ready: true } => Response(200, "OK", TextPlain, Encoding.UTF8.GetBytes($"ready: {StatusCheck.Describe(current)}\n"), head),
                    null => Response(503, "Service Unavailable", TextPlain, "not ready: starting\n"u8.ToArray(), head),
                    _ => Response(503, "Service Unavailable", TextPlain, Encoding.UTF8.GetBytes($"not ready: {StatusCheck.Describe(current)}\n"), head),
                };

            case "/metrics":
                using (var body = new MemoryStream())
                {
                    try
                    {
                        await metrics.WriteAsync(body, cancellationToken);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        Log.MetricsFailed(logger, e);
                        return Response(500, "Internal Server Error", TextPlain, "metrics failed\n"u8.ToArray(), head);
                    }

                    return Response(200, "OK", LeaseMetrics.ContentType, body.ToArray(), head);
                }

            default:
                return Response(404, "Not Found", TextPlain, "not found: use /healthz, /readyz or /metrics\n"u8.ToArray(), head);
        }
    }

    private static byte[] Response(int status, string reason, string contentType, byte[] body, bool head, bool allow = false)
    {
        var header = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {status} {reason}\r\n")
            .Append(CultureInfo.InvariantCulture, $"Content-Type: {contentType}\r\n")
            .Append(CultureInfo.InvariantCulture, $"Content-Length: {body.Length}\r\n")
            .Append("Cache-Control: no-store\r\n")
            .Append(allow ? "Allow: GET, HEAD\r\n" : string.Empty)
            .Append("Connection: close\r\n\r\n")
            .ToString();
        var bytes = Encoding.ASCII.GetBytes(header);
        return head ? bytes : [.. bytes, .. body];
    }

    /// <summary><c>127.0.0.1:8099</c>, <c>0.0.0.0:8099</c>, <c>[::]:8099</c> or <c>localhost:8099</c> (resolved, IPv4 first).</summary>
    private static IPEndPoint Resolve(string address)
    {
        var colon = address.LastIndexOf(':');
        var host = address[..colon].Trim('[', ']');
        var port = int.Parse(address[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture);
        if (host == "*")
        {
            return new IPEndPoint(IPAddress.Any, port);
        }

        if (IPAddress.TryParse(host, out var ip))
        {
            return new IPEndPoint(ip, port);
        }

        try
        {
            var addresses = Dns.GetHostAddresses(host);
            var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault();
            return chosen is not null
                ? new IPEndPoint(chosen, port)
                : throw new ConfigurationException("HEALTH_ADDRESS", $"'{host}' has no address; use an IP address, e.g. 127.0.0.1:{port}");
        }
        catch (SocketException e)
        {
            throw new ConfigurationException("HEALTH_ADDRESS", $"cannot resolve '{host}': {e.Message}; use an IP address, e.g. 127.0.0.1:{port}");
        }
    }
}
