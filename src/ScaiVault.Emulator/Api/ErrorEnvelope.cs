using System.Text.Json.Nodes;

namespace ScaiVault.Emulator.Api;

/// <summary><c>{"error": {"code", "message", "details", "request_id"}}</c>.</summary>
internal sealed record ErrorEnvelope(ErrorBody Error);

internal sealed record ErrorBody(string Code, string Message, JsonObject Details, string RequestId);
