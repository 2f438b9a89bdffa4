using System.Reflection;
using Microsoft.Extensions.DependencyInjection;

namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>The custom APIs of the mini process: each <c>api_name</c> to its one handler, built from the <c>AddJsPlugin</c> registrations.</summary>
/// <remarks>Built once when the runtime starts and read-only after, so lookups need no lock.</remarks>
internal sealed class JsPluginRegistry
{
    private readonly Dictionary<string, JsPluginHandler> handlers = new(StringComparer.Ordinal);

    /// <summary>Initializes a new instance of the <see cref="JsPluginRegistry"/> class.</summary>
    /// <param name="registrations">The registered plugin types.</param>
    /// <param name="services">Where their instances come from.</param>
    /// <exception cref="InvalidOperationException">A type is not marked <see cref="JsPluginAttribute"/>, a handler has the wrong signature, or two handlers serve one <c>api_name</c>.</exception>
    public JsPluginRegistry(IEnumerable<JsPluginRegistration> registrations, IServiceProvider services)
    {
        foreach (Type type in registrations.Select(r => r.PluginType).Distinct())
        {
            if (type.GetCustomAttribute<JsPluginAttribute>() is null)
            {
                throw new InvalidOperationException($"{type.FullName} is registered as a JS plugin but is not marked [JsPlugin].");
            }

            object instance = services.GetRequiredService(type);
            foreach (MethodInfo method in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                if (method.GetCustomAttribute<JsEventAttribute>() is not { } events)
                {
                    continue;
                }

                JsPluginHandler handler = Bind(type, method, method.IsStatic ? null : instance);
                foreach (string name in events.Names)
                {
                    if (string.IsNullOrEmpty(name))
                    {
                        throw new InvalidOperationException($"The JS plugin handler {handler.Method} has an empty api_name in [JsEvent].");
                    }

                    if (this.handlers.TryGetValue(name, out JsPluginHandler? earlier))
                    {
                        throw new InvalidOperationException($"Two JS plugin handlers serve the api_name '{name}': {earlier.Method} and {handler.Method}.");
                    }

                    this.handlers.Add(name, handler);
                }
            }
        }
    }

    /// <summary>Gets the <c>api_name</c>s served.</summary>
    public IReadOnlyCollection<string> ApiNames => this.handlers.Keys;

    /// <summary>Finds the handler of an <c>api_name</c>.</summary>
    /// <param name="apiName">The name.</param>
    /// <param name="handler">The handler, when found.</param>
    /// <returns>Whether one serves it.</returns>
    public bool TryGet(string apiName, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out JsPluginHandler? handler) => this.handlers.TryGetValue(apiName, out handler);

    private static JsPluginHandler Bind(Type type, MethodInfo method, object? target)
    {
        string name = $"{type.FullName}.{method.Name}";
        ParameterInfo[] parameters = method.GetParameters();
        if (method.IsGenericMethodDefinition || parameters.Length != 1 || parameters[0].ParameterType != typeof(JsPluginRequest))
        {
            throw new InvalidOperationException($"The JS plugin handler {name} must take one JsPluginRequest and return void, Task or JsSyncAnswer.");
        }

        // Delegates bound once here: the per-call path is a delegate call, not reflection.
        if (method.ReturnType == typeof(void))
        {
            Action<JsPluginRequest> action = method.CreateDelegate<Action<JsPluginRequest>>(target);
            return new JsPluginHandler(name, IsAsync: false, r =>
            {
                action(r);
                return Task.CompletedTask;
            });
        }

        if (typeof(Task).IsAssignableFrom(method.ReturnType))
        {
            Func<JsPluginRequest, Task> func = (Func<JsPluginRequest, Task>)method.CreateDelegate(typeof(Func<,>).MakeGenericType(typeof(JsPluginRequest), method.ReturnType), target);
            return new JsPluginHandler(name, IsAsync: true, func);
        }

        if (method.ReturnType == typeof(JsSyncAnswer))
        {
            Func<JsPluginRequest, JsSyncAnswer> func = method.CreateDelegate<Func<JsPluginRequest, JsSyncAnswer>>(target);
            return new JsPluginHandler(name, IsAsync: false, r =>
            {
                _ = func(r);
                return Task.CompletedTask;
            });
        }

        throw new InvalidOperationException($"The JS plugin handler {name} must take one JsPluginRequest and return void, Task or JsSyncAnswer (it returns {method.ReturnType.Name}).");
    }
}
