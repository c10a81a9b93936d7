using System.Net.Http.Json;
using LeaseAgent.Configuration;
using LeaseAgent.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ScaiVault.Client;

namespace LeaseAgent.ScaiVault;

/// <summary>The dynamic-secrets calls the agent makes: generate, lookup, renew, revoke.</summary>
public interface IScaiVaultClient
{
    /// <param name="clientRef">Stored on the lease by servers that support it; see <see cref="FindByClientRefAsync"/>.</param>
    Task<LeaseGrant> GenerateAsync(TimeSpan? ttl, string? clientRef, Deadline deadline, CancellationToken cancellationToken);

    /// <summary>
    /// The ids of this identity's active leases that carry <paramref name="clientRef"/>. Only leases whose
    /// answer echoes the same reference count, so a server that ignores the filter yields none rather than
    /// another pod's leases (service-account identities are shared by replicas).
    /// </summary>
    Task<IReadOnlyList<string>> FindByClientRefAsync(string clientRef, Deadline deadline, CancellationToken cancellationToken);

    Task<LeaseGrant> LookupAsync(string leaseId, Deadline deadline, CancellationToken cancellationToken);

    Task<LeaseGrant> RenewAsync(string leaseId, TimeSpan increment, Deadline deadline, CancellationToken cancellationToken);

    Task RevokeAsync(string leaseId, Deadline deadline, CancellationToken cancellationToken);

    /// <summary>A static secret's current version (<c>GET /v1/secrets/{path}</c>).</summary>
    Task<SecretValue> GetSecretAsync(string path, Deadline deadline, CancellationToken cancellationToken);
}

/// <summary>ScaiVault's polling subscriptions: hear of a changed secret at once instead of at the next poll.</summary>
public interface IScaiVaultSubscriptions
{
    /// <summary>Creates a polling subscription (<c>POST /v1/subscriptions</c>) and returns its id.</summary>
    Task<string> SubscribeAsync(string name, IReadOnlyList<string> paths, IReadOnlyList<string> events, Deadline deadline, CancellationToken cancellationToken);

    /// <summary>Long-polls for events, waiting at most <paramref name="wait"/> (whole seconds) when none is pending.</summary>
    Task<IReadOnlyList<SecretEvent>> PollAsync(string subscriptionId, TimeSpan wait, Deadline deadline, CancellationToken cancellationToken);

    /// <summary>Acknowledges events; events not acknowledged are delivered again.</summary>
    Task AcknowledgeAsync(string subscriptionId, IReadOnlyList<string> eventIds, Deadline deadline, CancellationToken cancellationToken);

    /// <summary>Deletes a subscription and its queued events (<c>DELETE /v1/subscriptions/{id}</c>).</summary>
    Task UnsubscribeAsync(string subscriptionId, Deadline deadline, CancellationToken cancellationToken);
}

/// <summary>One delivered event: which secret it is about.</summary>
public sealed record SecretEvent(string EventId, string EventType, string Path);

