using System.Collections.Concurrent;
using System.Reflection;

namespace IpcBroker.Plugins;

/// <summary>The events one side answers, by name. Built once at start-up; looked up on every incoming call.</summary>
/// <remarks>
/// Registration reflects over a plugin once and turns each handler into a delegate, so a call costs a dictionary
/// look-up and a delegate call, never reflection. Registering may happen while calls are served: the table is a
/// concurrent dictionary.
/// </remarks>
public sealed class IpcEventRegistry
{
    /// <summary>The longest event name accepted (in characters).</summary>
    public const int MaxEventIdLength = 256;

    private static readonly string TooLongProblem = $"the event name is longer than {MaxEventIdLength} characters";

    private readonly ConcurrentDictionary<string, IpcEventHandler> handlers = new(StringComparer.Ordinal);

    /// <summary>Initializes a new instance of the <see cref="IpcEventRegistry"/> class.</summary>
    /// <param name="side">The side whose events this holds; plugins marked for the other side are refused.</param>
    public IpcEventRegistry(IpcSide side)
    {
        this.Side = side;
    }

    /// <summary>Gets the side whose events this holds.</summary>
    public IpcSide Side { get; }

    /// <summary>Gets the registered events.</summary>
    public IEnumerable<IpcEventHandler> Events => this.handlers.Values;

    /// <summary>Tells whether <paramref name="eventId"/> is a well-formed event name.</summary>
    /// <param name="eventId">The name.</param>
    /// <param name="problem">What is wrong with it.</param>
    /// <returns><see langword="true"/> if it is well-formed.</returns>
    public static bool IsValidEventId(string? eventId, out string problem)
    {
        // Runs on every call, both ways: a loop and constant messages, so that a valid name costs no allocation.
        problem = eventId switch
        {
            null or "" => "the event name is empty",
            { Length: > MaxEventIdLength } => TooLongProblem,
            _ when ContainsControlCharacter(eventId) => "the event name contains control characters",
            _ => string.Empty,
        };
        return problem.Length == 0;
    }

