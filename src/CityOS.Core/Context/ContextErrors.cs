namespace CityOS.Core.Context;

/// <summary>The one translation between NGSI-LD error types and <see cref="ContextErrorKind"/>, both ways.</summary>
public static class ContextErrors
{
    public static ContextErrorKind KindOf(NgsiLdErrorType type) => type switch
    {
        NgsiLdErrorType.InvalidRequest or NgsiLdErrorType.BadRequestData => ContextErrorKind.BadRequest,
        NgsiLdErrorType.ResourceNotFound => ContextErrorKind.NotFound,
        NgsiLdErrorType.NonexistentTenant => ContextErrorKind.TenantNotFound,
        NgsiLdErrorType.AlreadyExists => ContextErrorKind.AlreadyExists,
        NgsiLdErrorType.Conflict => ContextErrorKind.Conflict,
        NgsiLdErrorType.Unauthorized => ContextErrorKind.Unauthorized,
        NgsiLdErrorType.Forbidden => ContextErrorKind.Forbidden,
        NgsiLdErrorType.TooComplexQuery => ContextErrorKind.TooComplex,
        NgsiLdErrorType.TooManyResults => ContextErrorKind.TooManyResults,
        NgsiLdErrorType.PayloadTooLarge => ContextErrorKind.TooLarge,
        NgsiLdErrorType.OperationNotSupported or NgsiLdErrorType.NoMultiTenantSupport
            or NgsiLdErrorType.NotAcceptable or NgsiLdErrorType.UnsupportedMediaType => ContextErrorKind.NotSupported,
        NgsiLdErrorType.LdContextNotAvailable => ContextErrorKind.Unavailable,
        _ => ContextErrorKind.Internal,
    };

    public static NgsiLdErrorType NgsiLdTypeOf(ContextErrorKind kind) => kind switch
    {
        ContextErrorKind.BadRequest => NgsiLdErrorType.BadRequestData,
        ContextErrorKind.NotFound => NgsiLdErrorType.ResourceNotFound,
        ContextErrorKind.TenantNotFound => NgsiLdErrorType.NonexistentTenant,
        ContextErrorKind.AlreadyExists => NgsiLdErrorType.AlreadyExists,
        ContextErrorKind.Conflict => NgsiLdErrorType.Conflict,
        ContextErrorKind.Unauthorized => NgsiLdErrorType.Unauthorized,
        ContextErrorKind.Forbidden => NgsiLdErrorType.Forbidden,
        ContextErrorKind.TooComplex => NgsiLdErrorType.TooComplexQuery,
        ContextErrorKind.TooManyResults => NgsiLdErrorType.TooManyResults,
        ContextErrorKind.TooLarge => NgsiLdErrorType.PayloadTooLarge,
        ContextErrorKind.NotSupported => NgsiLdErrorType.OperationNotSupported,
        ContextErrorKind.Unavailable => NgsiLdErrorType.LdContextNotAvailable,
        _ => NgsiLdErrorType.InternalError,
    };

    public static ContextException ToContextException(this NgsiLdException error) => new(KindOf(error.Type), error.Detail);

    public static NgsiLdException ToNgsiLdException(this ContextException error) => new(NgsiLdTypeOf(error.Kind), error.Detail);
}
