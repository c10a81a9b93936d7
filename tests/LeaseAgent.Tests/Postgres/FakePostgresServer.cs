using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LeaseAgent.Tests.Postgres;

/// <summary>How <see cref="FakePostgresServer"/> asks for the password.</summary>
public enum FakeAuthRequest
{
    /// <summary>AuthenticationCleartextPassword (<c>R</c>, code 3): the password itself comes back.</summary>
    Cleartext = 3,

    /// <summary>AuthenticationMD5Password (<c>R</c>, code 5, 4-byte salt): an offline-crackable hash comes back.</summary>
    Md5 = 5,
}

/// <summary>
/// A spoofed Postgres, as a man in the middle or a hijacked <c>DB_HOST</c> would be: it refuses TLS (answers
/// <c>N</c> to the SSLRequest), reads the StartupMessage, asks for the password the weak way, and records whether
/// a PasswordMessage (<c>p</c>) arrives. It never lets anyone in.
/// </summary>
public sealed class FakePostgresServer : LoopbackTcpServer
{
    private const int SslRequestCode = 80877103;
    private const int GssEncRequestCode = 80877104;

    private readonly FakeAuthRequest _auth;
    private readonly ConcurrentQueue<string> _passwords = new();
    private readonly ConcurrentQueue<string> _startupUsers = new();
    private int _sslRequests;

    private FakePostgresServer(FakeAuthRequest auth)
    {
        _auth = auth;
        Listen();
    }

    /// <summary>SSLRequests refused with <c>N</c>.</summary>
    public int SslRequests => Volatile.Read(ref _sslRequests);

    /// <summary>The user of every StartupMessage: each was answered with the weak authentication request.</summary>
    public IReadOnlyCollection<string> StartupUsers => _startupUsers;

    /// <summary>The content of every PasswordMessage: the cleartext password, or <c>md5…</c> for MD5.</summary>
    public IReadOnlyCollection<string> Passwords => _passwords;

    public static FakePostgresServer Start(FakeAuthRequest auth) => new(auth);

    protected override async Task ServeAsync(TcpClient client, CancellationToken budget)
    {
        var stream = client.GetStream();
        try
        {
            // Untyped messages first: SSLRequest / GSSENCRequest (refused), then the StartupMessage.
            while (true)
            {
                var length = BinaryPrimitives.ReadInt32BigEndian(await ReadAsync(stream, 4, budget));
                var payload = await ReadAsync(stream, length - 4, budget);
                var code = BinaryPrimitives.ReadInt32BigEndian(payload);
                if (code is SslRequestCode or GssEncRequestCode)
                {
                    if (code == SslRequestCode)
                    {
                        Interlocked.Increment(ref _sslRequests);
                    }

                    await stream.WriteAsync("N"u8.ToArray(), budget);
                    continue;
                }

                _startupUsers.Enqueue(StartupParameter(payload, "user"));
                break;
            }

            await stream.WriteAsync(AuthenticationRequest(), budget);

            // The next message is a PasswordMessage, or nothing: the client hangs up.
            var type = (await ReadAsync(stream, 1, budget))[0];
            var messageLength = BinaryPrimitives.ReadInt32BigEndian(await ReadAsync(stream, 4, budget));
            var body = await ReadAsync(stream, messageLength - 4, budget);
            if (type == (byte)'p')
            {
                _passwords.Enqueue(Encoding.UTF8.GetString(body).TrimEnd('\0'));
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException or EndOfStreamException)
        {
            // The client went away; what it sent before is what the tests look at.
        }
    }

    private byte[] AuthenticationRequest()
    {
        var salt = _auth == FakeAuthRequest.Md5 ? new byte[] { 1, 2, 3, 4 } : [];
        var message = new byte[1 + 4 + 4 + salt.Length];
        message[0] = (byte)'R';
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(1), 8 + salt.Length);
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(5), (int)_auth);
        salt.CopyTo(message, 9);
        return message;
    }

    /// <summary>The StartupMessage's parameters follow the protocol version: NUL-terminated name/value pairs.</summary>
    private static string StartupParameter(byte[] payload, string name)
    {
        var fields = Encoding.UTF8.GetString(payload, 4, payload.Length - 4).Split('\0');
        for (var i = 0; i + 1 < fields.Length; i += 2)
        {
            if (fields[i] == name)
            {
                return fields[i + 1];
            }
        }

        return string.Empty;
    }

    private static async Task<byte[]> ReadAsync(NetworkStream stream, int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer, cancellationToken);
        return buffer;
    }
}
