using LeaseAgent.Configuration;
using LeaseAgent.ScaiVault;
using Npgsql;

namespace LeaseAgent.Postgres;

/// <summary>
/// One unpooled connection of the agent's own, logged in as a credential, with a data source of its own that is
/// disposed with it. Never <c>new NpgsqlConnection(connectionString)</c>: Npgsql keeps a data source per distinct
/// connection string in a process-wide cache for the life of the process, and every credential brings a password
/// never seen before, so each rotation left one behind (about 100 KiB of live heap per rotation, figure 10 of
/// <c>docs/benchmarks.md</c>; ADR 0021).
/// </summary>
internal sealed class CredentialConnection : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;

    private CredentialConnection(NpgsqlDataSource dataSource, NpgsqlConnection connection)
    {
        _dataSource = dataSource;
        Connection = connection;
    }

    public NpgsqlConnection Connection { get; }

    public static async Task<CredentialConnection> OpenAsync(DatabaseOptions database, DatabaseCredential credential, CancellationToken cancellationToken)
    {
        // The slim builder: the probe and the session count read a name and a bigint, and TLS is all they need
        // beyond that. The full one also enables Kerberos, whose libraries (~0.9 MiB resident) Npgsql then loads at
        // the first connection, and builds every type resolver there is, once per credential.
        var builder = new NpgsqlSlimDataSourceBuilder(CredentialProbe.ConnectionString(database, credential, forProbe: true))
            .EnableTransportSecurity();
        if (database.RequireAuth.Any(method => method is "gss" or "sspi"))
        {
            builder.EnableIntegratedSecurity();
        }

        var dataSource = builder.Build();
        try
        {
            return new CredentialConnection(dataSource, await dataSource.OpenConnectionAsync(cancellationToken));
        }
        catch
        {
            await dataSource.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync();
        await _dataSource.DisposeAsync();
    }
}
