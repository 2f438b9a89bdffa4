using IpcBroker.MainProcess.Hosting;
using IpcBroker.OpenApi;

namespace IpcBroker.OpenApi.Tests;

/// <summary>The host's policy: which appIds may be started, which events each may call, how rules combine, and what is refused at host start.</summary>
public class MiniAppPolicyTests
{
    [Fact]
    public void TheDefaultLetsEveryAppStartAndCallEveryEvent()
    {
        MiniAppPolicy policy = new MiniAppHostOptions().Policy;

        Assert.Same(MiniAppPolicy.Unrestricted, policy);
        Assert.True(policy.IsUnrestricted);
        Assert.True(policy.MayStart("wx-any"));
        Assert.True(policy.MayCall("wx-any", OpenApiEvents.Pay));
        Assert.True(policy.MayCall("wx-any", "ANY_EVENT"));
        Assert.Null(policy.StartableAppIds);
        policy.Validate();
    }

    [Fact]
    public void OnlyListedAppsMayStartAndAnEmptyListMeansAny()
    {
        MiniAppPolicy policy = MiniAppPolicy.Unrestricted.AllowStarting("wx-shop").AllowStarting("wx-weather");

        Assert.True(policy.MayStart("wx-shop"));
        Assert.True(policy.MayStart("wx-weather"));
        Assert.False(policy.MayStart("wx-other"));
        Assert.False(policy.MayStart("WX-SHOP"));
        Assert.False(policy.MayCall("wx-other", "ANY_EVENT"));
        Assert.Equal(["wx-shop", "wx-weather"], policy.StartableAppIds!.Order(StringComparer.Ordinal));
        Assert.True(MiniAppPolicy.Unrestricted.AllowStarting().MayStart("wx-other"));
    }

    [Fact]
    public void AnEventLimitedToListedAppsIsDeniedToOthers()
    {
        MiniAppPolicy policy = MiniAppPolicy.Unrestricted.LimitEvent(OpenApiEvents.Pay, "wx-shop");

        Assert.True(policy.MayCall("wx-shop", OpenApiEvents.Pay));
        Assert.False(policy.MayCall("wx-news", OpenApiEvents.Pay));
        Assert.True(policy.MayCall("wx-news", OpenApiEvents.PayQuery), "an exact pattern is not a prefix");
        Assert.True(policy.MayCall("wx-news", OpenApiEvents.Login));
        Assert.False(policy.IsUnrestricted);
    }

    [Fact]
    public void APrefixPatternMatchesEveryEventThatStartsWithIt()
    {
        MiniAppPolicy policy = MiniAppPolicy.Unrestricted.LimitEvent("OPEN_API_PAY*", "wx-shop");

        Assert.False(policy.MayCall("wx-news", OpenApiEvents.Pay));
        Assert.False(policy.MayCall("wx-news", OpenApiEvents.PayQuery));
        Assert.True(policy.MayCall("wx-shop", OpenApiEvents.PayQuery));
        Assert.True(policy.MayCall("wx-news", OpenApiEvents.Login));
        Assert.True(policy.MayCall("wx-news", "OPEN_API_PA"), "shorter than the prefix");
        Assert.False(MiniAppPolicy.Unrestricted.LimitEvent("*", "wx-shop").MayCall("wx-news", "ANYTHING"), "'*' alone matches every event");
    }

    [Fact]
    public void AnAppLimitedToPatternsMayCallOnlyThose()
    {
        MiniAppPolicy policy = MiniAppPolicy.Unrestricted.LimitApp("wx-weather", "OPEN_API_*", WellKnownEvents.GetUserId);

        Assert.True(policy.MayCall("wx-weather", OpenApiEvents.Login));
        Assert.True(policy.MayCall("wx-weather", WellKnownEvents.GetUserId));
        Assert.False(policy.MayCall("wx-weather", "OPEN_DATA_OTHER"));
        Assert.False(policy.MayCall("wx-weather", WellKnownEvents.GetUserId + "_X"), "an exact pattern is not a prefix");
        Assert.True(policy.MayCall("wx-news", "OPEN_DATA_OTHER"), "other apps are not limited");
        Assert.False(MiniAppPolicy.Unrestricted.LimitApp("wx-mute").MayCall("wx-mute", OpenApiEvents.Login), "no pattern: nothing");
    }

