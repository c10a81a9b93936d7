using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace LeaseAgent.Packaging.Tests.Infrastructure;

/// <summary>
/// A validator for the JSON Schema keywords values.schema.json uses, with draft-07 semantics: <c>type</c>
/// (one or a list), <c>properties</c>, <c>required</c>, <c>additionalProperties</c> (false or a schema),
/// <c>items</c> (one schema), <c>enum</c>, <c>pattern</c> (unanchored, as JSON Schema says), <c>minLength</c>,
/// <c>maxLength</c>, <c>minimum</c>, <c>maximum</c>; <c>$schema</c>, <c>title</c>, <c>description</c> and
/// <c>default</c> are annotations. Any other keyword is reported as an error, so the schema cannot grow a
/// rule this validator silently skips.
/// </summary>
internal static class JsonSchemaSubset
{
    private static readonly HashSet<string> Annotations = ["$schema", "title", "description", "default"];

    private static readonly HashSet<string> Supported =
        ["type", "properties", "required", "additionalProperties", "items", "enum", "pattern", "minLength", "maxLength", "minimum", "maximum"];

    public static List<string> Validate(JsonElement schema, object? value)
    {
        var errors = new List<string>();
        Validate(schema, value, "$", errors);
        return errors;
    }

    private static void Validate(JsonElement schema, object? value, string path, List<string> errors)
    {
        foreach (var keyword in schema.EnumerateObject().Select(p => p.Name))
        {
            if (!Supported.Contains(keyword) && !Annotations.Contains(keyword))
            {
                errors.Add($"{path}: schema keyword '{keyword}' is not implemented by the test's validator");
            }
        }

        if (schema.TryGetProperty("type", out var type))
        {
            var types = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToList() : [type.GetString()!];
            if (!types.Any(t => HasType(value, t)))
            {
                errors.Add($"{path}: {Describe(value)} is not of type {string.Join(" or ", types)}");
                return;
            }
        }

        if (schema.TryGetProperty("enum", out var allowed) && !allowed.EnumerateArray().Any(e => EqualsJson(e, value)))
        {
            errors.Add($"{path}: {Describe(value)} is not one of {allowed.GetRawText()}");
        }

        if (value is string text)
        {
            if (schema.TryGetProperty("pattern", out var pattern) && !Regex.IsMatch(text, pattern.GetString()!))
            {
                errors.Add($"{path}: \"{text}\" does not match {pattern.GetString()}");
            }

            if (schema.TryGetProperty("minLength", out var minLength) && text.Length < minLength.GetInt32())
            {
                errors.Add($"{path}: shorter than {minLength.GetInt32()}");
            }

            if (schema.TryGetProperty("maxLength", out var maxLength) && text.Length > maxLength.GetInt32())
            {
                errors.Add($"{path}: longer than {maxLength.GetInt32()}");
            }
        }

        if (value is long or double)
        {
            var number = Convert.ToDouble(value, CultureInfo.InvariantCulture);
            if (schema.TryGetProperty("minimum", out var minimum) && number < minimum.GetDouble())
            {
                errors.Add($"{path}: {number} is below the minimum {minimum.GetDouble()}");
            }

            if (schema.TryGetProperty("maximum", out var maximum) && number > maximum.GetDouble())
            {
                errors.Add($"{path}: {number} is above the maximum {maximum.GetDouble()}");
            }
        }

        if (value is Dictionary<string, object?> map)
        {
            if (schema.TryGetProperty("required", out var required))
            {
                foreach (var key in required.EnumerateArray().Select(r => r.GetString()!).Where(k => !map.ContainsKey(k)))
                {
                    errors.Add($"{path}: required key '{key}' is missing");
                }
            }

            var properties = schema.TryGetProperty("properties", out var p) ? p : default;
            foreach (var (key, item) in map)
            {
                if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(key, out var propertySchema))
                {
                    Validate(propertySchema, item, path + "." + key, errors);
                }
                else if (schema.TryGetProperty("additionalProperties", out var additional))
                {
                    if (additional.ValueKind == JsonValueKind.False)
                    {
                        errors.Add($"{path}: unknown key '{key}'");
                    }
                    else if (additional.ValueKind == JsonValueKind.Object)
                    {
                        Validate(additional, item, path + "." + key, errors);
                    }
                }
            }
        }

        if (value is List<object?> list && schema.TryGetProperty("items", out var items))
        {
            for (var i = 0; i < list.Count; i++)
            {
                Validate(items, list[i], $"{path}[{i}]", errors);
            }
        }
    }

    private static bool HasType(object? value, string type) => type switch
    {
        "object" => value is Dictionary<string, object?>,
        "array" => value is List<object?>,
        "string" => value is string,
        "boolean" => value is bool,
        "null" => value is null,
        "number" => value is long or double,
        "integer" => value is long || value is double d && Math.Floor(d) == d && !double.IsInfinity(d),
        _ => throw new InvalidOperationException($"unknown JSON Schema type {type}"),
    };

    private static bool EqualsJson(JsonElement element, object? value) => element.ValueKind switch
    {
        JsonValueKind.String => value is string s && s == element.GetString(),
        JsonValueKind.Number => value is long or double && Convert.ToDouble(value, CultureInfo.InvariantCulture) == element.GetDouble(),
        JsonValueKind.True => value is true,
        JsonValueKind.False => value is false,
        JsonValueKind.Null => value is null,
        _ => false,
    };

    private static string Describe(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        Dictionary<string, object?> => "an object",
        List<object?> => "an array",
        bool b => b ? "true" : "false",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "?",
    };
}
