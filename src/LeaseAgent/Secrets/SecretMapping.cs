namespace LeaseAgent.Secrets;

/// <summary>
/// One line of <c>SECRETS</c>: a ScaiVault secret path, optionally one field of it, and the file it is
/// written to. Without a field the file holds the secret's whole <c>data</c> object as JSON; with one, the
/// field's raw value.
/// </summary>
public sealed record SecretMapping(string Path, string? Field, string File)
{
    public override string ToString() => Field is null ? $"{Path} -> {File}" : $"{Path}#{Field} -> {File}";
}