/// <summary>
/// Speaks the contract in <c>docs/scaivault-api.md</c>. Every call runs through the resilience pipeline; a stale
/// ScaiVault token (<c>token_expired</c>/<c>token_invalid</c>) is exchanged again and the call retried once
/// (<see cref="ScaiVaultCalls"/>, shared with the CSI provider through ScaiVault.Client, as is the secret read).
/// Retries are never scheduled past a call's <see cref="Deadline"/>; every failure, a timeout included, is a
/// <see cref="ScaiVaultException"/> (callers catch that one type: Polly stays inside ScaiVault.Client).
/// </summary>
public sealed class ScaiVaultClient(
    HttpClient http,
    IScaiVaultTokenSource tokens,
    ScaiVaultOptions options,
    LeaseOptions? lease,
    TimeProvider time,
    ILogger<ScaiVaultClient>? logger = null) : IScaiVaultClient, IScaiVaultSubscriptions
{
    private readonly ILogger _logger = logger ?? NullLogger<ScaiVaultClient>.Instance;

    /// <summary>Set once a server refused a generate because of its <c>client_ref</c> and accepted it without.</summary>
    private volatile bool _clientRefRefused;

    /// <summary>The engine and role to lease from; only secrets can be read without them.</summary>
    private LeaseOptions Lease => lease ?? throw new InvalidOperationException("no LEASE_ENGINE/LEASE_ROLE configured: this agent only reads secrets");

    private readonly ScaiVaultCalls _calls = new(http, options.ToClientOptions(), time);

    /// <summary>
    /// A client of <paramref name="other"/>'s engine and role over the same connection and token source, so that every
    /// credential of the agent shares one token exchange.
    /// </summary>
    public ScaiVaultClient ForLease(LeaseOptions other) => new(http, tokens, options, other, time, logger);

    /// <summary>
    /// When an attempt ended other than with an error status, it may have minted a lease (Polly retries with the same
    /// <c>client_ref</c>): a failure is then marked <see cref="ScaiVaultException.MayHaveTakenEffect"/>, and a grant
    /// <see cref="LeaseGrant.MayHaveTwins"/>, so that the caller looks the reference up.
    /// </summary>
    public async Task<LeaseGrant> GenerateAsync(TimeSpan? ttl, string? clientRef, Deadline deadline, CancellationToken cancellationToken)
    {
        if (clientRef is null || _clientRefRefused)
        {
            return await GenerateOnceAsync(ttl, clientRef: null, deadline, cancellationToken);
        }

        try
        {
            return await GenerateOnceAsync(ttl, clientRef, deadline, cancellationToken);
        }
        catch (ScaiVaultException e) when (e.Code is ErrorCodes.InvalidRequest or ErrorCodes.ValidationError && !e.MayHaveTakenEffect)
        {
            // client_ref is ours, not ScaiVault's: a server that refuses unknown fields would otherwise refuse every
            // generate. A 400/422 minted nothing, so asking again without it is safe; only when that succeeds was
            // client_ref the cause, and the agent then leaves it out for good (lost answers expire at their TTL).
            var grant = await GenerateOnceAsync(ttl, clientRef: null, deadline, cancellationToken);
            _clientRefRefused = true;
            Log.ClientRefRefused(_logger, e.Code, e.Message);
            return grant;
        }
    }

    private async Task<LeaseGrant> GenerateOnceAsync(TimeSpan? ttl, string? clientRef, Deadline deadline, CancellationToken cancellationToken)
    {
        var mayHaveTakenEffect = false;
        try
        {
            var grant = await ExecuteAsync(
                deadline,
                async token =>
                {
                    // A failed token exchange sent no generate: only what happens after the request went out can
                    // have minted a lease. (A later refresh of a stale token follows a 401, which minted nothing.)
                    await tokens.GetTokenAsync(token);
                    try
                    {
                        var path = LeasePaths.Expand(options.Paths.Generate, Lease.Engine, Lease.Role);
                        var body = new GenerateRequest(ttl is { } t ? Duration.ToScaiVault(t) : null, clientRef);
                        var sentAt = time.GetTimestamp();
                        using var response = await SendAuthorizedAsync(HttpMethod.Post, path, JsonContent.Create(body, ScaiVaultJsonContext.Default.GenerateRequest), token);
                        return await ParseGrantAsync(response, sentAt, expectCredential: true, token);
                    }
                    catch (Exception e) when (e is not ScaiVaultException { Status: >= System.Net.HttpStatusCode.MultipleChoices })
                    {
                        // Only an error or redirect answer proves the server did nothing; timeouts, broken
                        // connections and unusable 2xx answers may all have left a lease behind.
                        mayHaveTakenEffect = true;
                        throw;
                    }
                },
                cancellationToken);
            return mayHaveTakenEffect ? grant with { MayHaveTwins = true } : grant;
        }
        catch (ScaiVaultException e) when (mayHaveTakenEffect)
        {
            throw e.WithMayHaveTakenEffect();
        }
    }

    public Task<IReadOnlyList<string>> FindByClientRefAsync(string clientRef, Deadline deadline, CancellationToken cancellationToken) =>
        ExecuteAsync(
            deadline,
            async token =>
            {
                var query = $"?engine={Uri.EscapeDataString(Lease.Engine)}&role={Uri.EscapeDataString(Lease.Role)}&state=active&client_ref={Uri.EscapeDataString(clientRef)}";
                using var response = await SendAuthorizedAsync(HttpMethod.Get, options.Paths.List + query, null, token);
                return LeaseResponseParser.ParseIdsWithClientRef(await ScaiVaultHttp.ReadBodyAsync(response, token), clientRef);
            },
            cancellationToken);

    public Task<LeaseGrant> LookupAsync(string leaseId, Deadline deadline, CancellationToken cancellationToken) =>
        ExecuteAsync(
            deadline,
            async token =>
            {
                var sentAt = time.GetTimestamp();
                using var response = await SendAuthorizedAsync(HttpMethod.Get, LeasePaths.Expand(options.Paths.Lookup, leaseId: leaseId), null, token);
                return await ParseGrantAsync(response, sentAt, expectCredential: false, token);
            },
            cancellationToken);

    public Task<LeaseGrant> RenewAsync(string leaseId, TimeSpan increment, Deadline deadline, CancellationToken cancellationToken) =>
        ExecuteAsync(
            deadline,
            async token =>
            {
                var body = JsonContent.Create(new RenewRequest(Duration.ToScaiVault(increment)), ScaiVaultJsonContext.Default.RenewRequest);
                var sentAt = time.GetTimestamp();
                using var response = await SendAuthorizedAsync(HttpMethod.Post, LeasePaths.Expand(options.Paths.Renew, leaseId: leaseId), body, token);
                return await ParseGrantAsync(response, sentAt, expectCredential: false, token);
            },
            cancellationToken);

    /// <summary>
    /// Parses a lease answer and stamps it with the moment its request was sent: the server measured the lease's
    /// durations at some point after that, so counting from the send time never makes a lease look longer than
    /// it is, however slow the round trip (a loaded server can take seconds to create a user).
    /// </summary>
    private async Task<LeaseGrant> ParseGrantAsync(HttpResponseMessage response, long sentAt, bool expectCredential, CancellationToken token) =>
        LeaseResponseParser.Parse(await ScaiVaultHttp.ReadBodyAsync(response, token), time.GetUtcNow(), expectCredential) with { SentAt = sentAt };

    public Task RevokeAsync(string leaseId, Deadline deadline, CancellationToken cancellationToken) =>
        ExecuteAsync(
            deadline,
            async token =>
            {
                using var response = await SendAuthorizedAsync(HttpMethod.Post, LeasePaths.Expand(options.Paths.Revoke, leaseId: leaseId), null, token);
                return true;
            },
            cancellationToken);

    public Task<SecretValue> GetSecretAsync(string path, Deadline deadline, CancellationToken cancellationToken) =>
        new ScaiVaultSecretReader(_calls).ReadAsync(tokens, path, version: null, deadline, cancellationToken);

    public Task<string> SubscribeAsync(string name, IReadOnlyList<string> paths, IReadOnlyList<string> events, Deadline deadline, CancellationToken cancellationToken) =>
        ExecuteAsync(
            deadline,
            async token =>
            {
                var body = JsonContent.Create(new SubscribeRequest(name, paths, events, new SubscriptionDelivery("polling")), ScaiVaultJsonContext.Default.SubscribeRequest);
                using var response = await SendAuthorizedAsync(HttpMethod.Post, "/v1/subscriptions", body, token);
                return SubscriptionResponseParser.ParseId(await ScaiVaultHttp.ReadBodyAsync(response, token));
            },
            cancellationToken);

    public Task<IReadOnlyList<SecretEvent>> PollAsync(string subscriptionId, TimeSpan wait, Deadline deadline, CancellationToken cancellationToken) =>
        ExecuteAsync(
            deadline,
            async token =>
            {
                var seconds = (int)Math.Max(0, wait.TotalSeconds);
                using var response = await SendAuthorizedAsync(HttpMethod.Get, $"/v1/subscriptions/{Uri.EscapeDataString(subscriptionId)}/poll?timeout={seconds}", null, token);
                return SubscriptionResponseParser.ParseEvents(await ScaiVaultHttp.ReadBodyAsync(response, token));
            },
            cancellationToken);

    public Task AcknowledgeAsync(string subscriptionId, IReadOnlyList<string> eventIds, Deadline deadline, CancellationToken cancellationToken) =>
        ExecuteAsync(
            deadline,
            async token =>
            {
                var body = JsonContent.Create(new AcknowledgeRequest(eventIds), ScaiVaultJsonContext.Default.AcknowledgeRequest);
                using var response = await SendAuthorizedAsync(HttpMethod.Post, $"/v1/subscriptions/{Uri.EscapeDataString(subscriptionId)}/ack", body, token);
                return true;
            },
            cancellationToken);

    public Task UnsubscribeAsync(string subscriptionId, Deadline deadline, CancellationToken cancellationToken) =>
        ExecuteAsync(
            deadline,
            async token =>
            {
                using var response = await SendAuthorizedAsync(HttpMethod.Delete, $"/v1/subscriptions/{Uri.EscapeDataString(subscriptionId)}", null, token);
                return true;
            },
            cancellationToken);

    private Task<T> ExecuteAsync<T>(Deadline deadline, Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken) =>
        _calls.ExecuteAsync(deadline, operation, cancellationToken);

    private Task<HttpResponseMessage> SendAuthorizedAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken) =>
        _calls.SendAuthorizedAsync(tokens, method, path, content, cancellationToken);
}
