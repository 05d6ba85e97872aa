namespace CityOS.Core;

/// <summary>The error types of ETSI GS CIM 009 (5.5.2) with the HTTP status each one maps to.</summary>
public enum NgsiLdErrorType
{
    InvalidRequest,
    BadRequestData,
    AlreadyExists,
    OperationNotSupported,
    ResourceNotFound,
    InternalError,
    TooComplexQuery,
    TooManyResults,
    LdContextNotAvailable,
    NoMultiTenantSupport,
    NonexistentTenant,
    Conflict,
    NotAcceptable,
    UnsupportedMediaType,
    PayloadTooLarge,
    Forbidden,
    Unauthorized,
}

public static class NgsiLdErrors
{
    private const string Base = "https://uri.etsi.org/ngsi-ld/errors/";

    public static string TypeUri(NgsiLdErrorType type) => type switch
    {
        NgsiLdErrorType.NotAcceptable => "https://uri.etsi.org/ngsi-ld/errors/NotAcceptable",
        NgsiLdErrorType.UnsupportedMediaType => "https://uri.etsi.org/ngsi-ld/errors/UnsupportedMediaType",
        NgsiLdErrorType.PayloadTooLarge => "https://uri.etsi.org/ngsi-ld/errors/PayloadTooLarge",
        NgsiLdErrorType.Conflict => "https://uri.etsi.org/ngsi-ld/errors/Conflict",
        NgsiLdErrorType.Forbidden => "https://uri.etsi.org/ngsi-ld/errors/Forbidden",
        NgsiLdErrorType.Unauthorized => "https://uri.etsi.org/ngsi-ld/errors/Unauthorized",
        _ => Base + type,
    };

    public static int Status(NgsiLdErrorType type) => type switch
    {
        NgsiLdErrorType.InvalidRequest => 400,
        NgsiLdErrorType.BadRequestData => 400,
        NgsiLdErrorType.AlreadyExists => 409,
        NgsiLdErrorType.OperationNotSupported => 422,
        NgsiLdErrorType.ResourceNotFound => 404,
        NgsiLdErrorType.InternalError => 500,
        NgsiLdErrorType.TooComplexQuery => 403,
        NgsiLdErrorType.TooManyResults => 403,
        NgsiLdErrorType.LdContextNotAvailable => 504,
        NgsiLdErrorType.NoMultiTenantSupport => 501,
        NgsiLdErrorType.NonexistentTenant => 404,
        NgsiLdErrorType.Conflict => 409,
        NgsiLdErrorType.NotAcceptable => 406,
        NgsiLdErrorType.UnsupportedMediaType => 415,
        NgsiLdErrorType.PayloadTooLarge => 413,
        NgsiLdErrorType.Forbidden => 403,
        NgsiLdErrorType.Unauthorized => 401,
        _ => 500,
    };

    public static string Title(NgsiLdErrorType type) => type switch
    {
        NgsiLdErrorType.InvalidRequest => "Invalid request",
        NgsiLdErrorType.BadRequestData => "Bad request data",
        NgsiLdErrorType.AlreadyExists => "Already exists",
        NgsiLdErrorType.OperationNotSupported => "Operation not supported",
        NgsiLdErrorType.ResourceNotFound => "Resource not found",
        NgsiLdErrorType.InternalError => "Internal error",
        NgsiLdErrorType.TooComplexQuery => "Too complex query",
        NgsiLdErrorType.TooManyResults => "Too many results",
        NgsiLdErrorType.LdContextNotAvailable => "LD context not available",
        NgsiLdErrorType.NoMultiTenantSupport => "No multi-tenant support",
        NgsiLdErrorType.NonexistentTenant => "Nonexistent tenant",
        NgsiLdErrorType.Conflict => "Conflict",
        NgsiLdErrorType.NotAcceptable => "Not acceptable",
        NgsiLdErrorType.UnsupportedMediaType => "Unsupported media type",
        NgsiLdErrorType.PayloadTooLarge => "Payload too large",
        NgsiLdErrorType.Forbidden => "Forbidden",
        NgsiLdErrorType.Unauthorized => "Unauthorized",
        _ => type.ToString(),
    };
}

/// <summary>
/// A rule violation that leaves the server as an RFC 9457 problem details document with an NGSI-LD
/// error type. Thrown by the plain rule classes; translated to HTTP in one place by the host.
/// </summary>
public sealed class NgsiLdException(NgsiLdErrorType type, string detail, string? title = null) : Exception(detail)
{
    public NgsiLdErrorType Type { get; } = type;
    public string Detail { get; } = detail;
    public string Title { get; } = title ?? NgsiLdErrors.Title(type);
    public int Status => NgsiLdErrors.Status(Type);

    public static NgsiLdException BadRequest(string detail) => new(NgsiLdErrorType.BadRequestData, detail);
    public static NgsiLdException InvalidRequest(string detail) => new(NgsiLdErrorType.InvalidRequest, detail);
    public static NgsiLdException NotFound(string detail) => new(NgsiLdErrorType.ResourceNotFound, detail);
}
