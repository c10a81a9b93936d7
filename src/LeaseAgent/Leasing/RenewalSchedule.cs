namespace LeaseAgent.Leasing;

/// <summary>
/// The timing rules of the lifecycle, as pure functions so they can be tested with exact numbers:
/// renew at about two thirds of the granted duration with ±10 % per-pod jitter; rotate when the time left
/// to the hard end drops below the rotate-before lead, which is capped at a third of the lease's life.
/// </summary>
public static class RenewalSchedule
{
    public const double RenewFraction = 2.0 / 3.0;
    public const double JitterFraction = 0.10;

    /// <summary>Renewals whose granted duration falls short of the request by more than this were capped.</summary>
    public static readonly TimeSpan CapTolerance = TimeSpan.FromSeconds(1);

    /// <param name="jitter">A per-pod value in [-1, 1].</param>
    public static TimeSpan RenewAfter(TimeSpan grantedDuration, double jitter) =>
        grantedDuration * (RenewFraction * (1 + (JitterFraction * Math.Clamp(jitter, -1, 1))));

    /// <summary>
    /// The configured <c>LEASE_ROTATE_BEFORE</c>, capped at a third of the lease's whole life so a short
    /// lease still gets most of its life before it is replaced.
    /// </summary>
    public static TimeSpan RotateBefore(TimeSpan configured, TimeSpan lifetime)
    {
        var third = lifetime / 3;
        return configured < third ? configured : third;
    }

    /// <summary>When to start rotating: the hard end minus the lead, never negative.</summary>
    public static TimeSpan RotateAfter(TimeSpan hardEndIn, TimeSpan rotateBefore)
    {
        if (hardEndIn == TimeSpan.MaxValue)
        {
            return TimeSpan.MaxValue;
        }

        var wait = hardEndIn - rotateBefore;
        return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
    }

    /// <summary>A renewal answer shorter than asked (by more than rounding) has hit the max TTL.</summary>
    public static bool IsCapped(TimeSpan requested, TimeSpan granted, TimeSpan? timeToHardEnd) =>
        granted + CapTolerance < requested || (timeToHardEnd is { } end && end <= granted);

    /// <summary>
    /// Full-jitter backoff for retrying a renewal, never scheduled past the lease's expiry: the attempt must
    /// land while the credential is still valid, with a small margin for the request itself.
    /// </summary>
    public static TimeSpan RetryAfter(int attempt, TimeSpan expiresIn, double random)
    {
        var margin = TimeSpan.FromMilliseconds(Math.Min(1000, expiresIn.TotalMilliseconds / 10));
        var ceiling = TimeSpan.FromMilliseconds(Math.Min(30_000, 250 * Math.Pow(2, Math.Min(attempt, 16))));
        var window = expiresIn - margin;
        if (window <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        var delay = ceiling < window ? ceiling : window;
        return delay * Math.Clamp(random, 0, 1);
    }
}
