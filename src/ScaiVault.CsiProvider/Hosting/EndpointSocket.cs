using System.Net.Sockets;
using ScaiVault.CsiProvider.Configuration;
using ScaiVault.Hosting.Configuration;

namespace ScaiVault.CsiProvider.Hosting;

/// <summary>What <see cref="EndpointSocket.Prepare"/> found at the endpoint.</summary>
public enum EndpointState
{
    /// <summary>Nothing: the path is free to bind.</summary>
    Free,

    /// <summary>A socket nobody answers on, left by a provider that was killed; it was removed.</summary>
    StaleRemoved,
}

/// <summary>Another process answers on the endpoint: this provider must not take its socket.</summary>
public sealed class EndpointInUseException(string endpoint)
    : Exception($"ENDPOINT: something already answers on {endpoint} (another scaivault-csi-provider?); stop it first, or use another --endpoint")
{
    public string Endpoint { get; } = endpoint;
}

/// <summary>
/// Makes the endpoint bindable. Kestrel removes its socket on a graceful stop, but a SIGKILLed provider leaves the
/// file behind and the next bind fails with "address already in use"; the driver, meanwhile, keeps dialling the
/// path. So an existing socket is dialled first: if nothing answers it is stale and removed, and if something
/// answers, a live provider owns it and this one refuses to start.
/// </summary>
public static class EndpointSocket
{
    /// <summary>How long a live but busy server (its accept backlog full) may take to accept the check's connection.</summary>
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(2);

    public static EndpointState Prepare(string endpoint)
    {
        var directory = Path.GetDirectoryName(endpoint)!;
        if (!Directory.Exists(directory))
        {
            throw new ConfigurationException("ENDPOINT", $"the directory {directory} does not exist; mount the driver's providers directory (hostPath /var/run/secrets-store-csi-providers) there");
        }

        if (Directory.Exists(endpoint))
        {
            throw new ConfigurationException("ENDPOINT", $"{endpoint} is a directory; name the socket file, e.g. {ProviderConfiguration.DefaultEndpoint}");
        }

        if (!File.Exists(endpoint))
        {
            return EndpointState.Free;
        }

        if (Answers(endpoint))
        {
            throw new EndpointInUseException(endpoint);
        }

        File.Delete(endpoint);
        return EndpointState.StaleRemoved;
    }

    /// <summary>Whether a connect succeeds (or is still pending, as on a live server too busy to accept at once).</summary>
    private static bool Answers(string endpoint)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        using var timeout = new CancellationTokenSource(ConnectTimeout);
        try
        {
            socket.ConnectAsync(new UnixDomainSocketEndPoint(endpoint), timeout.Token).AsTask().GetAwaiter().GetResult();
            return true;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
        catch (SocketException)
        {
            return false; // ECONNREFUSED: a socket file without a listener
        }
    }
}
