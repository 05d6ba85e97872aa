namespace CityOS.Core.Context;

/// <summary>What went wrong in a call of the context API, independent of any API's error vocabulary (NGSI-LD, NGSI-v2, CKAN).</summary>
public enum ContextErrorKind
{
    /// <summary>The input is not valid (a malformed entity, an unknown query term, an invalid id).</summary>
    BadRequest,

    /// <summary>The entity (or the attribute) does not exist, or the caller may not see it.</summary>
    NotFound,

    /// <summary>The tenant does not exist (it is created by its first write).</summary>
    TenantNotFound,

    /// <summary>An entity with this id exists already.</summary>
    AlreadyExists,

    /// <summary>The operation conflicts with the current state.</summary>
    Conflict,

    /// <summary>The caller is anonymous and needs to authenticate for this operation.</summary>
    Unauthorized,

    /// <summary>The caller's grants do not cover the operation.</summary>
    Forbidden,

    /// <summary>The query is too costly (it ran past its time budget).</summary>
    TooComplex,

    /// <summary>More results than one page may hold were asked for.</summary>
    TooManyResults,

    /// <summary>The input is larger than the configured limits allow.</summary>
    TooLarge,

    /// <summary>The operation is not supported.</summary>
    NotSupported,

    /// <summary>Something the operation needs (a remote @context, the store) cannot be reached now; retry later.</summary>
    Unavailable,

    /// <summary>An unexpected failure of the implementation.</summary>
    Internal,
}

/// <summary>An error of the context API: its kind and a text for people (safe to show to the caller).</summary>
public sealed record ContextError(ContextErrorKind Kind, string Detail);

/// <summary>Thrown by <see cref="IContextReader"/> and <see cref="IContextWriter"/> when a call fails; nothing was changed.</summary>
public sealed class ContextException(ContextErrorKind kind, string detail) : Exception(detail)
{
    public ContextErrorKind Kind { get; } = kind;
    public string Detail { get; } = detail;
    public ContextError Error => new(Kind, Detail);
}
