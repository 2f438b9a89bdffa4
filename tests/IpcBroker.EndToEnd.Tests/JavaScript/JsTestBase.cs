using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.Hosting.Sandbox;
using IpcBroker.MainProcess.OpenApi;
using IpcBroker.OpenApi;
using IpcBroker.Plugins;
using IpcBroker.Tests;

namespace IpcBroker.EndToEnd.Tests.JavaScript;

/// <summary>
/// Base of the tests that run real JavaScript mini programs (the packages under <c>JavaScript/mini-programs/</c>, copied
/// to the test output) in real TestMiniApp processes: the host's options with the packages mapped, and waits for the
/// console lines the mini programs write, which the host logs under <see cref="ConsoleCategory"/>.
/// </summary>
public abstract class JsTestBase : HostTestBase
{
    /// <summary>The host's log category of the mini programs' console lines.</summary>
    public const string ConsoleCategory = "IpcBroker.MiniProgram";

    /// <summary>The user the open-API hosts sign in.</summary>
    protected const string User = "u-js-1";

    /// <summary>The test packages' directory in the test output.</summary>
    public static readonly string PackagesRoot = Path.Combine(AppContext.BaseDirectory, "JavaScript", "mini-programs");

    protected JsTestBase(ITestOutputHelper output)
        : base(output)
    {
    }

    /// <summary>The directory of the test package <paramref name="name"/>.</summary>
    protected static string Package(string name) => Path.Combine(PackagesRoot, name);

    /// <summary>The appId in <paramref name="packageDirectory"/>'s app.json.</summary>
    protected static string AppIdOf(string packageDirectory) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(packageDirectory, "app.json")))!["appId"]!.GetValue<string>();

    /// <summary>
    /// Host options with the test mini app, no spare process unless asked, <paramref name="environment"/> for the mini
    /// processes (the JavaScript limits: <c>JavaScript__TaskTimeout</c>, ...), and the packages mapped by their appIds.
    /// </summary>
    protected static MiniAppHostOptions JsOptions(IReadOnlyDictionary<string, string>? environment, int spareProcesses, params string[] packageDirectories)
    {
        var options = new MiniAppHostOptions
        {
            MiniExecutablePath = TestMiniAppPath,
            SpareProcesses = spareProcesses,
            Sandbox = new MiniSandboxOptions { Environment = environment ?? new Dictionary<string, string>(StringComparer.Ordinal) },
        };
        foreach (string directory in packageDirectories)
        {
            options.MiniPrograms[AppIdOf(directory)] = directory;
        }

        return options;
    }

    /// <summary>Waits for a console line of <paramref name="appId"/> whose text matches <paramref name="pattern"/>, bounded by the test's timeout.</summary>
    /// <returns>The log record.</returns>
    protected Task<TestLogRecord> WaitForConsoleAsync(string appId, string pattern) => this.WaitForConsoleAsync(appId, pattern, 1);

    /// <summary>Waits for the <paramref name="count"/>th console line of <paramref name="appId"/> matching <paramref name="pattern"/>.</summary>
    /// <returns>That record.</returns>
    protected Task<TestLogRecord> WaitForConsoleAsync(string appId, string pattern, int count)
    {
        var regex = new Regex(pattern, RegexOptions.CultureInvariant);
        int seen = 0;

        // The logger provider shows each record once to each waiter, in order, under its lock.
        return this.WaitForLogAsync(r => IsConsoleOf(r, appId) && regex.IsMatch(TextOf(r, appId)) && ++seen == count);
    }

    /// <summary>The console lines of <paramref name="appId"/> so far (text only, in order).</summary>
    protected IReadOnlyList<string> ConsoleLines(string appId) =>
        [.. this.Logs.Records.Where(r => IsConsoleOf(r, appId)).Select(r => TextOf(r, appId))];

    /// <summary>The text of the one console line of <paramref name="appId"/> that starts with <paramref name="prefix"/>, without it.</summary>
    protected string SingleLine(string appId, string prefix)
    {
        string line = Assert.Single(this.ConsoleLines(appId), l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line[prefix.Length..];
    }

    /// <summary>The JSON object at the end of the one console line of <paramref name="appId"/> starting with <paramref name="prefix"/>.</summary>
    protected JsonObject JsonLine(string appId, string prefix) => JsonNode.Parse(this.SingleLine(appId, prefix))!.AsObject();

    /// <summary>
    /// Starts a host with the open APIs over a store in memory (open data, payments, the user id), signs <see cref="User"/>
    /// in, revokes the sessions at logout — as the open-API end-to-end tests do — with <paramref name="configure"/> adding handlers.
    /// </summary>
    protected MiniAppHost StartOpenApiHost(MiniAppHostOptions options, OpenApiStore store, IPaymentProvider provider, out OpenApiService service, Action<IpcEventRegistry>? configure = null)
    {
        MiniAppHost? host = null;
        var account = new SampleMiniAppProxy(() => host?.UserId, new Dictionary<string, UserProfile>
        {
            [User] = new("Ada", "ada@example.invalid", "+86 138 0000 0000", new byte[16]),
        });
        var openApi = new OpenApiService(store, account, new OpenApiOptions());
        var registry = new IpcEventRegistry(IpcSide.Main);
        registry.Register(new OpenDataPlugin(openApi));
        registry.Register(new PaymentPlugin(openApi, provider));
        registry.AddHandler(WellKnownEvents.GetUserId, _ => Task.FromResult(new Bundle().PutString("userId", host?.UserId).PutString("nickName", "Ada")));
        configure?.Invoke(registry);
        host = this.StartHost(options, registry);
        host.SignIn(User);
        host.OnLogout(async () => await openApi.RevokeAllAsync());
        service = openApi;
        return host;
    }

    /// <summary>Calls the test mini app's echo in <paramref name="appId"/>'s process and asserts it answered.</summary>
    protected async Task AssertEchoesAsync(string appId)
    {
        IpcResult echo = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync(appId, IpcBroker.TestMiniApp.TestEvents.Echo, new Bundle().PutInt("n", 7)));
        Assert.True(echo.IsSuccess, $"{appId}: {echo}");
        Assert.Equal(7, echo.Data.GetInt("n"));
    }

    private static bool IsConsoleOf(TestLogRecord record, string appId) =>
        record.Category == ConsoleCategory && record.Message.StartsWith(appId + ": ", StringComparison.Ordinal);

    private static string TextOf(TestLogRecord record, string appId) => record.Message[(appId.Length + 2)..];
}
