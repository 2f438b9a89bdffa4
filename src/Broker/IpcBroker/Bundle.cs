using System.Diagnostics.CodeAnalysis;

namespace IpcBroker;

/// <summary>
/// An ordered, typed key/value payload, the C# counterpart of Android's <c>Bundle</c>: what every IPC call
/// carries in both directions.
/// </summary>
/// <remarks>
/// <para>Keys keep the order in which they were first put. Each value keeps its exact <see cref="BundleValueKind"/> on the wire.</para>
/// <para>Typed getters behave as Android's do: a missing key or a value of another kind gives the default.</para>
/// <para>Not thread-safe. Arrays and nested bundles are stored by reference, not copied: do not change one after
/// handing the bundle to a call.</para>
/// <para>Two bundles are equal when they hold the same keys with values of the same kinds and equal contents
/// (arrays element by element, nested bundles recursively); key order does not count.</para>
/// </remarks>
public sealed class Bundle : IEquatable<Bundle>
{
    private readonly OrderedDictionary<string, object?> entries;

    /// <summary>Initializes a new, empty instance of the <see cref="Bundle"/> class.</summary>
    public Bundle()
    {
        this.entries = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
    }

    /// <summary>Initializes a new instance of the <see cref="Bundle"/> class with room for <paramref name="capacity"/> entries.</summary>
    /// <param name="capacity">The number of entries expected.</param>
    public Bundle(int capacity)
    {
        this.entries = new OrderedDictionary<string, object?>(capacity, StringComparer.Ordinal);
    }

    /// <summary>Gets the number of entries.</summary>
    public int Count => this.entries.Count;

    /// <summary>Gets the keys, in the order they were first put.</summary>
    public IEnumerable<string> Keys => this.entries.Keys;

    /// <summary>Gets a value indicating whether the bundle has no entries.</summary>
    public bool IsEmpty => this.entries.Count == 0;

    /// <summary>Tells whether <paramref name="key"/> is present (even with a null value).</summary>
    /// <param name="key">The key.</param>
    /// <returns><see langword="true"/> if present.</returns>
    public bool ContainsKey(string key) => this.entries.ContainsKey(key);

    /// <summary>Removes <paramref name="key"/>.</summary>
    /// <param name="key">The key.</param>
    /// <returns><see langword="true"/> if it was present.</returns>
    public bool Remove(string key) => this.entries.Remove(key);

    /// <summary>Removes every entry.</summary>
    public void Clear() => this.entries.Clear();

    /// <summary>Gets the kind of the value stored under <paramref name="key"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="kind">The kind, when present.</param>
    /// <returns><see langword="true"/> if present.</returns>
    public bool TryGetKind(string key, out BundleValueKind kind)
    {
        if (this.entries.TryGetValue(key, out object? value))
        {
            kind = KindOf(value);
            return true;
        }

        kind = default;
        return false;
    }

    /// <summary>Gets the raw value stored under <paramref name="key"/>, whatever its kind.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value: null, string, bool, int, long, double, byte[], string?[], int[], long[], double[], <see cref="Bundle"/> or <see cref="IReadOnlyList{Bundle}"/>.</param>
    /// <returns><see langword="true"/> if present.</returns>
    public bool TryGetValue(string key, out object? value) => this.entries.TryGetValue(key, out value);

    /// <summary>Stores a null value.</summary>
    /// <param name="key">The key.</param>
    /// <returns>This bundle.</returns>
    public Bundle PutNull(string key) => this.Set(key, null);

    /// <summary>Stores a string (null stores a null value).</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns>This bundle.</returns>
    public Bundle PutString(string key, string? value) => this.Set(key, value);

    /// <summary>Stores a boolean.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns>This bundle.</returns>
    public Bundle PutBoolean(string key, bool value) => this.Set(key, value ? BoxedTrue : BoxedFalse);

    /// <summary>Stores a 32-bit integer.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns>This bundle.</returns>
    public Bundle PutInt(string key, int value) => this.Set(key, value);

    /// <summary>Stores a 64-bit integer.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns>This bundle.</returns>
    public Bundle PutLong(string key, long value) => this.Set(key, value);

    /// <summary>Stores a double.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns>This bundle.</returns>
    public Bundle PutDouble(string key, double value) => this.Set(key, value);

