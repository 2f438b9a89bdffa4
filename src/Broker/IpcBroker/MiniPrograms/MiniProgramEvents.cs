namespace IpcBroker.MiniPrograms;

/// <summary>
/// The mini-process events by which the host drives a mini program written in JavaScript (a package: <c>app.json</c> and
/// its scripts) through its lifecycle, and the keys of their requests. The host calls them only for an appId it maps to
/// a package; a mini executable that runs no JavaScript does not serve them.
/// </summary>
/// <remarks>
/// <para>The package travels in the <see cref="Launch"/> request, read by the host from the package directory: the mini
/// process never opens that directory, so the mini program cannot change it (and a spare, started before its appId was
/// known, needs no access to it).</para>
/// <para>Lifecycle as WeChat's <c>App()</c>: <see cref="Launch"/> once per process (the mini program's <c>onLaunch</c>,
/// then <c>onShow</c>; answered once both have run), <see cref="Show"/> when the host reopens a running mini program
/// (<c>onShow</c>), and the host's stop (standard input closed) runs <c>onHide</c> before the process ends.</para>
/// </remarks>
public static class MiniProgramEvents
{
    /// <summary>
    /// Loads the package and runs it: <see cref="FilesKey"/> (a bundle list, each entry <see cref="PathKey"/> and
    /// <see cref="TextKey"/>) and <see cref="EntryKey"/>. Answered once <c>onLaunch</c> and <c>onShow</c> have run;
    /// a failure (no <c>app.json</c>, a syntax error, no <c>App()</c>) is <see cref="IpcErrorCode.HandlerFailed"/> with the reason.
    /// A second launch in one process is refused.
    /// </summary>
    public const string Launch = "MINI_PROGRAM_LAUNCH";

    /// <summary>Runs the mini program's <c>onShow</c> (the host reopened it). Answered once it has run.</summary>
    public const string Show = "MINI_PROGRAM_SHOW";

    /// <summary>The request key of the package's files: a bundle list.</summary>
    public const string FilesKey = "files";

    /// <summary>A file's path in the package, relative, with <c>/</c> between its parts (<c>app.json</c>, <c>utils/format.js</c>).</summary>
    public const string PathKey = "path";

    /// <summary>A file's text (UTF-8 on disk).</summary>
    public const string TextKey = "text";

    /// <summary>The request key of the entry script's path in the package (from <c>app.json</c>'s <c>entry</c>; <c>app.js</c> by default).</summary>
    public const string EntryKey = "entry";

    /// <summary>The name of the package's manifest file.</summary>
    public const string ManifestFile = "app.json";

    /// <summary>The entry script when <c>app.json</c> names none.</summary>
    public const string DefaultEntry = "app.js";
}
