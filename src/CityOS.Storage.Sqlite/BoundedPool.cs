using System.Collections.Concurrent;

namespace CityOS.Storage.Sqlite;

/// <summary>
/// At most <c>capacity</c> pooled items (read connections of one database file): an item is made when none is free and
/// fewer than the capacity exist; past that a caller waits until another returns one. Thread-safe.
/// </summary>
public sealed class BoundedPool<T>(int capacity, Func<T> create) : IDisposable where T : class, IDisposable
{
    private readonly SemaphoreSlim _slots = new(capacity, capacity);
    private readonly ConcurrentBag<T> _free = [];

    /// <summary>A free item, a new one while fewer than the capacity exist, or else the next one returned.</summary>
    public T Take()
    {
        _slots.Wait();
        if (_free.TryTake(out var item)) return item;
        try
        {
            return create();
        }
        catch
        {
            _slots.Release();
            throw;
        }
    }

    public void Return(T item)
    {
        _free.Add(item);
        _slots.Release();
    }

    /// <summary>Disposes the pooled items; every item taken must have been returned.</summary>
    public void Dispose()
    {
        while (_free.TryTake(out var item)) item.Dispose();
        _slots.Dispose();
    }
}