    /// <summary>Stores a byte array (null stores a null value).</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value, stored by reference.</param>
    /// <returns>This bundle.</returns>
    public Bundle PutByteArray(string key, byte[]? value) => this.Set(key, value);

    /// <summary>Stores a string array (null stores a null value).</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value, stored by reference.</param>
    /// <returns>This bundle.</returns>
    public Bundle PutStringArray(string key, string?[]? value) => this.Set(key, value);

    /// <summary>Stores an int array (null stores a null value).</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value, stored by reference.</param>
    /// <returns>This bundle.</returns>
    public Bundle PutIntArray(string key, int[]? value) => this.Set(key, value);

    /// <summary>Stores a long array (null stores a null value).</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value, stored by reference.</param>
    /// <returns>This bundle.</returns>
    public Bundle PutLongArray(string key, long[]? value) => this.Set(key, value);

    /// <summary>Stores a double array (null stores a null value).</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value, stored by reference.</param>
    /// <returns>This bundle.</returns>
    public Bundle PutDoubleArray(string key, double[]? value) => this.Set(key, value);

    /// <summary>Stores a nested bundle (null stores a null value).</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value, stored by reference.</param>
    /// <returns>This bundle.</returns>
    /// <exception cref="ArgumentException">When <paramref name="value"/> is this bundle.</exception>
    public Bundle PutBundle(string key, Bundle? value)
    {
        if (ReferenceEquals(value, this))
        {
            throw new ArgumentException("A bundle cannot contain itself.", nameof(value));
        }

        return this.Set(key, value);
    }

    /// <summary>Stores a list of nested bundles (null stores a null value).</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value; the list is copied, the bundles in it are not.</param>
    /// <returns>This bundle.</returns>
    /// <exception cref="ArgumentException">When the list holds a null element.</exception>
    public Bundle PutBundleList(string key, IEnumerable<Bundle>? value)
    {
        if (value is null)
        {
            return this.Set(key, null);
        }

        Bundle[] copy = value.ToArray();
        if (Array.IndexOf(copy, null) >= 0)
        {
            throw new ArgumentException("A bundle list cannot hold null elements.", nameof(value));
        }

        return this.Set(key, (IReadOnlyList<Bundle>)copy);
    }

    /// <summary>Gets a string.</summary>
    /// <param name="key">The key.</param>
    /// <param name="defaultValue">What to return when the key is missing or holds another kind.</param>
    /// <returns>The value.</returns>
    [return: NotNullIfNotNull(nameof(defaultValue))]
    public string? GetString(string key, string? defaultValue = null) => this.Get(key, defaultValue);

    /// <summary>Gets a boolean.</summary>
    /// <param name="key">The key.</param>
    /// <param name="defaultValue">What to return when the key is missing or holds another kind.</param>
    /// <returns>The value.</returns>
    public bool GetBoolean(string key, bool defaultValue = false) => this.Get(key, defaultValue);

    /// <summary>Gets a 32-bit integer (a long is not narrowed: it gives the default).</summary>
    /// <param name="key">The key.</param>
    /// <param name="defaultValue">What to return when the key is missing or holds another kind.</param>
    /// <returns>The value.</returns>
    public int GetInt(string key, int defaultValue = 0) => this.Get(key, defaultValue);

    /// <summary>Gets a 64-bit integer (an int is not widened: it gives the default).</summary>
    /// <param name="key">The key.</param>
    /// <param name="defaultValue">What to return when the key is missing or holds another kind.</param>
    /// <returns>The value.</returns>
    public long GetLong(string key, long defaultValue = 0) => this.Get(key, defaultValue);

    /// <summary>Gets a double.</summary>
    /// <param name="key">The key.</param>
    /// <param name="defaultValue">What to return when the key is missing or holds another kind.</param>
    /// <returns>The value.</returns>
    public double GetDouble(string key, double defaultValue = 0) => this.Get(key, defaultValue);

    /// <summary>Gets a byte array.</summary>
    /// <param name="key">The key.</param>
    /// <param name="defaultValue">What to return when the key is missing or holds another kind.</param>
    /// <returns>The value.</returns>
    public byte[]? GetByteArray(string key, byte[]? defaultValue = null) => this.Get(key, defaultValue);

