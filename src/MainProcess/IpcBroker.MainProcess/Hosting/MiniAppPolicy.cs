using System.Collections.Frozen;
using IpcBroker.Plugins;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>
/// What a host lets its mini programs do: which appIds may be started at all, and which main-process events each may
/// call. Set on <see cref="MiniAppHostOptions.Policy"/>; immutable, built fluently from <see cref="Unrestricted"/>.
/// </summary>
/// <remarks>
/// <para>The default, <see cref="Unrestricted"/>, is the host's behaviour without a policy: any valid appId may be started,
/// and every started mini program may call every registered event.</para>
/// <para>Three kinds of rule, each a restriction:</para>
/// <list type="bullet">
/// <item><see cref="AllowStarting"/>: only the listed appIds may be started (and call anything at all); without it, any.</item>
/// <item><see cref="LimitEvent"/>: the events matching a pattern may be called only by the listed appIds ("payments only
/// for wx-shop").</item>
/// <item><see cref="LimitApp"/>: an appId may call only the events matching its patterns ("wx-weather may call only
/// <c>OPEN_API_*</c> and <c>OPEN_DATA_IPC_EVENT_GET_USER_ID</c>").</item>
/// </list>
/// <para>Precedence: deny wins. A call is allowed only when every rule that applies to it allows it: its appId is
/// startable, its event matches one of its appId's patterns (if the appId is limited), and every event rule whose pattern
/// matches the event lists the appId. So a rule can only take permissions away, never grant one that another rule
/// withholds, and the order of the rules does not matter. (A "most specific pattern wins" rule would let an exact-name
/// rule widen a prefix rule; with deny wins, write the narrower list where it applies.) Calling one method twice for the
/// same pattern or appId adds to that rule's list.</para>
/// <para>A pattern is an event name, matched exactly, or a prefix followed by <c>*</c> (<c>OPEN_API_*</c>; <c>*</c> alone
/// matches every event); <c>*</c> may only end a pattern. Names and appIds are compared ordinally (case matters).
/// Nothing is checked while building; <see cref="Validate"/> (run by <see cref="MiniAppHost.Start"/>) refuses bad
/// patterns, bad appIds, and appIds named in a rule that <see cref="AllowStarting"/> does not list (most likely a typo).</para>
/// <para>The host enforces it on the identity it bound to each connection at the handshake (<see cref="IpcCaller.AppId"/>),
/// never on anything in a payload; a refused call fails with <see cref="IpcErrorCode.Denied"/>. It governs calls from mini
/// programs to the main process only. Thread-safety: immutable, so safe to share.</para>
/// </remarks>
public sealed class MiniAppPolicy
{
    private static readonly FrozenDictionary<string, FrozenSet<string>> NoRules = FrozenDictionary<string, FrozenSet<string>>.Empty;

    private readonly FrozenSet<string>? startable;
    private readonly FrozenDictionary<string, FrozenSet<string>> eventCallers;
    private readonly FrozenDictionary<string, FrozenSet<string>> appEvents;

    /// <summary>Initializes a new instance of the <see cref="MiniAppPolicy"/> class that restricts nothing (as <see cref="Unrestricted"/>).</summary>
    public MiniAppPolicy()
        : this(null, NoRules, NoRules)
    {
    }

    private MiniAppPolicy(FrozenSet<string>? startable, FrozenDictionary<string, FrozenSet<string>> eventCallers, FrozenDictionary<string, FrozenSet<string>> appEvents)
    {
        this.startable = startable;
        this.eventCallers = eventCallers;
        this.appEvents = appEvents;
        this.EventCallers = eventCallers.ToFrozenDictionary(r => r.Key, r => (IReadOnlySet<string>)r.Value, StringComparer.Ordinal);
        this.AppEvents = appEvents.ToFrozenDictionary(r => r.Key, r => (IReadOnlySet<string>)r.Value, StringComparer.Ordinal);
    }

    /// <summary>Gets the policy that restricts nothing: any appId may be started and call every event. The default.</summary>
    public static MiniAppPolicy Unrestricted { get; } = new();

    /// <summary>Gets a value indicating whether this policy restricts nothing.</summary>
    public bool IsUnrestricted => this.startable is null && this.eventCallers.Count == 0 && this.appEvents.Count == 0;

