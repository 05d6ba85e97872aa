namespace CityOS.Context.Storage;

/// <summary>
/// An error of a storage engine, in the storage contract's own terms: each API maps it to its own errors at its
/// edge (the NGSI-LD broker through <see cref="CityOS.Context.Broker.StorageErrorMapping"/>), so that no engine
/// speaks any API's error language.
/// </summary>
public abstract class StorageException : Exception
{
    protected StorageException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

/// <summary>The tenant was never written to (reads of it have nothing to read).</summary>
public sealed class TenantNotFoundException(string tenant) : StorageException($"Tenant '{tenant}' does not exist.")
{
    public string Tenant { get; } = tenant;
}

/// <summary>The engine does not answer: it is shutting down, its file or server cannot be reached, or a commit failed.</summary>
public sealed class StorageUnavailableException(string message, Exception? inner = null) : StorageException(message, inner);

/// <summary>The engine is busy (a lock wait timed out) or a concurrent write conflicted; the operation may be retried.</summary>
public sealed class StorageBusyException(string message, Exception? inner = null) : StorageException(message, inner);

/// <summary>A stored document cannot be decoded (written by a newer version, or damaged).</summary>
public sealed class UnreadableDocumentException(string message, Exception? inner = null) : StorageException(message, inner);

/// <summary>A query's cursor (<see cref="EntityQuery.After"/>) is not one the engine gives.</summary>
public sealed class InvalidCursorException(string cursor) : StorageException($"'{cursor}' is not a cursor of this broker: pass the Next of a previous page.");