    [Fact]
    public void RulesForTheSameEventPatternOrAppAddUp()
    {
        MiniAppPolicy policy = MiniAppPolicy.Unrestricted
            .LimitEvent(OpenApiEvents.Pay, "wx-shop").LimitEvent(OpenApiEvents.Pay, "wx-mall")
            .LimitApp("wx-weather", "OPEN_API_*").LimitApp("wx-weather", WellKnownEvents.GetUserId);

        Assert.True(policy.MayCall("wx-shop", OpenApiEvents.Pay));
        Assert.True(policy.MayCall("wx-mall", OpenApiEvents.Pay));
        Assert.False(policy.MayCall("wx-news", OpenApiEvents.Pay));
        Assert.True(policy.MayCall("wx-weather", OpenApiEvents.Login));
        Assert.True(policy.MayCall("wx-weather", WellKnownEvents.GetUserId));
    }

    [Fact]
    public void EveryRuleThatAppliesMustAllowSoAMoreSpecificPatternCannotWiden()
    {
        // Deny wins: a call must pass every rule that applies to it. Adding a rule can only take permissions away.
        MiniAppPolicy policy = MiniAppPolicy.Unrestricted
            .LimitEvent("OPEN_API_*", "wx-shop", "wx-weather")
            .LimitEvent(OpenApiEvents.Pay, "wx-shop", "wx-news")
            .LimitApp("wx-shop", "OPEN_API_LOGIN");

        Assert.True(policy.MayCall("wx-weather", OpenApiEvents.Login));
        Assert.False(policy.MayCall("wx-weather", OpenApiEvents.Pay), "the exact rule does not list it");
        Assert.False(policy.MayCall("wx-news", OpenApiEvents.Pay), "the prefix rule does not list it, though the exact one does");
        Assert.False(policy.MayCall("wx-shop", OpenApiEvents.Pay), "its own allow-list does not match, though both event rules list it");
        Assert.True(policy.MayCall("wx-shop", OpenApiEvents.Login));
    }

    [Fact]
    public void APolicyIsImmutable()
    {
        MiniAppPolicy before = MiniAppPolicy.Unrestricted.AllowStarting("wx-shop");
        MiniAppPolicy after = before.AllowStarting("wx-news").LimitEvent(OpenApiEvents.Pay, "wx-shop").LimitApp("wx-news", "OPEN_API_*");

        Assert.False(before.MayStart("wx-news"));
        Assert.True(before.MayCall("wx-shop", "ANY_EVENT"));
        Assert.Empty(before.EventCallers);
        Assert.Empty(before.AppEvents);
        Assert.True(after.MayStart("wx-news"));
        Assert.True(MiniAppPolicy.Unrestricted.IsUnrestricted);
    }

    [Theory]
    [InlineData("OPEN_*_PAY", "'OPEN_*_PAY' is not a valid event pattern")]
    [InlineData("**", "'**' is not a valid event pattern")]
    [InlineData("", "'' is not a valid event pattern")]
    [InlineData("BAD\nNAME", "is not a valid event pattern")]
    public void ABadEventPatternIsRefusedAtValidation(string pattern, string expected)
    {
        MiniAppPolicy policy = MiniAppPolicy.Unrestricted.LimitEvent(pattern, "wx-shop");

        IpcConfigurationException ex = Assert.Throws<IpcConfigurationException>(policy.Validate);
        Assert.Contains(expected, ex.Message);
        Assert.Contains("'*' may only end a pattern", ex.Message);
    }

    [Theory]
    [InlineData("bad app")]
    [InlineData("..")]
    [InlineData("")]
    [InlineData("wx/../shop")]
    public void ABadAppIdIsRefusedAtValidationWhereverItIsNamed(string appId)
    {
        foreach (MiniAppPolicy policy in new[]
        {
            MiniAppPolicy.Unrestricted.AllowStarting(appId),
            MiniAppPolicy.Unrestricted.LimitEvent(OpenApiEvents.Pay, appId),
            MiniAppPolicy.Unrestricted.LimitApp(appId, "OPEN_API_*"),
        })
        {
            IpcConfigurationException ex = Assert.Throws<IpcConfigurationException>(policy.Validate);
            Assert.Contains($"'{appId}' is not a valid appId", ex.Message);
        }
    }

