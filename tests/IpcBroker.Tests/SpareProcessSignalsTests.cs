using IpcBroker.Sessions;

namespace IpcBroker.Tests;

/// <summary>How a mini process knows it is a spare, and what that changes in its wait for the launch line.</summary>
public class SpareProcessSignalsTests
{
    [Theory]
    [InlineData("1", true)]
    [InlineData(null, false)]
    [InlineData("0", false)]
    [InlineData("true", false)]
    [InlineData("", false)]
    public void OnlyTheVariableSetToOneMakesASpare(string? value, bool spare) =>
        Assert.Equal(spare, SpareProcessSignals.IsSpare(name => name == SpareProcessSignals.EnvironmentVariable ? value : "1-but-another-variable"));

    [Fact]
    public void ASpareWaitsForItsLaunchLineWithoutLimitAndAnyOtherProcessTenSeconds()
    {
        Assert.Equal(Timeout.InfiniteTimeSpan, SpareProcessSignals.LaunchLineTimeout(spare: true));
        Assert.Equal(TimeSpan.FromSeconds(10), SpareProcessSignals.LaunchLineTimeout(spare: false));
    }
}
