using System.Text.Json;
using System.Text.Json.Serialization;

namespace ScaiVault.Emulator.Api;

/// <summary>Writes timestamps as ISO 8601 UTC with a <c>Z</c> (<c>2026-11-28T10:00:00.123Z</c>), as the contract shows.</summary>
internal sealed class UtcTimestampConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.GetDateTimeOffset().ToUniversalTime();

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.UtcDateTime);
}
