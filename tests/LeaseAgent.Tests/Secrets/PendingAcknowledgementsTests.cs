using System.Net;
using LeaseAgent.ScaiVault;
using LeaseAgent.Secrets;
using LeaseAgent.Tests.ScaiVault;
using Microsoft.Extensions.Time.Testing;
using ScaiVault.Client;

namespace LeaseAgent.Tests.Secrets;

/// <summary>
/// Acks coalesce so that the agent stays within ScaiVault's 20 subscription operations per minute (RATE) however
/// many events it handles, and a failed ack (a 429 included) loses no id.
/// </summary>
public sealed class PendingAcknowledgementsTests
{
    private const string Subscription = "sub_1";

    private readonly FakeTimeProvider _time = new();
    private readonly RecordingSubscriptions _server = new();
    private readonly CapturingLogger<PendingAcknowledgementsTests> _logger = new();
    private readonly PendingAcknowledgements _acks;

    public PendingAcknowledgementsTests() => _acks = new PendingAcknowledgements(_server, _time, _logger);

    [Fact]
    public async Task Flush_FirstBatchAtOnce_LaterOnesAtMostOncePerInterval()
    {
        _acks.Add(["evt_a"]);
        await _acks.FlushIfDueAsync(Subscription, default);
        Assert.Equal([["evt_a"]], _server.Acks);
        Assert.Null(_acks.DueIn);

        _acks.Add(["evt_b"]);
        _time.Advance(TimeSpan.FromSeconds(3));
        await _acks.FlushIfDueAsync(Subscription, default);
        _acks.Add(["evt_c"]);
        await _acks.FlushIfDueAsync(Subscription, default);
        Assert.Single(_server.Acks);
        Assert.Equal(PendingAcknowledgements.Interval - TimeSpan.FromSeconds(3), _acks.DueIn);

        _time.Advance(PendingAcknowledgements.Interval - TimeSpan.FromSeconds(3));
        Assert.Equal(TimeSpan.Zero, _acks.DueIn);
        await _acks.FlushIfDueAsync(Subscription, default);
        Assert.Equal([["evt_a"], ["evt_b", "evt_c"]], _server.Acks);
        Assert.Equal(0, _acks.Count);
    }

