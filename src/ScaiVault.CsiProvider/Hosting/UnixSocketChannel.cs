using System.Net.Sockets;
using Grpc.Net.Client;

namespace ScaiVault.CsiProvider.Hosting;

/// <summary>
/// A gRPC channel to a Unix socket, dialled as the driver dials its providers: authority <c>localhost</c>, no TLS,
/// HTTP/2 prior knowledge (what <c>http://</c> means to <see cref="GrpcChannel"/>).
/// </summary>
public static class UnixSocketChannel
{
    public static GrpcChannel Create(string socketPath, Action<GrpcChannelOptions>? configure = null)
    {
        var options = new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { ConnectCallback = (_, cancellationToken) => ConnectAsync(socketPath, cancellationToken) },
        };
        configure?.Invoke(options);
        return GrpcChannel.ForAddress("http://localhost", options);
    }

    private static async ValueTask<Stream> ConnectAsync(string socketPath, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
