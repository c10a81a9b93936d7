using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ScaiVault.Emulator.Api;
using ScaiVault.Emulator.Auth;
using ScaiVault.Emulator.Dynamic;
using ScaiVault.Emulator.Faults;
using ScaiVault.Emulator.RateLimiting;

namespace ScaiVault.Emulator.Secrets;

internal static partial class SecretEndpoints
{
    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/secrets/{**path}", GetAsync)
            .RequireScope(Scope.SecretsRead)
            .WithRateLimit(RateLimitClass.SecretReads)
            .WithFaultRoute(FaultRoutes.Secrets);
        app.MapPut("/v1/secrets/{**path}", PutAsync)
            .RequireScope(Scope.SecretsWrite)
            .WithFaultRoute(FaultRoutes.Secrets);
    }

    private static async Task<IResult> GetAsync(
        string path, HttpRequest request, Caller caller, SecretStore store, EngineStore engines, CancellationToken cancellationToken)
    {
        var validPath = SecretPath.Validate(path);

        // An engine's root login can create roles (CREATEROLE): a workload that may lease a user must not read it.
        if (!caller.Has(Scope.DynamicManage) && await engines.IsRootCredentialsPathAsync(validPath, cancellationToken))
        {
            throw ApiException.Forbidden(
                ErrorCodes.InsufficientScope,
                $"The secret at '{validPath}' holds an engine's root credentials; reading it needs the '{Scope.DynamicManage}' scope.",
                new JsonObject { ["required_scope"] = Scope.DynamicManage });
        }

        int? version = null;
        if (request.Query.TryGetValue("version", out var versionText))
        {
            version = int.TryParse(versionText, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0
                ? v
                : throw ApiException.InvalidRequest("'version' must be a positive integer.");
        }

        var secret = await store.ReadAndRecordAccessAsync(validPath, version, cancellationToken)
            ?? throw ApiException.NotFound(
                ErrorCodes.SecretNotFound,
                version is null ? $"No secret at '{validPath}'." : $"No version {version} of the secret at '{validPath}'.");
        return Results.Json(SecretResponse.From(secret), Wire.Json.SecretResponse);
    }

    private static async Task<IResult> PutAsync(
        string path, HttpRequest request, Caller caller, SecretStore store, ILogger<SecretStore> logger, CancellationToken cancellationToken)
    {
        var validPath = SecretPath.Validate(path);
        var body = await JsonBody.ReadAsync(request, Wire.Json.SecretWriteRequest);
        if (body.Data is not { ValueKind: JsonValueKind.Object } data)
        {
            throw ApiException.InvalidRequest("'data' is required and must be a JSON object.");
        }

        var secretType = SecretTypes.Validate(body.SecretType);
        if (body.Metadata is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Null) })
        {
            throw ApiException.InvalidRequest("'metadata' must be a JSON object.");
        }

        var metadata = body.Metadata is { ValueKind: JsonValueKind.Object } m ? m : EmptyObject;
        SecretMetadata.Validate(metadata);
        var rotation = body.Rotation is null ? null : SecretWriteRotation.From(body.Rotation, GracePeriod(body.Rotation.GracePeriod));
        var origin = new SecretWriteOrigin(caller.IdentityId, request.HttpContext.TraceIdentifier);
        var written = await store.WriteAsync(validPath, secretType, data, metadata, origin, rotation, cancellationToken);
        LogSecretWritten(logger, validPath, written.Version, caller.IdentityId);
        return Results.Json(SecretResponse.From(written), Wire.Json.SecretResponse);
    }

    /// <summary><c>rotation.grace_period</c>: a duration, zero allowed (the old version is superseded at once); absent means zero.</summary>
    private static TimeSpan GracePeriod(string? text)
    {
        if (text is null)
        {
            return TimeSpan.Zero;
        }

        return Duration.TryParse(text, allowMilliseconds: false, out var value)
            ? value
            : throw ApiException.BadRequest(
                ErrorCodes.InvalidDuration,
                "'rotation.grace_period' must be a duration such as \"0s\", \"5m\" or \"1h\".",
                new JsonObject { ["field"] = "rotation.grace_period" });
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Secret {Path} version {Version} written by {Identity}")]
    private static partial void LogSecretWritten(ILogger logger, string path, int version, string identity);
}