    /// <summary>Gets a string array.</summary>
    /// <param name="key">The key.</param>
    /// <param name="defaultValue">What to return when the key is missing or holds another kind.</param>
    /// <returns>The value.</returns>
    public string?[]? GetStringArray(string key, string?[]? defaultValue = null) => this.Get(key, defaultValue);

    /// <summary>Gets an int array.</summary>
    /// <param name="key">The key.</param>
    /// <param name="defaultValue">What to return when the key is missing or holds another kind.</param>
    /// <returns>The value.</returns>
    public int[]? GetIntArray(string key, int[]? defaultValue = null) => this.Get(key, defaultValue);

    /// <summary>Gets a long array.</summary>
    /// <param name="key">The key.</param>
    /// <param name="defaultValue">What to return when the key is missing or holds another kind.</param>
    /// <returns>The value.</returns>
    public long[]? GetLongArray(string key, long[]? defaultValue = null) => this.Get(key, defaultValue);

    /// <summary>Gets a double array.</summary>
    /// <param name="key">The key.</param>
    /// <param name="defaultValue">What to return when the key is missing or holds another kind.</param>
    /// <returns>The value.</returns>
    public double[]? GetDoubleArray(string key, double[]? defaultValue = null) => this.Get(key, defaultValue);

    /// <summary>Gets a nested bundle.</summary>
    /// <param name="key">The key.</param>
    /// <param name="defaultValue">What to return when the key is missing or holds another kind.</param>
    /// <returns>The value.</returns>
    public Bundle? GetBundle(string key, Bundle? defaultValue = null) => this.Get(key, defaultValue);

    /// <summary>Gets a list of nested bundles.</summary>
    /// <param name="key">The key.</param>
    /// <param name="defaultValue">What to return when the key is missing or holds another kind.</param>
    /// <returns>The value.</returns>
    public IReadOnlyList<Bundle>? GetBundleList(string key, IReadOnlyList<Bundle>? defaultValue = null) => this.Get(key, defaultValue);

    /// <inheritdoc/>
    public bool Equals(Bundle? other) => other is not null && BundleEquality.AreEqual(this, other);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => this.Equals(obj as Bundle);

    /// <inheritdoc/>
    public override int GetHashCode() => BundleEquality.GetHashCode(this);

    /// <summary>Returns the bundle as compact JSON, for logs and transcripts.</summary>
    /// <returns>A JSON text.</returns>
    public override string ToString() => this.ToJsonObject().ToJsonString(DisplayOptions);

    /// <summary>Gets the entries in order, for code that walks a bundle (the wire encoder, equality, JSON).</summary>
    /// <returns>The entries.</returns>
    internal IEnumerable<KeyValuePair<string, object?>> Entries() => this.entries;

    /// <summary>Gets the kind of a raw value as stored by this class.</summary>
    /// <param name="value">A value taken from a bundle.</param>
    /// <returns>Its kind.</returns>
    internal static BundleValueKind KindOf(object? value) => value switch
    {
        null => BundleValueKind.Null,
        string => BundleValueKind.String,
        bool => BundleValueKind.Boolean,
        int => BundleValueKind.Int,
        long => BundleValueKind.Long,
        double => BundleValueKind.Double,
        byte[] => BundleValueKind.ByteArray,
        string?[] => BundleValueKind.StringArray,
        int[] => BundleValueKind.IntArray,
        long[] => BundleValueKind.LongArray,
        double[] => BundleValueKind.DoubleArray,
        Bundle => BundleValueKind.Bundle,
        IReadOnlyList<Bundle> => BundleValueKind.BundleList,
        _ => throw new InvalidOperationException("A bundle holds a value of a kind it does not support: " + value.GetType().Name),
    };

    /// <summary>Stores a value already known to be of a supported kind; used by the decoder.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    internal void SetRaw(string key, object? value) => this.entries[key] = value;

    private static readonly System.Text.Json.JsonSerializerOptions DisplayOptions = new()
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private static readonly object BoxedTrue = true;
    private static readonly object BoxedFalse = false;

    private Bundle Set(string key, object? value)
    {
        ArgumentNullException.ThrowIfNull(key);
        this.entries[key] = value;
        return this;
    }

    private T Get<T>(string key, T defaultValue) =>
        this.entries.TryGetValue(key, out object? value) && value is T typed ? typed : defaultValue;
}