    [Fact]
    public void AnAppNamedInARuleButNotStartableIsRefusedAtValidation()
    {
        // Most likely a typo, which would silently take a permission away from the app meant.
        MiniAppPolicy policy = MiniAppPolicy.Unrestricted.AllowStarting("wx-shop").LimitEvent(OpenApiEvents.Pay, "wx-shpo");

        IpcConfigurationException ex = Assert.Throws<IpcConfigurationException>(policy.Validate);
        Assert.Contains("'wx-shpo'", ex.Message);
        Assert.Contains("AllowStarting", ex.Message);
    }

    [Fact]
    public void ValidationNamesEveryProblemAtOnce()
    {
        MiniAppPolicy policy = MiniAppPolicy.Unrestricted.LimitEvent("A*B", "wx-shop").LimitApp("bad app", "OK");

        IpcConfigurationException ex = Assert.Throws<IpcConfigurationException>(policy.Validate);
        Assert.Contains("'A*B'", ex.Message);
        Assert.Contains("'bad app'", ex.Message);
    }

    [Fact]
    public void AHostWithABadPolicyDoesNotStart()
    {
        var options = new MiniAppHostOptions { Policy = MiniAppPolicy.Unrestricted.LimitEvent("OPEN_*_PAY", "wx-shop") };

        IpcConfigurationException ex = Assert.Throws<IpcConfigurationException>(() => MiniAppHost.Start(new Plugins.IpcEventRegistry(IpcSide.Main), options));
        Assert.Contains("OPEN_*_PAY", ex.Message);
    }

    [Fact]
    public void TheHostsAuthorizerAsksThePolicyThenTheConfiguredAuthorizer()
    {
        var configured = new CountingAuthorizer(allow: false);
        MiniAppPolicy policy = MiniAppPolicy.Unrestricted.LimitEvent(OpenApiEvents.Pay, "wx-shop");
        IIpcCallAuthorizer authorizer = MiniAppPolicyAuthorizer.For(policy, configured)!;
        var shop = new IpcCaller(IpcSide.Mini, "wx-shop", MiniAppVerType.Release, 10);
        var news = new IpcCaller(IpcSide.Mini, "wx-news", MiniAppVerType.Release, 11);

        Assert.False(authorizer.IsAllowed(news, OpenApiEvents.Pay));
        Assert.Equal(0, configured.Asked);
        Assert.False(authorizer.IsAllowed(shop, OpenApiEvents.Pay), "the configured authorizer refuses what the policy allows");
        Assert.Equal(1, configured.Asked);
        Assert.True(MiniAppPolicyAuthorizer.For(policy, null)!.IsAllowed(shop, OpenApiEvents.Pay));

        // Nothing to ask without a policy: the configured authorizer alone, or none at all.
        Assert.Same(configured, MiniAppPolicyAuthorizer.For(MiniAppPolicy.Unrestricted, configured));
        Assert.Null(MiniAppPolicyAuthorizer.For(MiniAppPolicy.Unrestricted, null));
    }

    [Fact]
    public void CallersOfAnEventAreListedForTheCommandLine()
    {
        MiniAppPolicy open = MiniAppPolicy.Unrestricted.LimitEvent(OpenApiEvents.Pay, "wx-shop").LimitApp("wx-weather", "OPEN_API_LOGIN");
        MiniAppPolicy closed = open.AllowStarting("wx-shop", "wx-weather", "wx-news");

        AssertCallers(null, ["wx-weather"], open.CallersOf(WellKnownEvents.GetUserId));
        AssertCallers(["wx-shop"], ["wx-weather"], open.CallersOf(OpenApiEvents.Pay));
        AssertCallers(null, [], open.CallersOf(OpenApiEvents.Login));
        AssertCallers(["wx-news", "wx-shop"], ["wx-weather"], closed.CallersOf(WellKnownEvents.GetUserId));
        AssertCallers(["wx-shop"], ["wx-news", "wx-weather"], closed.CallersOf(OpenApiEvents.Pay));
        AssertCallers(null, [], MiniAppPolicy.Unrestricted.CallersOf(OpenApiEvents.Pay));

        static void AssertCallers(string[]? allowed, string[] denied, (IReadOnlyList<string>? Allowed, IReadOnlyList<string> Denied) actual)
        {
            Assert.Equal(allowed, actual.Allowed);
            Assert.Equal(denied, actual.Denied);
        }
    }

    private sealed class CountingAuthorizer(bool allow) : IIpcCallAuthorizer
    {
        private int asked;

        public int Asked => Volatile.Read(ref this.asked);

        public bool IsAllowed(IpcCaller caller, string eventId)
        {
            Interlocked.Increment(ref this.asked);
            return allow;
        }
    }
}