    /// <summary>Registers every <see cref="IpcEventAttribute"/> method of <paramref name="plugin"/>.</summary>
    /// <param name="plugin">
    /// The plugin: an instance of a class marked with this side's attribute (<see cref="IpcMainPluginAttribute"/> or
    /// <see cref="IpcMiniPluginAttribute"/>), which is its only mark.
    /// </param>
    /// <exception cref="IpcConfigurationException">When the plugin's class is marked for the other side, for both or not at all, has no <see cref="IpcEventAttribute"/> method, or one with an unsupported signature; the message names the class.</exception>
    /// <exception cref="InvalidOperationException">When an event already has a handler.</exception>
    public void Register(object plugin)
    {
        ArgumentNullException.ThrowIfNull(plugin);
        Type type = plugin.GetType();
        bool main = type.IsDefined(typeof(IpcMainPluginAttribute), inherit: false);
        bool mini = type.IsDefined(typeof(IpcMiniPluginAttribute), inherit: false);
        IpcSide? marked = (main, mini) switch
        {
            (true, false) => IpcSide.Main,
            (false, true) => IpcSide.Mini,
            _ => null,
        };
        if (marked is null)
        {
            throw new IpcConfigurationException($"Plugin {type.FullName} must be marked with exactly one of [IpcMainPlugin] or [IpcMiniPlugin] (the side it serves).");
        }

        if (marked != this.Side)
        {
            throw new IpcConfigurationException($"Plugin {type.FullName} is marked for the {marked} side and cannot be registered on the {this.Side} side.");
        }

        var found = new List<IpcEventHandler>();
        foreach (MethodInfo method in type.GetMethods(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            if (method.GetCustomAttribute<IpcEventAttribute>() is { } attribute)
            {
                found.Add(CreateHandler(plugin, method, attribute));
            }
        }

        if (found.Count == 0)
        {
            throw new IpcConfigurationException($"Plugin {type.FullName} has no method marked [IpcEvent].");
        }

        foreach (IpcEventHandler handler in found)
        {
            this.Add(handler);
        }
    }

    /// <summary>Registers a handler in the plain form: the returned bundle is the answer, a thrown exception a failure.</summary>
    /// <param name="eventId">The event name.</param>
    /// <param name="handler">The handler.</param>
    /// <param name="timeout">The event's own deadline, or null.</param>
    /// <param name="description">A one-line description.</param>
    /// <exception cref="InvalidOperationException">When the event already has a handler.</exception>
    public void AddHandler(string eventId, Func<IpcRequest, Task<Bundle>> handler, TimeSpan? timeout = null, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        this.Add(new IpcEventHandler(eventId, AnswerWithResult(handler), timeout, description, "delegate " + (handler.Method.DeclaringType?.Name + "." + handler.Method.Name)));
    }

    /// <summary>Registers a handler that answers through the request (<see cref="IpcRequest.Ok"/>), now or later.</summary>
    /// <param name="eventId">The event name.</param>
    /// <param name="handler">The handler.</param>
    /// <param name="timeout">The event's own deadline, or null.</param>
    /// <param name="description">A one-line description.</param>
    /// <exception cref="InvalidOperationException">When the event already has a handler.</exception>
    public void AddHandler(string eventId, Action<IpcRequest> handler, TimeSpan? timeout = null, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        this.Add(new IpcEventHandler(eventId, Synchronous(handler), timeout, description, "delegate " + (handler.Method.DeclaringType?.Name + "." + handler.Method.Name)));
    }

    /// <summary>Finds the handler of <paramref name="eventId"/>.</summary>
    /// <param name="eventId">The event name.</param>
    /// <param name="handler">The handler.</param>
    /// <returns><see langword="true"/> if there is one.</returns>
    public bool TryGetHandler(string eventId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IpcEventHandler? handler) => this.handlers.TryGetValue(eventId, out handler);

    private static bool ContainsControlCharacter(string eventId)
    {
        foreach (char c in eventId)
        {
            if (char.IsControl(c))
            {
                return true;
            }
        }

        return false;
    }

    private void Add(IpcEventHandler handler)
    {
        if (!IsValidEventId(handler.EventId, out string problem))
        {
            throw new ArgumentException($"Cannot register {handler.Source}: {problem}.", nameof(handler));
        }

        if (!this.handlers.TryAdd(handler.EventId, handler))
        {
            throw new InvalidOperationException($"Event '{handler.EventId}' already has a handler ({this.handlers[handler.EventId].Source}); {handler.Source} cannot be registered for it too.");
        }
    }

    private static IpcEventHandler CreateHandler(object plugin, MethodInfo method, IpcEventAttribute attribute)
    {
        string source = $"{method.DeclaringType?.FullName}.{method.Name}";
        ParameterInfo[] parameters = method.GetParameters();
        if (parameters.Length != 1 || parameters[0].ParameterType != typeof(IpcRequest) || method.IsGenericMethodDefinition)
        {
            throw new IpcConfigurationException($"{source} must take exactly one IpcRequest parameter.");
        }

        Func<IpcRequest, Task> invoke = method.ReturnType switch
        {
            Type t when t == typeof(void) => Synchronous(method.CreateDelegate<Action<IpcRequest>>(plugin)),
            Type t when t == typeof(Task) => method.CreateDelegate<Func<IpcRequest, Task>>(plugin),
            Type t when t == typeof(Task<Bundle>) => AnswerWithResult(method.CreateDelegate<Func<IpcRequest, Task<Bundle>>>(plugin)),
            Type t when t == typeof(Bundle) => AnswerWithResult(Wrap(method.CreateDelegate<Func<IpcRequest, Bundle>>(plugin))),
            _ => throw new IpcConfigurationException($"{source} must return void, Task, Bundle or Task<Bundle>, not {method.ReturnType.Name}."),
        };
        TimeSpan? timeout = attribute.TimeoutMilliseconds > 0 ? TimeSpan.FromMilliseconds(attribute.TimeoutMilliseconds) : null;
        return new IpcEventHandler(attribute.EventId, invoke, timeout, attribute.Description, source);
    }

    private static Func<IpcRequest, Task<Bundle>> Wrap(Func<IpcRequest, Bundle> handler) => request => Task.FromResult(handler(request));

    private static Func<IpcRequest, Task> Synchronous(Action<IpcRequest> handler) => request =>
    {
        handler(request);
        return Task.CompletedTask;
    };

    private static Func<IpcRequest, Task> AnswerWithResult(Func<IpcRequest, Task<Bundle>> handler) => async request =>
    {
        Bundle response = await handler(request).ConfigureAwait(false);
        request.Ok(response);
    };
}