    /// <summary>Gets the appIds that may be started, or null when any may.</summary>
    public IReadOnlySet<string>? StartableAppIds => this.startable;

    /// <summary>Gets the event rules: a pattern, and the only appIds that may call the events it matches.</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>> EventCallers { get; }

    /// <summary>Gets the app rules: an appId, and the patterns of the only events it may call.</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>> AppEvents { get; }

    /// <summary>
    /// Returns a policy under which only the listed appIds (and those of earlier calls) may be started. Calling it with
    /// none changes nothing: without a list, any appId may be started.
    /// </summary>
    /// <param name="appIds">The appIds.</param>
    /// <returns>A new policy; this one is unchanged.</returns>
    public MiniAppPolicy AllowStarting(params string[] appIds)
    {
        ArgumentNullException.ThrowIfNull(appIds);
        if (appIds.Length == 0)
        {
            return this;
        }

        return new MiniAppPolicy(((IEnumerable<string>?)this.startable ?? []).Union(appIds, StringComparer.Ordinal).ToFrozenSet(StringComparer.Ordinal), this.eventCallers, this.appEvents);
    }

    /// <summary>
    /// Returns a policy under which the events matching <paramref name="eventPattern"/> may be called only by the listed
    /// appIds (and those of earlier calls for the same pattern). With none, no mini program may call them.
    /// </summary>
    /// <param name="eventPattern">An event name, or a prefix followed by <c>*</c>.</param>
    /// <param name="appIds">The appIds that may call them.</param>
    /// <returns>A new policy; this one is unchanged.</returns>
    public MiniAppPolicy LimitEvent(string eventPattern, params string[] appIds)
    {
        ArgumentNullException.ThrowIfNull(eventPattern);
        ArgumentNullException.ThrowIfNull(appIds);
        return new MiniAppPolicy(this.startable, Add(this.eventCallers, eventPattern, appIds), this.appEvents);
    }

    /// <summary>
    /// Returns a policy under which <paramref name="appId"/> may call only the events matching one of
    /// <paramref name="eventPatterns"/> (or of earlier calls for the same appId). With none, it may call nothing.
    /// </summary>
    /// <param name="appId">The mini program.</param>
    /// <param name="eventPatterns">Event names, or prefixes followed by <c>*</c>.</param>
    /// <returns>A new policy; this one is unchanged.</returns>
    public MiniAppPolicy LimitApp(string appId, params string[] eventPatterns)
    {
        ArgumentNullException.ThrowIfNull(appId);
        ArgumentNullException.ThrowIfNull(eventPatterns);
        return new MiniAppPolicy(this.startable, this.eventCallers, Add(this.appEvents, appId, eventPatterns));
    }

    /// <summary>Tells whether <paramref name="appId"/> may be started.</summary>
    /// <param name="appId">The mini program.</param>
    /// <returns><see langword="true"/> when no start list is set or it lists the appId.</returns>
    public bool MayStart(string appId) => this.startable is null || this.startable.Contains(appId);

