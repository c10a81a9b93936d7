using LeaseAgent.Configuration;
using LeaseAgent.Diagnostics;
using LeaseAgent.Kubernetes;
using LeaseAgent.Postgres;
using LeaseAgent.Publishing;
using LeaseAgent.ScaiVault;
using LeaseAgent.Secrets;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using ScaiVault.Client;

namespace LeaseAgent.Init;

/// <summary>
/// <c>lease-agent init</c>, the init-container pattern: reads every <c>SECRETS</c> mapping and, when
/// <c>LEASE_ENGINE</c>/<c>LEASE_ROLE</c> are set, one probed dynamic credential (not renewed: it lives until its
/// TTL), then writes all the files or none. Transient failures (and failed probes) are retried with
/// <see cref="ScaiVaultResilience.BackoffAfterFailure"/> as long as the wait ends before <c>INIT_TIMEOUT</c>; then
/// it fails closed (exit 1, nothing written) unless <c>FAIL_OPEN</c> says to let the pod start without the files.
/// <c>secret:</c> targets are written into Kubernetes Secrets of the pod's namespace (a pre-deploy Job): every secret
/// is read and rendered first, files are staged, then the Secrets are written one by one, then the files committed.
/// </summary>
public sealed class InitCommand(
    AgentOptions options,
    IScaiVaultClient vault,
    ICredentialProbe? probe,
    TimeProvider time,
    ILogger<InitCommand> logger,
    KubernetesSecretWriter? secretWriter = null)
{
    private static readonly TimeSpan RevokeBudget = TimeSpan.FromSeconds(10);

    /// <summary>The backoff a retry predicate drew, for the delay generator to wait (one draw, logged and waited).</summary>
    private static readonly ResiliencePropertyKey<TimeSpan> RetryIn = new("init.retry-in");

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var deadline = Deadline.From(time, options.Secrets.InitTimeout);
        LeaseGrant? lease = null;
        try
        {
            // One read per path, whatever its targets; nothing is written unless every read and rendering succeeded.
            var values = new Dictionary<string, SecretValue>(StringComparer.Ordinal);
            foreach (var path in options.Secrets.Mappings.Select(m => m.Path).Concat(options.Secrets.KubernetesSecrets.Select(m => m.Path)).Distinct(StringComparer.Ordinal))
            {
                values[path] = await RetryTransientAsync(() => vault.GetSecretAsync(path, deadline, cancellationToken), $"secret {path}", deadline, cancellationToken);
            }

            var files = options.Secrets.Mappings.Select(mapping => (mapping.File, values[mapping.Path].Render(mapping))).ToList();

            // A field that cannot be a key, or two lines on one key: a ConfigurationException, exit 2 (before any lease).
            var secrets = KubernetesSecretContent.Plan(options.Secrets.KubernetesSecrets, values);

            if (options is { Lease: not null, Database: { } database })
            {
                lease = await AcquireProbedCredentialAsync(deadline, cancellationToken);
                var document = CredentialFormatter.CreateDocument(database, lease.Credential!, lease, generation: 1, time.GetUtcNow());
                files.Add((options.Output.File, CredentialFormatter.Render(document, options.Output.Format)));
            }

            await WriteAllOrNothingAsync(files, options.Output.Mode, secrets, deadline, cancellationToken);
            Log.InitWrote(logger, files.Count, lease?.LeaseId ?? "none");
            return Program.ExitOk;
        }
        catch (Exception e) when (e is ScaiVaultException or IOException or UnauthorizedAccessException
            or SecretFieldMissingException or InitProbeFailedException or OperationCanceledException or KubernetesApiException)
        {
            if (lease is not null)
            {
                await RevokeQuietlyAsync(lease.LeaseId);
            }

            var reason = e is ScaiVaultException vaultError ? $"{vaultError.Code}: {vaultError.Message}" : e.Message;
            if (options.FailOpen)
            {
                Log.InitFailedOpen(logger, reason);
                return Program.ExitOk;
            }

            Log.InitFailed(logger, reason);
            return Program.ExitFailure;
        }
    }

    /// <summary>
    /// Stages every file (temp file, fsync) before renaming any: a failure while writing leaves no file behind,
    /// and a rename failing midway removes the ones already renamed. The Secrets are written between staging and
    /// renaming, so a refused Secret leaves no file either. Across Secrets there is no transaction: each is written
    /// whole (one PUT), but a failure at the second leaves the first written; running init again completes it.
    /// </summary>
    private async Task WriteAllOrNothingAsync(List<(string File, byte[] Content)> files, UnixFileMode mode, List<KubernetesSecretContent> secrets, Deadline deadline, CancellationToken cancellationToken)
    {
        var staged = new List<StagedFile>();
        var committed = new List<string>();
        try
        {
            foreach (var (file, content) in files)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                staged.Add(AtomicFileWriter.Stage(file, content, mode));
            }

            if (secrets.Count > 0)
            {
                var writer = secretWriter ?? throw new InvalidOperationException("secret: targets need the Kubernetes API client");
                foreach (var secret in secrets)
                {
                    await writer.WriteAsync(secret, deadline, cancellationToken);
                }

                Log.KubernetesSecretsWritten(logger, secrets.Count, writer.Namespace);
            }

            foreach (var file in staged)
            {
                file.Commit();
                committed.Add(file.Target);
            }
        }
        catch
        {
            staged.ForEach(f => f.Discard());
            committed.ForEach(f => AtomicFileWriter.TryDelete(f));
            throw;
        }
    }

    private async Task<LeaseGrant> AcquireProbedCredentialAsync(Deadline deadline, CancellationToken cancellationToken)
    {
        var credentialProbe = probe ?? throw new InvalidOperationException("a dynamic credential needs the probe");
        var (grant, result) = await RetryUntilDeadlineAsync(
            async token =>
            {
                var generated = await RetryTransientAsync(() => vault.GenerateAsync(options.Lease!.Ttl, clientRef: null, deadline, token), "generate", deadline, token);
                var probed = await credentialProbe.ProbeAsync(generated.Credential!, token);
                if (!probed.Passed)
                {
                    Log.ProbeFailed(logger, generated.Credential!.Username, probed.Attempts, probed.Failure.ToString(), probed.Error);
                    await RevokeQuietlyAsync(generated.LeaseId);
                }

                return new ProbedGrant(generated, probed);
            },
            outcome => outcome.Result is ProbedGrant { Result.Passed: false },
            onRetrying: null,
            deadline,
            cancellationToken);

        if (!result.Passed)
        {
            throw new InitProbeFailedException($"the new credential of {grant.Credential!.Username} failed its probe ({result.Failure}: {result.Error})");
        }

        Log.ProbePassed(logger, grant.Credential!.Username, result.Attempts);
        return grant;
    }

    private Task<T> RetryTransientAsync<T>(Func<Task<T>> operation, string what, Deadline deadline, CancellationToken cancellationToken) =>
        RetryUntilDeadlineAsync(
            _ => operation(),
            outcome => outcome.Exception is ScaiVaultException { IsTransient: true },
            (outcome, retryIn) => Log.InitRetrying(logger, what, ((ScaiVaultException)outcome.Exception!).Code, retryIn.TotalSeconds),
            deadline,
            cancellationToken);

    /// <summary>
    /// Runs <paramref name="operation"/> again while its outcome is <paramref name="retryable"/> and the backoff
    /// (after a <c>Retry-After</c> when ScaiVault gave one) ends before <paramref name="deadline"/>; otherwise the
    /// last outcome stands (a failure is thrown as it was). <paramref name="onRetrying"/> hears of every backoff
    /// drawn, also the one that no longer fits.
    /// </summary>
    private async Task<T> RetryUntilDeadlineAsync<T>(
        Func<CancellationToken, Task<T>> operation,
        Func<Outcome<object>, bool> retryable,
        Action<Outcome<object>, TimeSpan>? onRetrying,
        Deadline deadline,
        CancellationToken cancellationToken)
    {
        // Untyped (the callback's type is the execution's, not the pipeline's): a typed pipeline needs its result
        // type's members kept for the trimmer.
        var pipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = int.MaxValue, // bounded by the deadline
                ShouldHandle = args =>
                {
                    if (!retryable(args.Outcome))
                    {
                        return ValueTask.FromResult(false);
                    }

                    var retryIn = ScaiVaultResilience.BackoffAfterFailure(args.AttemptNumber, args.Outcome.Exception, Random.Shared);
                    args.Context.Properties.Set(RetryIn, retryIn);
                    onRetrying?.Invoke(args.Outcome, retryIn);
                    return ValueTask.FromResult(ScaiVaultResilience.TimeLeft(args.Context, time) > retryIn);
                },
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(args.Context.Properties.GetValue(RetryIn, TimeSpan.Zero)),
            })
            .Build();

        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(ScaiVaultResilience.Deadline, deadline);
        try
        {
            return await pipeline.ExecuteAsync(async ctx => await operation(ctx.CancellationToken), context);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private async Task RevokeQuietlyAsync(string leaseId)
    {
        try
        {
            using var budget = new CancellationTokenSource(RevokeBudget);
            await vault.RevokeAsync(leaseId, Deadline.From(time, RevokeBudget), budget.Token);
        }
        catch (Exception e) when (e is ScaiVaultException or OperationCanceledException)
        {
            // Unrevoked, the lease still ends at its TTL: the emulator's and ScaiVault's sweepers drop the user.
            Log.InitRevokeFailed(logger, leaseId, e.Message);
        }
    }
}

/// <summary>A generated credential and how its probe went.</summary>
internal sealed record ProbedGrant(LeaseGrant Grant, ProbeResult Result);

/// <summary>The dynamic credential never passed its probe before <c>INIT_TIMEOUT</c>.</summary>
public sealed class InitProbeFailedException(string message) : Exception(message);
