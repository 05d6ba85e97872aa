using CityOS.Context.Model;

namespace CityOS.Context.Storage.Sqlite;

/// <summary>
/// The journal's recent changes as the writer committed them, in memory: consumers in this process get the entities the
/// writer already held instead of parsing both documents of the journal row again. A change not here (after a restart,
/// or one pushed out by newer ones while a consumer lagged) is read from the journal as before; the journal stays the
/// record, this only saves its decoding.
/// </summary>
internal sealed class JournalCache(int capacity)
{
    /// <summary>One committed change: the writer's before and after entities (never changed once here).</summary>
    public sealed record Entry(long Sequence, string EntityId, long At, Entity? Before, Entity? After);

    private readonly Lock _gate = new();
    private readonly Dictionary<long, Entry> _entries = [];
    private readonly Queue<long> _order = new();

    /// <summary>Adds the changes of a commit, once it is durable; the oldest go when past capacity.</summary>
    public void Add(List<Entry> committed)
    {
        if (committed.Count == 0) return;
        lock (_gate)
        {
            foreach (var entry in committed)
            {
                _entries[entry.Sequence] = entry;
                _order.Enqueue(entry.Sequence);
            }
            while (_order.Count > capacity) _entries.Remove(_order.Dequeue());
        }
    }

    public Entry? Find(long sequence)
    {
        lock (_gate) return _entries.GetValueOrDefault(sequence);
    }

    /// <summary>Drops the changes every consumer has acknowledged.</summary>
    public void Forget(long upTo)
    {
        lock (_gate)
        {
            while (_order.TryPeek(out var oldest) && oldest <= upTo) _entries.Remove(_order.Dequeue());
        }
    }

    public int Count
    {
        get
        {
            lock (_gate) return _entries.Count;
        }
    }
}
