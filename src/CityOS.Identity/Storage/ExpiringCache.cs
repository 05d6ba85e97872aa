using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace CityOS.Identity.Storage;

/// <summary>
/// A bounded in-memory map from a string to what identity.db said about it, each entry good until its own time.
/// A fill that read the database before an invalidation never lands after it: <see cref="Add"/> takes the
/// <see cref="Generation"/> read before the database was, and every invalidation moves the generation on.
/// A capacity of 0 caches nothing.
/// </summary>
public sealed class ExpiringCache<T>(int capacity) where T : class
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _generation;

    public long Generation => Interlocked.Read(ref _generation);

    public int Count => _entries.Count;

    public bool TryGet(string key, DateTimeOffset now, [MaybeNullWhen(false)] out T value)
    {
        if (_entries.TryGetValue(key, out var entry) && entry.Until > now)
        {
            value = entry.Value;
            return true;
        }
        value = null;
        return false;
    }

    /// <summary>Keeps <paramref name="value"/> until <paramref name="until"/>, unless an invalidation came after <paramref name="generation"/>.</summary>
    public void Add(string key, T value, DateTimeOffset until, long generation, DateTimeOffset now)
    {
        if (capacity <= 0 || until <= now || generation != Generation) return;
        if (_entries.Count >= capacity) Evict(now);
        _entries[key] = new Entry(value, until);
        // An invalidation between the check above and the write may have missed this entry.
        if (generation != Generation) _entries.TryRemove(key, out _);
    }

    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }

    public void RemoveWhere(Func<T, bool> match)
    {
        Interlocked.Increment(ref _generation);
        foreach (var (key, entry) in _entries)
        {
            if (match(entry.Value)) _entries.TryRemove(key, out _);
        }
    }

    /// <summary>Drops the entries that are due, then arbitrary ones down to three quarters of the capacity, so a full cache costs one sweep per many additions.</summary>
    private void Evict(DateTimeOffset now)
    {
        foreach (var (key, entry) in _entries)
        {
            if (entry.Until <= now) _entries.TryRemove(key, out _);
        }
        var excess = _entries.Count - capacity * 3 / 4;
        if (excess <= 0) return;
        foreach (var key in _entries.Keys.Take(excess)) _entries.TryRemove(key, out _);
    }

    private sealed record Entry(T Value, DateTimeOffset Until);
}
