namespace LeaseAgent.Leasing;

/// <summary>
/// What the lease policy may know of the world when an event is decided: the monotonic time, one random draw (for
/// backoff jitter) and a fresh client reference (for a lease created now). The supervisor makes one per event; a test
/// makes its own. So <see cref="LeasePolicy.Decide"/> reads no clock and draws no random number itself, and the same
/// book, event and moment always give the same decision.
/// </summary>
public sealed class Moment : TimeProvider
{
    private readonly long _timestamp;
    private readonly long _frequency;

    public Moment(long timestamp, long frequency, double draw, string clientRef)
    {
        _timestamp = timestamp;
        _frequency = frequency;
        Random = new FixedDraw(draw);
        ClientRef = clientRef;
    }

    /// <summary>The moment of <paramref name="time"/>'s clock now, with a random draw and a new client reference.</summary>
    public static Moment Of(TimeProvider time) => new(time.GetTimestamp(), time.TimestampFrequency, global::System.Random.Shared.NextDouble(), Lease.NewClientRef());

    public override long TimestampFrequency => _frequency;

    /// <summary>Answers the one draw, every time it is asked: each decision draws at most one backoff.</summary>
    public Random Random { get; }

    /// <summary>The reference a lease created at this moment is generated under.</summary>
    public string ClientRef { get; }

    public override long GetTimestamp() => _timestamp;

    public override DateTimeOffset GetUtcNow() => throw new InvalidOperationException("the lease policy keeps time on the monotonic clock only");

    private sealed class FixedDraw(double draw) : Random
    {
        public override double NextDouble() => draw;

        protected override double Sample() => draw;
    }
}
