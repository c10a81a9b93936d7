using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace LeaseAgent.Tests.ScaiVault;

/// <summary>
/// A real HTTP/1.1 server on 127.0.0.1, over TLS when given a certificate: a <see cref="TcpListener"/> and, for
/// TLS, an <see cref="SslStream"/>, answering each connection's one request by hand. Kestrel needs the Web SDK
/// and <c>HttpListener</c> cannot serve TLS, and both would hide the handshake this exists to test.
/// </summary>
public sealed class TinyHttpServer : LoopbackTcpServer
{
    private readonly X509Certificate2? _certificate;
    private readonly Func<string, (int Status, string Body)> _respond;
    private readonly IReadOnlyDictionary<string, string> _headers;
    private readonly List<string> _requests = [];
    private int _abortedConnections;

    private TinyHttpServer(X509Certificate2? certificate, Func<string, (int Status, string Body)> respond, IReadOnlyDictionary<string, string>? headers)
    {
        _certificate = certificate;
        _respond = respond;
        _headers = headers ?? new Dictionary<string, string>();
        Listen();
    }

    public Uri BaseAddress => new($"{(_certificate is null ? "http" : "https")}://127.0.0.1:{Port}/");

    /// <summary>Every request received in full: request line, headers and body.</summary>
    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>
    /// Connections that ended before a whole request arrived: the TLS handshake failed, or (TLS 1.3, where the
    /// server finishes first) the client refused our certificate right after it and sent its alert instead.
    /// </summary>
    public int AbortedConnections => Volatile.Read(ref _abortedConnections);

    /// <param name="respond">From the whole request text to the status and JSON body of the answer.</param>
    /// <param name="headers">Sent with every answer besides the usual ones, e.g. <c>Location</c> or <c>Retry-After</c>.</param>
    public static TinyHttpServer Start(X509Certificate2? certificate, Func<string, (int Status, string Body)> respond, IReadOnlyDictionary<string, string>? headers = null) =>
        new(certificate, respond, headers);

    protected override async Task ServeAsync(TcpClient client, CancellationToken budget)
    {
        Stream stream = client.GetStream();
        try
        {
            string request;
            try
            {
                if (_certificate is not null)
                {
                    var tls = new SslStream(stream);
                    stream = tls;
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, budget);
                }

                request = await ReadRequestAsync(stream, budget);
            }
            catch (Exception e) when (e is AuthenticationException or IOException)
            {
                Interlocked.Increment(ref _abortedConnections);
                return;
            }

            lock (_requests)
            {
                _requests.Add(request);
            }

            var (status, body) = _respond(request);
            var payload = Encoding.UTF8.GetBytes(body);
            var extra = string.Concat(_headers.Select(h => $"{h.Key}: {h.Value}\r\n"));
            var head = $"HTTP/1.1 {status} {(status < 400 ? "OK" : "Error")}\r\nContent-Type: application/json\r\nContent-Length: {payload.Length}\r\n{extra}Connection: close\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head), budget);
            await stream.WriteAsync(payload, budget);
            await stream.FlushAsync(budget);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
        {
            // The client went away; the test's assertions say whether that was expected.
        }
        finally
        {
            await stream.DisposeAsync();
        }
    }

    /// <summary>Reads the head up to the blank line, then the body: Content-Length bytes, or chunks (JsonContent has no length).</summary>
    private static async Task<string> ReadRequestAsync(Stream stream, CancellationToken cancellationToken)
    {
        var head = await ReadLineAsync(stream, cancellationToken, untilBlankLine: true);
        var headers = head.Split("\r\n");
        var body = new List<byte>();
        if (headers.Any(line => line.Equals("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase)))
        {
            while (true)
            {
                var size = int.Parse(await ReadLineAsync(stream, cancellationToken), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
                var chunk = new byte[size + 2]; // the chunk and its CRLF
                await stream.ReadExactlyAsync(chunk, cancellationToken);
                if (size == 0)
                {
                    break;
                }

                body.AddRange(chunk[..size]);
            }
        }
        else
        {
            var length = headers
                .Where(line => line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                .Select(line => int.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture))
                .FirstOrDefault();
            var bytes = new byte[length];
            await stream.ReadExactlyAsync(bytes, cancellationToken);
            body.AddRange(bytes);
        }

        return head + Encoding.UTF8.GetString([.. body]);
    }

    /// <summary>One CRLF-terminated line (without it), or with <paramref name="untilBlankLine"/> the whole head (with them).</summary>
    private static async Task<string> ReadLineAsync(Stream stream, CancellationToken cancellationToken, bool untilBlankLine = false)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (!(untilBlankLine ? EndsWithBlankLine(buffer) : buffer is [.., (byte)'\r', (byte)'\n']))
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                throw new IOException("the client closed the connection mid-request");
            }

            buffer.Add(one[0]);
        }

        var text = Encoding.ASCII.GetString([.. buffer]);
        return untilBlankLine ? text : text[..^2];
    }

    private static bool EndsWithBlankLine(List<byte> buffer) =>
        buffer.Count >= 4 && buffer[^4] == '\r' && buffer[^3] == '\n' && buffer[^2] == '\r' && buffer[^1] == '\n';
}
