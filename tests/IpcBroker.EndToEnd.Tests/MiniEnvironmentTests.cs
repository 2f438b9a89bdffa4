using IpcBroker.MainProcess.Hosting.Sandbox;
using IpcBroker.Sessions;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>The host's own spare marker wins over the host app's environment additions.</summary>
public class MiniEnvironmentTests
{
    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    [InlineData("")]
    public void TheHostAppsAdditionsCannotMakeASpareOfAProcess(string value)
    {
        Dictionary<string, string> environment = Build(new() { [SpareProcessSignals.EnvironmentVariable] = value, ["KEPT"] = "yes" }, spare: false);

        Assert.False(environment.ContainsKey(SpareProcessSignals.EnvironmentVariable), "a process that is not a spare was given the spare marker");
        Assert.Equal("yes", environment["KEPT"]);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("")]
    public void TheHostAppsAdditionsCannotUnmakeASpare(string value)
    {
        Dictionary<string, string> environment = Build(new() { [SpareProcessSignals.EnvironmentVariable] = value }, spare: true);

        Assert.True(SpareProcessSignals.IsSpare(name => environment.GetValueOrDefault(name)));
    }

    [Fact]
    public void WithoutAdditionsOnlyASpareIsMarked()
    {
        Assert.Equal("1", Build([], spare: true)[SpareProcessSignals.EnvironmentVariable]);
        Assert.False(Build([], spare: false).ContainsKey(SpareProcessSignals.EnvironmentVariable));
    }

    private static Dictionary<string, string> Build(Dictionary<string, string> extra, bool spare) =>
        MiniEnvironment.Build("/home/mini", "/tmp/mini", memoryLimitBytes: null, extra, hostVariable: _ => null, spare);
}
