using System.Text.Json.Nodes;

namespace CityOS.Catalog.Ckan;

/// <summary>
/// A failed action as CKAN reports it: the <c>error</c> object of the envelope (<c>__type</c> and a message, or the invalid
/// field names with their messages) and CKAN's status code.
/// </summary>
public sealed class CkanException : Exception
{
    private CkanException(string type, int status, string message, IReadOnlyDictionary<string, string[]>? fields = null) : base(message)
    {
        Type = type;
        Status = status;
        Fields = fields;
    }

    public string Type { get; }

    public int Status { get; }

    /// <summary>Field name → messages, for validation errors.</summary>
    public IReadOnlyDictionary<string, string[]>? Fields { get; }

    public static CkanException NotFound(string message = "Not found") => new("Not Found Error", 404, message);

    public static CkanException Unauthorized(string message) => new("Authorization Error", 403, message);

    public static CkanException Invalid(IReadOnlyDictionary<string, string[]> fields) =>
        new("Validation Error", 409, string.Join("; ", fields.Select(f => $"{f.Key}: {string.Join(", ", f.Value)}")), fields);

    public static CkanException Invalid(string field, string message) => Invalid(new Dictionary<string, string[]> { [field] = [message] });

    /// <summary>An upload larger than the limit (CKAN reports it on the upload field; the status is 413).</summary>
    public static CkanException TooLarge(long maxBytes) =>
        new("Validation Error", 413, $"upload: File upload too large", new Dictionary<string, string[]> { ["upload"] = [$"File upload too large: at most {maxBytes} bytes"] });

    /// <summary>A malformed search (q, fq, sort, facet.field), as CKAN's Solr errors are reported.</summary>
    public static CkanException SearchError(string message) => new("Search Query Error", 409, message);

    /// <summary>The action name is not one of the API (CKAN answers 400 with a text body).</summary>
    public static CkanException UnknownAction(string action) => new("Bad Request", 400, $"Bad request - Action name not known: {action}");

    /// <summary>The error object of the envelope.</summary>
    public JsonObject ToJson()
    {
        var error = new JsonObject { ["__type"] = Type };
        if (Fields is null)
        {
            error["message"] = Message;
            return error;
        }
        foreach (var (field, messages) in Fields) error[field] = new JsonArray([.. messages.Select(m => JsonValue.Create(m))]);
        return error;
    }
}
