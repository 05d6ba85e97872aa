using System.Text.Json.Nodes;
using CityOS.Core.Context;

namespace CityOS.NgsiV2;

/// <summary>An error as Orion answers it: the HTTP status and the body <c>{"error": ..., "description": ...}</c>.</summary>
public sealed class V2Exception(int status, string error, string description) : Exception(description)
{
    public int Status { get; } = status;
    public string Error { get; } = error;
    public string Description { get; } = description;

    public JsonObject Body => new() { ["error"] = Error, ["description"] = Description };

    public static V2Exception BadRequest(string description) => new(400, "BadRequest", description);

    public static V2Exception EntityNotFound() => new(404, "NotFound", "The requested entity has not been found. Check type and id");

    public static V2Exception AttributeNotFound() => new(404, "NotFound", "The entity does not have such attribute");

    public static V2Exception ParseError() => new(400, "ParseError", "Errors found in incoming JSON buffer");

    public static V2Exception AlreadyExists() => new(422, "Unprocessable", "Already Exists");

    public static V2Exception SubscriptionNotFound() => new(404, "NotFound", "The requested subscription has not been found. Check id");

    /// <summary>Orion's answer to an error of the context API (the broker's words kept for bad input).</summary>
    public static V2Exception From(ContextException error) => error.Kind switch
    {
        ContextErrorKind.BadRequest => BadRequest(error.Detail),
        ContextErrorKind.NotFound or ContextErrorKind.TenantNotFound => EntityNotFound(),
        ContextErrorKind.AlreadyExists => AlreadyExists(),
        ContextErrorKind.Conflict => new(409, "Conflict", error.Detail),
        ContextErrorKind.Unauthorized => new(401, "Unauthorized", error.Detail),
        ContextErrorKind.Forbidden => new(403, "Forbidden", error.Detail),
        ContextErrorKind.TooManyResults => new(409, "TooManyResults", "More than one matching entity. Please refine your query"),
        ContextErrorKind.TooComplex => new(400, "BadRequest", error.Detail),
        ContextErrorKind.TooLarge => new(413, "RequestEntityTooLarge", error.Detail),
        ContextErrorKind.NotSupported => new(501, "NotImplemented", error.Detail),
        ContextErrorKind.Unavailable => new(503, "ServiceUnavailable", error.Detail),
        _ => new(500, "InternalServerError", error.Detail),
    };
}