    [Fact]
    public async Task ABurstOf40HandledEventsIn10Seconds_TakesTwoAcks_AndAcksEveryIdOnce()
    {
        for (var i = 0; i < 40; i++)
        {
            _acks.Add([$"evt_{i}"]);
            await _acks.FlushIfDueAsync(Subscription, default);
            _time.Advance(TimeSpan.FromMilliseconds(250));
        }

        Assert.Single(_server.Acks); // the first event's, at once; the other 39 wait for the interval
        Assert.Equal(TimeSpan.Zero, _acks.DueIn);
        await _acks.FlushIfDueAsync(Subscription, default);
        Assert.Equal(2, _server.Acks.Count);
        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"evt_{i}"), _server.Acks.SelectMany(a => a));
    }

    [Fact]
    public async Task Flush_RateLimited_KeepsTheIds_AndTriesAgainOnlyAfterRetryAfter()
    {
        _server.Failure = new ScaiVaultException(HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited, "slow down", retryAfter: TimeSpan.FromSeconds(30));
        _acks.Add(["evt_a", "evt_b"]);
        await _acks.FlushIfDueAsync(Subscription, default); // does not throw: a 429 is not fatal
        Assert.Equal(2, _acks.Count);
        Assert.Equal(TimeSpan.FromSeconds(30), _acks.DueIn);
        Assert.Contains(_logger.Entries, e => e.Id.Id == 9601 && e.Message.Contains("rate_limited", StringComparison.Ordinal));

        _server.Failure = null;
        _acks.Add(["evt_c"]);
        _time.Advance(TimeSpan.FromSeconds(29));
        await _acks.FlushIfDueAsync(Subscription, default);
        Assert.Single(_server.Attempts); // the refused one only
        _time.Advance(TimeSpan.FromSeconds(1));
        await _acks.FlushIfDueAsync(Subscription, default);
        Assert.Equal([["evt_a", "evt_b", "evt_c"]], _server.Acks);
    }

    [Fact]
    public async Task Flush_TransientFailure_KeepsTheIdsForTheNextInterval()
    {
        _server.Failure = new ScaiVaultException(null, ErrorCodes.ConnectionFailed, "cannot reach ScaiVault: ConnectionError");
        _acks.Add(["evt_a"]);
        await _acks.FlushIfDueAsync(Subscription, default);
        Assert.Equal((1, PendingAcknowledgements.Interval), (_acks.Count, _acks.DueIn!.Value));

        _server.Failure = null;
        _time.Advance(PendingAcknowledgements.Interval);
        await _acks.FlushIfDueAsync(Subscription, default);
        Assert.Equal([["evt_a"]], _server.Acks);
    }

    [Fact]
    public async Task Flush_SubscriptionGone_DropsTheIds()
    {
        _server.Failure = new ScaiVaultException(HttpStatusCode.NotFound, "subscription_not_found", "gone");
        _acks.Add(["evt_a"]);
        await _acks.FlushIfDueAsync(Subscription, default);
        Assert.Equal(0, _acks.Count);
        Assert.Null(_acks.DueIn);
    }

    [Fact]
    public async Task Add_AnEventDeliveredAgainWhilePending_IsAckedOnce()
    {
        _acks.Add(["evt_x"]);
        await _acks.FlushIfDueAsync(Subscription, default);
        _acks.Add(["evt_a", "evt_b"]);
        _acks.Add(["evt_b", "evt_a", "evt_c"]); // redelivered before the ack went out
        _time.Advance(PendingAcknowledgements.Interval);
        await _acks.FlushIfDueAsync(Subscription, default);
        Assert.Equal(["evt_a", "evt_b", "evt_c"], _server.Acks[1]);
    }

    [Fact]
    public async Task Flush_MoreIdsThanOneAckTakes_SendsTheOldestFirst_AndKeepsTheRest()
    {
        _acks.Add(Enumerable.Range(0, PendingAcknowledgements.MaxIdsPerAck + 5).Select(i => $"evt_{i}"));
        await _acks.FlushIfDueAsync(Subscription, default);
        Assert.Equal(PendingAcknowledgements.MaxIdsPerAck, _server.Acks[0].Count);
        Assert.Equal("evt_0", _server.Acks[0][0]);
        Assert.Equal(5, _acks.Count);
    }

    [Fact]
    public void Clear_ForgetsEverything()
    {
        _acks.Add(["evt_a"]);
        _acks.Clear();
        Assert.Equal(0, _acks.Count);
        Assert.Null(_acks.DueIn);
    }

    /// <summary>Records the acks; <see cref="Failure"/>, when set, is thrown instead.</summary>
    private sealed class RecordingSubscriptions : IScaiVaultSubscriptions
    {
        public List<List<string>> Acks { get; } = [];

        public List<List<string>> Attempts { get; } = [];

        public Exception? Failure { get; set; }

        public Task AcknowledgeAsync(string subscriptionId, IReadOnlyList<string> eventIds, Deadline deadline, CancellationToken cancellationToken)
        {
            Assert.Equal(Subscription, subscriptionId);
            Attempts.Add([.. eventIds]);
            if (Failure is not null)
            {
                throw Failure;
            }

            Acks.Add([.. eventIds]);
            return Task.CompletedTask;
        }

        public Task<string> SubscribeAsync(string name, IReadOnlyList<string> paths, IReadOnlyList<string> events, Deadline deadline, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task<IReadOnlyList<SecretEvent>> PollAsync(string subscriptionId, TimeSpan wait, Deadline deadline, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task UnsubscribeAsync(string subscriptionId, Deadline deadline, CancellationToken cancellationToken) =>
            throw new NotSupportedException();
    }
}
