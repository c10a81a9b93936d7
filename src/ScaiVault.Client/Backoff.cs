namespace ScaiVault.Client;

/// <summary>
/// Every backoff the agent and the CSI provider use, by name: each doubles from <see cref="First"/> up to
/// <see cref="Cap"/> and, with <see cref="FullJitter"/>, draws uniformly below that ceiling (the AWS architecture
/// blog's "full jitter", which spreads a fleet that failed together). The profiles differ because their callers
/// do: how long the thing retried may take, and whether a fleet retries it in step.
/// </summary>
/// <param name="Name">For logs and tests.</param>
/// <param name="First">The ceiling of the first retry (attempt 0).</param>
/// <param name="Cap">The ceiling never exceeded, however many attempts.</param>
/// <param name="FullJitter">Uniform in [0, ceiling) when true; exactly the ceiling when false.</param>
public sealed record Backoff(string Name, TimeSpan First, TimeSpan Cap, bool FullJitter)
{
    /// <summary>
    /// A ScaiVault operation that failed as a whole (its pipeline gave up) and that its caller tries again later:
    /// the lease supervisor's acquisition, revocation and look-ups, <c>init</c>'s loops, the secret refresher.
    /// 1 s doubling to 30 s: long enough to let an outage pass, short enough that a credential comes soon after.
    /// </summary>
    public static Backoff ScaiVaultOperation { get; } = new(nameof(ScaiVaultOperation), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), FullJitter: true);

    /// <summary>
    /// Added after a long <c>Retry-After</c> (a rate limit) that went back to the caller: 10 s doubling with every
    /// refusal in a row up to the whole rate-limit window. A fleet refused together is told the same moment; the
    /// spread turns one herd into a trickle the window can absorb.
    /// </summary>
    public static Backoff RateLimitSpread { get; } = new(nameof(RateLimitSpread), TimeSpan.FromSeconds(10), ScaiVaultResilience.RateLimitWindow, FullJitter: true);

    /// <summary>
    /// The resilience pipeline's own retries inside one call (a handful of attempts within the call's budget):
    /// 200 ms doubling to 10 s, since the caller is waiting.
    /// </summary>
    public static Backoff WithinCall { get; } = new(nameof(WithinCall), TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), FullJitter: true);

    /// <summary>Added after a short <c>Retry-After</c> the pipeline waits out itself, so that callers told the same moment do not return in step.</summary>
    public static Backoff AfterShortRetryAfter { get; } = new(nameof(AfterShortRetryAfter), TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250), FullJitter: true);

    /// <summary>
    /// A failed renewal: the lease is running out, so the first retries come fast (250 ms), doubling to 30 s; the
    /// caller never schedules one past the lease's expiry.
    /// </summary>
    public static Backoff Renewal { get; } = new(nameof(Renewal), TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(30), FullJitter: true);

    /// <summary>
    /// The probe's logins with a new credential while the role reaches a replica or pooler: 100 ms doubling to 2 s,
    /// within <c>DB_PROBE_WINDOW</c>. No jitter: one pod logs in to its own database, there is no herd to spread,
    /// and a fixed schedule keeps the number of attempts within the window predictable.
    /// </summary>
    public static Backoff ProbeLogin { get; } = new(nameof(ProbeLogin), TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2), FullJitter: false);

    /// <summary>The largest delay <paramref name="attempt"/> (0 for the first retry) may get: <c>min(Cap, First · 2^attempt)</c>.</summary>
    public TimeSpan Ceiling(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(Cap.TotalMilliseconds, First.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30))));

    /// <summary>The delay before retry <paramref name="attempt"/> (0 for the first retry).</summary>
    public TimeSpan Delay(int attempt, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var ceiling = Ceiling(attempt);
        return FullJitter ? TimeSpan.FromMilliseconds(random.NextDouble() * ceiling.TotalMilliseconds) : ceiling;
    }
}
