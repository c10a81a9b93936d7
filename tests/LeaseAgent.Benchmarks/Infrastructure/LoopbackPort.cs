using System.Net;
using System.Net.Sockets;

namespace LeaseAgent.Benchmarks.Infrastructure;

/// <summary>A loopback port free a moment ago, for an agent's <c>HEALTH_ADDRESS</c>.</summary>
public static class LoopbackPort
{
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
