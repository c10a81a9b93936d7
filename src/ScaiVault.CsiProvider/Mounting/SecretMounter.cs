using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using ScaiVault.Client;
using ScaiVault.CsiProvider.Configuration;
using ScaiVault.CsiProvider.Diagnostics;
using ScaiVault.CsiProvider.V1Alpha1;

namespace ScaiVault.CsiProvider.Mounting;

/// <summary>What a served Mount answers, and how many distinct ScaiVault reads it took (for the log).</summary>
internal sealed record MountResult(MountResponse Response, int Reads, int PayloadBytes);

/// <summary>
/// Serves a validated <see cref="MountPlan"/> (brief §7.2, steps 5–7): the pod's ScaiVault token from
/// <see cref="PodTokenCache"/>, one read per distinct (path, version), joined with identical reads in flight,
/// each object rendered exactly as <c>lease-agent init</c> renders <c>path#field</c>, then decoded, then the files
/// and versions. All objects or none: any failure fails the Mount, and no file is returned.
/// </summary>
internal sealed class SecretMounter(
    ScaiVaultServers servers,
    PodTokenCache tokens,
    InFlightReads reads,
    ProviderOptions options,
    TimeProvider time,
    ILogger<SecretMounter> logger)
{
    /// <summary>The driver logs "secret sync may fail" above this size (<c>MountContent</c>); we warn too, and serve.</summary>
    public const int SyncWarningBytes = 1024 * 1024;

    /// <summary>Kept from the driver's deadline, so that our answer (even an error) reaches it in time.</summary>
    private static readonly TimeSpan AnswerMargin = TimeSpan.FromMilliseconds(200);

    /// <param name="callDeadline">The gRPC call's deadline (<see cref="ServerCallContext.Deadline"/>, UTC; <see cref="DateTime.MaxValue"/> when none).</param>
    /// <exception cref="MountRequestException">The Mount cannot be served; the message is for the pod's events.</exception>
    public async Task<MountResult> MountAsync(MountPlan plan, DateTime callDeadline, CancellationToken cancellationToken)
    {
        var budget = Budget(callDeadline);
        var deadline = Deadline.From(time, budget);
        var server = servers.For(plan.ScaiVaultUrl);
        var identity = TokenCacheKey.For(plan, server);
        var token = tokens.Get(identity, server, plan.Token);

        using var timeout = new CancellationTokenSource(budget, time);
        using var call = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);

        // Every distinct read starts at once, so that one Mount's reads overlap; the bulkhead bounds the process.
        var groups = plan.Objects.GroupBy(o => (o.Path, o.Version)).Select(g => g.ToList()).ToList();
        var pending = groups.Select(g => reads.ReadAsync(
            new ReadKey(identity, g[0].Path, g[0].Version),
            () => ReadAsync(server, token, g[0].Path, g[0].Version, budget, deadline))).ToList();
        var secrets = new Dictionary<(string Path, int? Version), SecretValue>();
        for (var i = 0; i < groups.Count; i++)
        {
            try
            {
                secrets[(groups[i][0].Path, groups[i][0].Version)] = await pending[i].WaitAsync(call.Token);
            }
            catch (ScaiVaultException e)
            {
                throw MountErrors.Read(e, groups[i], server.Url, plan.Audience, budget);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw MountErrors.TimedOut(groups[i], server.Url, budget);
            }
        }

        // In the SecretProviderClass's order; every object is rendered before anything is answered (all or nothing).
        var response = new MountResponse();
        foreach (var item in plan.Objects)
        {
            var secret = secrets[(item.Path, item.Version)];
            response.Files.Add(new V1Alpha1.File { Path = item.ObjectName, Mode = item.Mode, Contents = ByteString.CopyFrom(Render(item, secret, server.Url)) });
            response.ObjectVersion.Add(new ObjectVersion { Id = item.ObjectName, Version = ObjectVersions.Of(item, server.Url, secret.Version) });
        }

        return new MountResult(response, groups.Count, CheckSize(response, plan));
    }

    private TimeSpan Budget(DateTime callDeadline)
    {
        if (callDeadline == DateTime.MaxValue)
        {
            return options.RequestTimeout;
        }

        var left = callDeadline.ToUniversalTime() - time.GetUtcNow().UtcDateTime - AnswerMargin;
        return left < options.RequestTimeout ? (left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1)) : options.RequestTimeout;
    }

    /// <summary>
    /// One read, under its own deadline. A <c>Retry-After</c> the client's pipeline hands back (longer than it waits
    /// itself) is waited out here when it ends before the deadline; otherwise the rate limit fails the Mount at once
    /// (RESOURCE_EXHAUSTED), rather than holding the driver until its deadline.
    /// </summary>
    private async Task<SecretValue> ReadAsync(ScaiVaultServer server, PodToken token, string path, int? version, TimeSpan budget, Deadline deadline)
    {
        using var timeout = new CancellationTokenSource(budget, time);
        while (true)
        {
            try
            {
                return await server.Reader.ReadAsync(token, path, version, deadline, timeout.Token);
            }
            catch (ScaiVaultException e) when (e.Code == ErrorCodes.RateLimited && e.RetryAfter is { } wait
                && deadline.Remaining(time) > wait)
            {
                await Task.Delay(wait, time, timeout.Token);
            }
        }
    }

    private static byte[] Render(MountObject item, SecretValue secret, string serverUrl)
    {
        try
        {
            if (item.Field is null || item.Encoding == SecretEncoding.Utf8)
            {
                return secret.Render(item.Field, MountErrors.Name(item));
            }

            var text = secret.StringField(item.Field, MountErrors.Name(item))
                ?? throw MountErrors.NotDecodable(item, "is not a JSON string");
            return Decode(item, text);
        }
        catch (SecretFieldMissingException)
        {
            throw MountErrors.FieldMissing(item, serverUrl);
        }
    }

    private static byte[] Decode(MountObject item, string text)
    {
        try
        {
            return item.Encoding == SecretEncoding.Base64 ? Convert.FromBase64String(text) : Convert.FromHexString(text);
        }
        catch (FormatException)
        {
            // The framework's message says nothing about the value, but ours need not quote it either.
            throw MountErrors.NotDecodable(item, item.Encoding == SecretEncoding.Base64 ? "is not valid base64" : "is not valid hex (an even number of 0-9, a-f)");
        }
    }

    /// <summary>The whole answer against the driver's receive limit: above it the driver would see only a transport error.</summary>
    private int CheckSize(MountResponse response, MountPlan plan)
    {
        var size = response.CalculateSize();
        if (size > options.MaxResponseBytes)
        {
            throw new MountRequestException(
                StatusCode.FailedPrecondition,
                string.Create(CultureInfo.InvariantCulture, $"mount payload {Mebibytes(size)} MiB exceeds {Mebibytes(options.MaxResponseBytes)} MiB; raise the driver's --max-call-recv-msg-size and --max-response-bytes together"));
        }

        if (size > SyncWarningBytes)
        {
            Log.LargePayload(logger, plan.Pod.Namespace ?? "?", plan.Pod.Name ?? "?", plan.Pod.Uid ?? "?", size);
        }

        return size;
    }

    private static string Mebibytes(int bytes) => (bytes / (1024.0 * 1024)).ToString("0.##", CultureInfo.InvariantCulture);
}
