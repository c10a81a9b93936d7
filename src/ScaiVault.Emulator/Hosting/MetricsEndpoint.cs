using System.Globalization;
using System.Text;
using ScaiVault.Emulator.Auth;
using ScaiVault.Emulator.Leases;

namespace ScaiVault.Emulator.Hosting;

/// <summary>
/// <c>GET /v1/metrics</c> in the Prometheus text format, computed from the state store so it survives restarts.
/// Open without a token, as ScaiVault's default is ("unauthenticated on internal-only port", reference/system);
/// <c>--metrics-require-admin</c> closes it to the <c>admin</c> scope.
/// </summary>
internal static class MetricsEndpoint
{
    public static void Map(IEndpointRouteBuilder app, EmulatorOptions options)
    {
        var metrics = app.MapGet("/v1/metrics", RenderAsync);
        if (options.MetricsRequireAdmin)
        {
            metrics.RequireScope(Scope.Admin);
        }
    }

    private static async Task<IResult> RenderAsync(LeaseStore leases, TimeProvider time, CancellationToken cancellationToken)
    {
        var metrics = await leases.GetMetricsAsync(time.GetUtcNow(), cancellationToken);
        var text = new StringBuilder();
        text.AppendLine("# HELP scaivault_leases_active Dynamic-secret leases that are active and unexpired.");
        text.AppendLine("# TYPE scaivault_leases_active gauge");
        foreach (var engine in metrics.Engines)
        {
            text.Append(CultureInfo.InvariantCulture, $"scaivault_leases_active{{engine=\"{Escape(engine.Engine)}\"}} {engine.Active}\n");
        }

        text.AppendLine("# HELP scaivault_leases_revoke_pending Leases whose revocation failed and is being retried.");
        text.AppendLine("# TYPE scaivault_leases_revoke_pending gauge");
        foreach (var engine in metrics.Engines)
        {
            text.Append(CultureInfo.InvariantCulture, $"scaivault_leases_revoke_pending{{engine=\"{Escape(engine.Engine)}\"}} {engine.RevokePending}\n");
        }

        text.AppendLine("# HELP scaivault_leases_generated_total Credentials generated.");
        text.AppendLine("# TYPE scaivault_leases_generated_total counter");
        foreach (var role in metrics.Roles)
        {
            text.Append(
                CultureInfo.InvariantCulture,
                $"scaivault_leases_generated_total{{engine=\"{Escape(role.Engine)}\",role=\"{Escape(role.Role)}\"}} {role.Generated}\n");
        }

        return Results.Text(text.ToString(), "text/plain; version=0.0.4; charset=utf-8");
    }

    private static string Escape(string label) =>
        label.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
