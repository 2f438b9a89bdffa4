namespace IpcBroker;

/// <summary>Deep, kind-exact equality for <see cref="Bundle"/>; key order does not count.</summary>
internal static class BundleEquality
{
    internal static bool AreEqual(Bundle a, Bundle b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        if (a.Count != b.Count)
        {
            return false;
        }

        foreach (KeyValuePair<string, object?> entry in a.Entries())
        {
            if (!b.TryGetValue(entry.Key, out object? other) || !ValuesEqual(entry.Value, other))
            {
                return false;
            }
        }

        return true;
    }

    internal static int GetHashCode(Bundle bundle)
    {
        // Order-insensitive: entries are combined with XOR. Arrays contribute their kind and length only, which is
        // enough for a hash and keeps it cheap.
        int hash = bundle.Count;
        foreach (KeyValuePair<string, object?> entry in bundle.Entries())
        {
            hash ^= HashCode.Combine(StringComparer.Ordinal.GetHashCode(entry.Key), ValueHash(entry.Value));
        }

        return hash;
    }

    private static bool ValuesEqual(object? x, object? y)
    {
        BundleValueKind kind = Bundle.KindOf(x);
        if (kind != Bundle.KindOf(y))
        {
            return false;
        }

        return kind switch
        {
            BundleValueKind.Null => true,
            BundleValueKind.ByteArray => ((byte[])x!).AsSpan().SequenceEqual((byte[])y!),
            BundleValueKind.StringArray => ((string?[])x!).AsSpan().SequenceEqual((string?[])y!),
            BundleValueKind.IntArray => ((int[])x!).AsSpan().SequenceEqual((int[])y!),
            BundleValueKind.LongArray => ((long[])x!).AsSpan().SequenceEqual((long[])y!),
            BundleValueKind.DoubleArray => ((double[])x!).AsSpan().SequenceEqual((double[])y!),
            BundleValueKind.Bundle => AreEqual((Bundle)x!, (Bundle)y!),
            BundleValueKind.BundleList => ListsEqual((IReadOnlyList<Bundle>)x!, (IReadOnlyList<Bundle>)y!),
            _ => x!.Equals(y),
        };
    }

    private static bool ListsEqual(IReadOnlyList<Bundle> x, IReadOnlyList<Bundle> y)
    {
        if (x.Count != y.Count)
        {
            return false;
        }

        for (int i = 0; i < x.Count; i++)
        {
            if (!AreEqual(x[i], y[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static int ValueHash(object? value) => value switch
    {
        null => 0,
        Array array => HashCode.Combine(Bundle.KindOf(value), array.Length),
        Bundle nested => GetHashCode(nested),
        IReadOnlyList<Bundle> list => HashCode.Combine(BundleValueKind.BundleList, list.Count),
        _ => value.GetHashCode(),
    };
}
