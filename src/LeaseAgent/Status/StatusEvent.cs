namespace LeaseAgent.Status;

/// <summary>What <see cref="StatusReporter.Subscribe"/> tells its subscribers.</summary>
public abstract record StatusEvent;

/// <summary>
/// A credential was put in service: its first generation, and every replacement. Replayed to a new subscriber for
/// every credential already in service, so that subscribing late misses nothing.
/// </summary>
public sealed record CredentialPublished(LeaseStatus Lease) : StatusEvent;

/// <summary>The agent started stopping: it reports not ready from now on. Replayed to a new subscriber once stopping.</summary>
public sealed record StoppingStarted : StatusEvent;

/// <summary>
/// The heartbeat is due: each lease supervisor reports its part again, unchanged or not, from its own loop, so that
/// <c>updated_at</c> advances only while that loop runs.
/// </summary>
public sealed record HeartbeatDue : StatusEvent;
