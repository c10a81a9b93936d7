using System.Globalization;
using System.Text.Json.Nodes;

namespace ReportingService.Tests.Support;

/// <summary>
/// Writes the credential document as lease-agent publishes it: every field of the <c>json</c> format, into
/// an exclusive temp file in the same directory that is flushed and then renamed over the target (rename(2),
/// so a reader never sees a partial file and a watch on the old file would die).
/// </summary>
public static class CredentialFile
{
    public static Task PublishAsync(string path, ReportingDatabase database, TestUser user, int generation, Action<JsonObject>? edit = null) =>
        ReplaceAsync(path, Document(database, user, generation, edit));

    /// <summary>The document lease-agent would publish for <paramref name="user"/>; <paramref name="edit"/> spoils it on purpose.</summary>
    public static string Document(ReportingDatabase database, TestUser user, int generation, Action<JsonObject>? edit = null) =>
        Document(database.Host, database.Port, database.Name, user, generation, edit);

    public static string Document(string host, int port, string databaseName, TestUser user, int generation, Action<JsonObject>? edit = null)
    {
        var issued = DateTimeOffset.UtcNow;
        var expires = issued.AddMinutes(10);
        var document = new JsonObject
        {
            ["username"] = user.Name,
            ["password"] = user.Password,
            ["host"] = host,
            ["port"] = port,
            ["database"] = databaseName,
            ["sslmode"] = "disable",
            ["connection_string"] = $"Host={host};Port={port};Database={databaseName};Username={user.Name};Password={user.Password};SSL Mode=Disable",
            ["uri"] = $"postgresql://{user.Name}:{user.Password}@{host}:{port}/{databaseName}?sslmode=disable",
            ["lease_id"] = $"dyn_test_{user.Name}",
            ["lease_duration_seconds"] = 600,
            ["renewable"] = true,
            ["issued_at"] = issued.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["expires_at"] = expires.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["generation"] = generation,
        };
        edit?.Invoke(document);
        return document.ToJsonString();
    }

    /// <summary>Atomically replaces the file with exactly <paramref name="content"/> (which may be invalid on purpose).</summary>
    public static async Task ReplaceAsync(string path, string content)
    {
        var temp = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        {
            await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(content));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true); // rename(2)
    }
}