    /// <summary>Tells whether <paramref name="appId"/> may call the main-process event <paramref name="eventId"/>.</summary>
    /// <param name="appId">The calling mini program.</param>
    /// <param name="eventId">The event.</param>
    /// <returns><see langword="true"/> when every rule that applies allows the call (see the remarks on precedence).</returns>
    public bool MayCall(string appId, string eventId)
    {
        if (!this.MayStart(appId))
        {
            return false;
        }

        if (this.appEvents.TryGetValue(appId, out FrozenSet<string>? allowed) && !MatchesAny(allowed, eventId))
        {
            return false;
        }

        foreach ((string pattern, FrozenSet<string> callers) in this.eventCallers)
        {
            if (Matches(pattern, eventId) && !callers.Contains(appId))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Checks every pattern and appId, and that every appId a rule names may be started.</summary>
    /// <exception cref="IpcConfigurationException">Naming every problem found.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        void CheckApp(string appId, string where)
        {
            if (!MiniAppKey.IsValidAppId(appId))
            {
                problems.Add($"{where}: '{appId}' is not a valid appId (use 1 to {MiniAppKey.MaxAppIdLength} ASCII letters, digits, '-', '_' or '.')");
            }
            else if (!this.MayStart(appId))
            {
                problems.Add($"{where}: '{appId}' is not listed by AllowStarting, so it can never call anything");
            }
        }

        void CheckPattern(string pattern, string where)
        {
            if (!IsValidPattern(pattern))
            {
                problems.Add($"{where}: '{pattern}' is not a valid event pattern (use an event name, or a prefix followed by '*'; '*' may only end a pattern)");
            }
        }

        foreach (string appId in (IEnumerable<string>?)this.startable ?? [])
        {
            CheckApp(appId, "AllowStarting");
        }

        foreach ((string pattern, FrozenSet<string> callers) in this.eventCallers)
        {
            CheckPattern(pattern, "LimitEvent");
            foreach (string appId in callers)
            {
                CheckApp(appId, $"LimitEvent(\"{pattern}\")");
            }
        }

        foreach ((string appId, FrozenSet<string> patterns) in this.appEvents)
        {
            CheckApp(appId, "LimitApp");
            foreach (string pattern in patterns)
            {
                CheckPattern(pattern, $"LimitApp(\"{appId}\")");
            }
        }

        if (problems.Count > 0)
        {
            throw new IpcConfigurationException("The mini program policy is not valid: " + string.Join("; ", problems.Order(StringComparer.Ordinal)) + ".");
        }
    }

    /// <summary>
    /// Says who may call <paramref name="eventId"/>: the appIds allowed (null: any appId, but those denied), and the
    /// appIds this policy names that may not. Both sorted.
    /// </summary>
    /// <param name="eventId">The event.</param>
    /// <returns>Who may, and who of those named may not.</returns>
    internal (IReadOnlyList<string>? Allowed, IReadOnlyList<string> Denied) CallersOf(string eventId)
    {
        IEnumerable<string> named = ((IEnumerable<string>?)this.startable ?? [])
            .Concat(this.appEvents.Keys)
            .Concat(this.eventCallers.Values.SelectMany(c => c))
            .Distinct(StringComparer.Ordinal);
        List<string> denied = named.Where(a => !this.MayCall(a, eventId)).Order(StringComparer.Ordinal).ToList();

        // Open-ended unless a start list or an event rule that applies bounds the callers to the appIds it names.
        bool bounded = this.startable is not null || this.eventCallers.Keys.Any(p => Matches(p, eventId));
        List<string>? allowed = bounded ? named.Where(a => this.MayCall(a, eventId)).Order(StringComparer.Ordinal).ToList() : null;
        return (allowed, denied);
    }

    /// <summary>Tells whether <paramref name="pattern"/> matches <paramref name="eventId"/>: equal, or a prefix of it when the pattern ends with <c>*</c>.</summary>
    private static bool Matches(string pattern, string eventId) => pattern.EndsWith('*')
        ? eventId.StartsWith(pattern.AsSpan(0, pattern.Length - 1), StringComparison.Ordinal)
        : string.Equals(pattern, eventId, StringComparison.Ordinal);

    private static bool MatchesAny(FrozenSet<string> patterns, string eventId)
    {
        foreach (string pattern in patterns)
        {
            if (Matches(pattern, eventId))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A valid event name, or a prefix of one followed by <c>*</c>, with no other <c>*</c>.</summary>
    private static bool IsValidPattern(string pattern)
    {
        string name = pattern.EndsWith('*') ? pattern[..^1] : pattern;
        return !name.Contains('*', StringComparison.Ordinal)
            && ((name.Length == 0 && pattern.Length == 1) || IpcEventRegistry.IsValidEventId(name, out _));
    }

    private static FrozenDictionary<string, FrozenSet<string>> Add(FrozenDictionary<string, FrozenSet<string>> rules, string key, string[] values)
    {
        var copy = new Dictionary<string, FrozenSet<string>>(rules, StringComparer.Ordinal);
        copy[key] = (copy.TryGetValue(key, out FrozenSet<string>? existing) ? existing : Enumerable.Empty<string>()).Union(values, StringComparer.Ordinal).ToFrozenSet(StringComparer.Ordinal);
        return copy.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
