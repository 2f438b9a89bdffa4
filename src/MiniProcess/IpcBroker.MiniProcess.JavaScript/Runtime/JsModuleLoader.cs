using Jint;
using Jint.Native;
using Jint.Native.Json;
using Jint.Native.Object;
using Jint.Runtime;
using Jint.Runtime.Interop;

namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>
/// CommonJS <c>require</c> over the package's files, held in memory: paths relative to the requiring module,
/// <c>.js</c> appended when missing, <c>.json</c> files parsed, one module object per file (cached), and cycles as Node
/// has them (a module required while it runs gets its <c>module.exports</c> as it stands).
/// </summary>
/// <remarks>
/// <para>A module's source is wrapped in a function on its first line, so its line numbers stay the file's.</para>
/// <para>
/// At most <see cref="MaxNestedRequires"/> <c>require</c> calls may be in progress at once; one more throws a JavaScript
/// <c>Error</c> the program can catch. Each nested require costs several native frames (evaluate, call, this method),
/// and a long chain of them overflowed the thread's stack while a runaway was rethrown through every frame. A catchable
/// error rather than a runaway: it is thrown at a bounded depth, so whatever unwinds it (or catches it and requires
/// again) passes through at most that many frames, which fit in any stack the options allow.
/// </para>
/// </remarks>
internal sealed class JsModuleLoader
{
    /// <summary>How many <c>require</c> calls may be in progress at once (the entry script not counted).</summary>
    public const int MaxNestedRequires = 256;

    private const string WrapperHead = "(function (exports, require, module, __filename, __dirname) {";
    private const string WrapperTail = "\n})";

    private readonly Engine engine;
    private readonly IReadOnlyDictionary<string, string> files;
    private readonly Dictionary<string, ObjectInstance> cache = new(StringComparer.Ordinal);
    private int nestedRequires;

    /// <summary>Initializes a new instance of the <see cref="JsModuleLoader"/> class.</summary>
    /// <param name="engine">The engine.</param>
    /// <param name="files">The package's files: path (relative, <c>/</c>-separated) → text.</param>
    public JsModuleLoader(Engine engine, IReadOnlyDictionary<string, string> files)
    {
        this.engine = engine;
        this.files = files;
    }

    /// <summary>Runs a module (the entry script) as if required from the package's root.</summary>
    /// <param name="path">Its path in the package.</param>
    /// <returns>Its <c>module.exports</c>.</returns>
    public JsValue RunMain(string path) => this.Require(string.Empty, path, nested: false);

    /// <summary>Normalizes a path in the package: <c>.</c> and <c>..</c> resolved against <paramref name="directory"/>.</summary>
    /// <param name="directory">The requiring module's directory (empty for the root).</param>
    /// <param name="specifier">The path as given; a leading <c>/</c> means the package's root.</param>
    /// <returns>The path, or null when it leaves the package.</returns>
    public static string? Resolve(string directory, string specifier)
    {
        var parts = new List<string>();
        if (!specifier.StartsWith('/'))
        {
            parts.AddRange(directory.Split('/', StringSplitOptions.RemoveEmptyEntries));
        }

        foreach (string part in specifier.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == "..")
            {
                if (parts.Count == 0)
                {
                    return null;
                }

                parts.RemoveAt(parts.Count - 1);
            }
            else if (part != ".")
            {
                parts.Add(part);
            }
        }

        return string.Join('/', parts);
    }

    private static string DirectoryOf(string path) => path.LastIndexOf('/') is var slash and >= 0 ? path[..slash] : string.Empty;

    private JsValue Require(string fromDirectory, string specifier, bool nested)
    {
        string? path = Resolve(fromDirectory, specifier);
        if (path is null || path.Length == 0)
        {
            throw new JavaScriptException(this.engine.Intrinsics.Error, $"require('{specifier}'): the path leaves the package.");
        }

        string? found = this.files.ContainsKey(path) ? path : this.files.ContainsKey(path + ".js") ? path + ".js" : null;
        if (found is null)
        {
            throw new JavaScriptException(this.engine.Intrinsics.Error, $"require('{specifier}'): the package has no file {path} or {path}.js.");
        }

        if (this.cache.TryGetValue(found, out ObjectInstance? cached))
        {
            return cached.Get("exports");
        }

        if (nested && this.nestedRequires >= MaxNestedRequires)
        {
            throw new JavaScriptException(this.engine.Intrinsics.Error, $"require('{specifier}'): require nested deeper than {MaxNestedRequires} modules.");
        }

        var module = new JsObject(this.engine);
        var exports = new JsObject(this.engine);
        module.Set("exports", exports);
        module.Set("id", found);
        module.Set("filename", found);
        this.cache[found] = module;
        if (nested)
        {
            this.nestedRequires++;
        }

        try
        {
            if (found.EndsWith(".json", StringComparison.Ordinal))
            {
                module.Set("exports", new JsonParser(this.engine).Parse(this.files[found]));
                return module.Get("exports");
            }

            string directory = DirectoryOf(found);
            JsValue wrapper = this.engine.Evaluate(WrapperHead + this.files[found] + WrapperTail, found);
            var require = new ClrFunction(this.engine, "require", (_, args) =>
                this.Require(directory, nested: true, specifier: args.Length > 0 && args[0] is JsString s ? s.ToString() : throw new JavaScriptException(this.engine.Intrinsics.TypeError, "require(path): path must be a string.")));
            this.engine.Call(wrapper, exports, [exports, require, module, found, directory]);
            return module.Get("exports");
        }
        catch
        {
            // Node forgets a module whose first run failed, so a later require tries again.
            this.cache.Remove(found);
            throw;
        }
        finally
        {
            if (nested)
            {
                this.nestedRequires--;
            }
        }
    }
}
