namespace ReliabilityHarness.Ingest;

/// <summary>
/// Which ids of a run may have come before, in fixed memory: a Bloom filter of 2^27 bits (16 MiB) with four probes,
/// blocked (all four in one 64-byte block, so one cache miss per id instead of four; Putze, Sanders, Singler,
/// "Cache-, hash- and space-efficient Bloom filters", 2007).
/// An id it has surely not seen is new; one it may have seen becomes a suspect, to be settled against the staging
/// table. For 1,000,000 distinct ids about a dozen are false suspects; a real repeat is always a suspect. Past
/// <see cref="MaxSuspects"/> the run checks every staged row instead (one ordered scan), so nothing here grows
/// with the input. The first <see cref="ExactIds"/> ids are kept exactly instead (a small input needs no 16 MiB and
/// has no false suspects); the filter takes over past them.
/// </summary>
internal sealed class SeenIds
{
    /// <summary>The most suspects looked up by id (one IN list; SQL Server allows 2,100 parameters).</summary>
    public const int MaxSuspects = 500;

    private const int BitCount = 1 << 27;
    private const int BlockBits = 512;
    private const int Probes = 4;

    /// <summary>How many ids are remembered exactly before the filter takes over.</summary>
    public const int ExactIds = 1 << 16;

    private readonly bool exactOnly;
    private readonly HashSet<string> suspects = new(StringComparer.Ordinal);
    private HashSet<string>? exact = new(StringComparer.Ordinal);
    private ulong[]? bits;

    private volatile bool surelyRepeated;

    /// <summary>An id surely occurs twice (one of the ids kept exactly came again).</summary>
    public bool SurelyRepeated => surelyRepeated;

    /// <summary>Some id may occur twice.</summary>
    public bool MaybeRepeated => AllRowsNeeded || suspects.Count > 0;

    /// <summary>Too many suspects to list: every staged row must be checked.</summary>
    public bool AllRowsNeeded { get; private set; }

    public IReadOnlyCollection<string> Suspects => suspects;

    /// <param name="exactOnly">
    /// Look only at the ids kept exactly and forget the rest (no filter): for a first load, where the only question
    /// is whether to stop early, and the table's key finds any later repeat.
    /// </param>
    public SeenIds(bool exactOnly = false) => this.exactOnly = exactOnly;

    public void Add(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (exact is null && exactOnly)
        {
            return;
        }

        if (exact is not null)
        {
            if (!exact.Add(id))
            {
                surelyRepeated = true;
                Suspect(id);
            }
            else if (exact.Count > ExactIds && exactOnly)
            {
                exact = null;
            }
            else if (exact.Count > ExactIds)
            {
                bits = new ulong[BitCount / 64];
                foreach (var known in exact)
                {
                    Filter(known);
                }

                exact = null;
            }

            return;
        }

        if (Filter(id))
        {
            Suspect(id);
        }
    }

    /// <summary>Adds the id to the filter; whether it may have been there already.</summary>
    private bool Filter(string id)
    {
        var hash = Hash(id);
        var block = (int)(hash & ((BitCount / BlockBits) - 1)) * (BlockBits / 64);
        var present = true;
        for (var i = 0; i < Probes; i++)
        {
            var bit = (int)(hash >> (20 + (9 * i))) & (BlockBits - 1);
            ref var word = ref bits![block + (bit >> 6)];
            var mask = 1UL << (int)(bit & 63);
            present &= (word & mask) != 0;
            word |= mask;
        }

        return present;
    }

    private void Suspect(string id)
    {
        if (AllRowsNeeded)
        {
            return;
        }

        if (suspects.Count == MaxSuspects && !suspects.Contains(id))
        {
            AllRowsNeeded = true;
            suspects.Clear();
            return;
        }

        suspects.Add(id);
    }

    // FNV-1a over the UTF-16 code units, then the SplitMix64 finaliser so that ids differing in one character
    // spread over the whole filter. Stable across processes, unlike string.GetHashCode.
    private static ulong Hash(string id)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in id)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        hash = (hash ^ (hash >> 30)) * 0xBF58476D1CE4E5B9UL;
        hash = (hash ^ (hash >> 27)) * 0x94D049BB133111EBUL;
        return hash ^ (hash >> 31);
    }
}
