namespace LeaseAgent.Packaging.Tests.Infrastructure;

/// <summary>The checkout the tests run from: the nearest directory upwards holding LeaseAgent.sln.</summary>
internal static class RepositoryRoot
{
    public static string Path { get; } = Find();

    public static string File(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (System.IO.File.Exists(System.IO.Path.Combine(directory.FullName, "LeaseAgent.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("LeaseAgent.sln not found above " + AppContext.BaseDirectory);
    }
}
