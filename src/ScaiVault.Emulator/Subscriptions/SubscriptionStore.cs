using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using ScaiVault.Emulator.Auth;

namespace ScaiVault.Emulator.Subscriptions;

/// <summary>
/// Subscriptions and their event queues in the state schema. Each event is stored once per
/// subscription it matched (<c>subscription_events</c>); a poll claims due rows by moving their
/// <c>visible_at</c> one redelivery timeout ahead, an ack sets <c>acked_at</c>.
/// </summary>
internal sealed class SubscriptionStore(NpgsqlDataSource db)
{
    private const string Columns = "id, identity_id, name, paths, event_types, delivery_type, created_at";

    public async Task InsertAsync(Subscription subscription, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand($"INSERT INTO scaivault.subscriptions ({Columns}) VALUES ($1, $2, $3, $4, $5, $6, $7)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subscription.Id });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subscription.IdentityId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subscription.Name });
        command.Parameters.Add(TextArray([.. subscription.Paths]));
        command.Parameters.Add(TextArray([.. subscription.EventTypes]));
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subscription.DeliveryType });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = subscription.CreatedAt });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<Subscription?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand($"SELECT {Columns} FROM scaivault.subscriptions WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>Deletes the subscription and its queue; false when there was none.</summary>
    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("DELETE FROM scaivault.subscriptions WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    /// <summary>
    /// Queues the events for every subscription that wants them, inside the caller's transaction
    /// (the secret write), so that an event exists exactly when the version it reports does.
    /// </summary>
    /// <returns>The subscriptions that got at least one event: the ones to wake after the commit.</returns>
    public static async Task<IReadOnlySet<string>> EnqueueAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<SecretEvent> events, CancellationToken cancellationToken)
    {
        var candidates = new List<Subscription>();

        // FOR KEY SHARE: a subscription deleted meanwhile waits for this write instead of breaking its foreign key.
        await using (var select = new NpgsqlCommand(
            $"SELECT {Columns} FROM scaivault.subscriptions WHERE event_types && $1 FOR KEY SHARE", connection, transaction))
        {
            select.Parameters.Add(TextArray([.. events.Select(e => e.Type).Distinct()]));
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                candidates.Add(Read(reader));
            }
        }

        var notified = new HashSet<string>(StringComparer.Ordinal);
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var secretEvent in events)
        {
            foreach (var subscription in candidates.Where(s => s.Wants(secretEvent.Type, secretEvent.Path)))
            {
                batch.BatchCommands.Add(InsertEvent(subscription.Id, secretEvent));
                notified.Add(subscription.Id);
            }
        }

        if (batch.BatchCommands.Count > 0)
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        return notified;
    }

    /// <summary>Where the event stands in the subscription's order (acked events included); null when the subscription never had it.</summary>
    public async Task<long?> PositionOfAsync(string subscriptionId, string eventId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT seq FROM scaivault.subscription_events WHERE subscription_id = $1 AND event_id = $2");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subscriptionId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = eventId });
        return await command.ExecuteScalarAsync(cancellationToken) is long seq ? seq : null;
    }

    /// <summary>
    /// Hands out up to <paramref name="limit"/> due events after position <paramref name="after"/>, oldest first, and
    /// hides them until <paramref name="hiddenUntil"/>: unless acked by then, a later poll delivers them again.
    /// Concurrent polls of one subscription never get the same event (SKIP LOCKED).
    /// </summary>
    public async Task<ClaimedEvents> ClaimAsync(
        string subscriptionId, DateTimeOffset now, DateTimeOffset hiddenUntil, int limit, long after, CancellationToken cancellationToken)
    {
        // One implicit transaction: the second statement sees the first one's claims as no longer due.
        await using var batch = db.CreateBatch();
        var claim = new NpgsqlBatchCommand(
            """
            WITH due AS (
                SELECT subscription_id, event_id FROM scaivault.subscription_events
                WHERE subscription_id = $1 AND acked_at IS NULL AND visible_at <= $2 AND seq > $5
                ORDER BY seq
                LIMIT $4
                FOR UPDATE SKIP LOCKED
            )
            UPDATE scaivault.subscription_events e
            SET visible_at = $3, delivery_count = e.delivery_count + 1, last_delivered_at = $2
            FROM due
            WHERE e.subscription_id = due.subscription_id AND e.event_id = due.event_id
            RETURNING e.seq, e.event_id, e.event_type, e.occurred_at, e.tenant_id, e.identity_id, e.path, e.data::text, e.request_id
            """);
        claim.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subscriptionId });
        claim.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        claim.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = hiddenUntil });
        claim.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        claim.Parameters.Add(new NpgsqlParameter<long> { TypedValue = after });
        batch.BatchCommands.Add(claim);

        var rest = new NpgsqlBatchCommand(
            """
            SELECT bool_or(visible_at <= $2), min(visible_at) FILTER (WHERE visible_at > $2)
            FROM scaivault.subscription_events
            WHERE subscription_id = $1 AND acked_at IS NULL AND seq > $3
            """);
        rest.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subscriptionId });
        rest.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        rest.Parameters.Add(new NpgsqlParameter<long> { TypedValue = after });
        batch.BatchCommands.Add(rest);

        var claimed = new List<(long Seq, EventEnvelope Event)>();
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            claimed.Add((reader.GetInt64(0), new EventEnvelope(
                reader.GetString(1),
                reader.GetString(2),
                reader.GetFieldValue<DateTimeOffset>(3),
                reader.GetString(4),
                null,
                reader.GetString(5),
                reader.GetString(6),
                ParseJson(reader.GetString(7)),
                reader.GetString(8))));
        }

        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var hasMore = !reader.IsDBNull(0) && reader.GetBoolean(0);
        DateTimeOffset? nextVisibleAt = reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1);

        // RETURNING has no order of its own.
        return new ClaimedEvents([.. claimed.OrderBy(c => c.Seq).Select(c => c.Event)], hasMore, nextVisibleAt);
    }

    /// <summary>Marks the events acked so that they are never delivered again; unknown and already acked ids are ignored.</summary>
    public async Task<int> AckAsync(string subscriptionId, IReadOnlyList<string> eventIds, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "UPDATE scaivault.subscription_events SET acked_at = $3 WHERE subscription_id = $1 AND event_id = ANY($2) AND acked_at IS NULL");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subscriptionId });
        command.Parameters.Add(TextArray([.. eventIds]));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlBatchCommand InsertEvent(string subscriptionId, SecretEvent secretEvent)
    {
        var insert = new NpgsqlBatchCommand(
            """
            INSERT INTO scaivault.subscription_events
                (subscription_id, event_id, event_type, occurred_at, tenant_id, identity_id, path, data, request_id, visible_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $4)
            """);
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subscriptionId });
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = secretEvent.Id });
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = secretEvent.Type });
        insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = secretEvent.Timestamp });
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = AuthEndpoints.TenantId });
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = secretEvent.IdentityId });
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = secretEvent.Path });
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = secretEvent.Data.ToJsonString(), NpgsqlDbType = NpgsqlDbType.Json });
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = secretEvent.RequestId });
        return insert;
    }

    private static Subscription Read(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetFieldValue<string[]>(3),
        reader.GetFieldValue<string[]>(4),
        reader.GetString(5),
        reader.GetFieldValue<DateTimeOffset>(6));

    private static NpgsqlParameter<string[]> TextArray(string[] values) =>
        new() { TypedValue = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    private static JsonElement ParseJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}

/// <param name="HasMore">Due events are left beyond this batch.</param>
/// <param name="NextVisibleAt">When the earliest event handed out earlier and not acked becomes due again; null when none is in flight.</param>
internal sealed record ClaimedEvents(IReadOnlyList<EventEnvelope> Events, bool HasMore, DateTimeOffset? NextVisibleAt);
