using System.Reflection;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>The README's examples are the code the suite runs, not a copy that drifts from it.</summary>
public class ReadmeTests
{
    private static readonly string RepositoryRoot = Path.GetFullPath(typeof(ReadmeTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!);

    [Fact]
    public void TheTestingKitExampleIsReadmeKitExampleTests()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot, "README.md")).ReplaceLineEndings("\n");
        string[] example = File.ReadAllText(Path.Combine(RepositoryRoot, "tests/IpcBroker.EndToEnd.Tests/ReadmeKitExampleTests.cs")).ReplaceLineEndings("\n").Split('\n');

        // The file's comment lines at the left margin say what it is for; the README prints the rest as it is.
        string printed = string.Join('\n', example.Where(l => !l.StartsWith("//", StringComparison.Ordinal))).Trim() + "\n";
        Assert.Contains("```csharp\n" + printed + "```\n", readme, StringComparison.Ordinal);
    }
}
