using System.Net;
using System.Net.Sockets;

namespace LeaseAgent.ChaosTests.Harness;

public static class LoopbackPort
{
    /// <summary>A loopback port that was free a moment ago, for a server that must keep its port across restarts.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
