namespace IpcBroker;

/// <summary>
/// The exact type of a value held in a <see cref="Bundle"/>. Each kind crosses the wire as itself:
/// an <see cref="Int"/> never comes back as a <see cref="Long"/>, an empty array keeps its element type.
/// </summary>
/// <remarks>The numeric values are part of the wire format (see <c>BundleFormatter</c>); never renumber them.</remarks>
public enum BundleValueKind : byte
{
    /// <summary>A null value.</summary>
    Null = 0,

    /// <summary>A <see cref="string"/>.</summary>
    String = 1,

    /// <summary>A <see cref="bool"/>.</summary>
    Boolean = 2,

    /// <summary>A 32-bit <see cref="int"/>.</summary>
    Int = 3,

    /// <summary>A 64-bit <see cref="long"/>.</summary>
    Long = 4,

    /// <summary>A <see cref="double"/>.</summary>
    Double = 5,

    /// <summary>A <see cref="byte"/> array.</summary>
    ByteArray = 6,

    /// <summary>A <see cref="string"/> array (elements may be null).</summary>
    StringArray = 7,

    /// <summary>An <see cref="int"/> array.</summary>
    IntArray = 8,

    /// <summary>A <see cref="long"/> array.</summary>
    LongArray = 9,

    /// <summary>A <see cref="double"/> array.</summary>
    DoubleArray = 10,

    /// <summary>A nested <see cref="Bundle"/>.</summary>
    Bundle = 11,

    /// <summary>A list of nested bundles.</summary>
    BundleList = 12,
}
