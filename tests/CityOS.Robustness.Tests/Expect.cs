using System.Text.Json;
using System.Text.Json.Nodes;

namespace CityOS.Robustness.Tests;

/// <summary>What a hostile request must be answered with; <see cref="Check"/> returns why an answer falls short, or null.</summary>
public sealed record Expect(string Description, Func<int, bool> AcceptsStatus, Func<Answer, string?>? BodyRule = null)
{
    /// <summary>Exactly this status (the NGSI-LD spec or RFC 6749 names it).</summary>
    public static Expect Status(int status) => new($"{status}", s => s == status);

    public static Expect OneOf(params int[] statuses) => new(string.Join(" or ", statuses), statuses.Contains);

    /// <summary>Refused, where the exact 4xx is a judgement call.</summary>
    public static Expect ClientError { get; } = new("a 4xx", s => s is >= 400 and < 500);

    /// <summary>Anything but a server error (a generated request may be valid or not).</summary>
    public static Expect NoServerError { get; } = new("no 5xx", s => s < 500);

    /// <summary>No 5xx, in whatever form a 4xx comes (the OAuth endpoints answer RFC 6749 errors and the login pages HTML).</summary>
    public static Expect NoServerErrorInAnyForm { get; } = new("no 5xx", s => s < 500, _ => null);

    /// <summary>Accepted, or refused with a 4xx: either is right as long as what was accepted then works.</summary>
    public static Expect AcceptedOrRefused(int accepted) => new($"{accepted} or a 4xx", s => s == accepted || s is >= 400 and < 500);

    /// <summary>The answer must also carry an OAuth error (RFC 6749 5.2) with one of these codes.</summary>
    public Expect WithOAuthError(params string[] codes) => this with
    {
        Description = $"{Description} with error {string.Join(" or ", codes)}",
        BodyRule = answer => answer.Json?["error"]?.GetValueKind() == JsonValueKind.String && codes.Contains(answer.Json!["error"]!.GetValue<string>())
            ? null
            : "no OAuth error " + string.Join("/", codes),
    };

    public Expect WithBody(string description, Func<string, bool> rule) => this with
    {
        Description = $"{Description} with {description}",
        BodyRule = answer => rule(answer.Body) ? null : "answered with a body that is not " + description,
    };

    public string? Check(Answer answer)
    {
        if (!AcceptsStatus(answer.Status)) return $"answered {answer.Status}, expected {Description}";
        if (answer.Status is >= 400 and < 500 && BodyRule is null && !answer.IsProblemDetails && !answer.IsKestrelRefusal) return $"answered {answer.Status} without problem details";
        if (answer.Status is >= 200 and < 300 && answer.IsJson && answer.Json is null) return $"answered {answer.Status} with a broken JSON body";
        return BodyRule?.Invoke(answer);
    }
}

/// <summary>A response as the caller saw it: status, content type and the whole body (read to its end).</summary>
public sealed record Answer(int Status, string? ContentType, string Body, bool ConnectionClosed = false)
{
    /// <summary>
    /// Kestrel's own refusal of a request it cannot parse or that exceeds its protocol limits (a NUL in the path, a request
    /// line or headers too long): an empty body and a closed connection, before any CityOS code runs.
    /// </summary>
    public bool IsKestrelRefusal => ConnectionClosed && Body.Length == 0 && Status is 400 or 414 or 431;

    public bool IsJson => ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true;

    public JsonNode? Json
    {
        get
        {
            try
            {
                return Body.Length == 0 ? null : JsonNode.Parse(Body);
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }

    /// <summary>RFC 9457: a JSON object with a type URI and a title or detail.</summary>
    public bool IsProblemDetails =>
        IsJson && Json is JsonObject problem && problem["type"]?.GetValueKind() == JsonValueKind.String
        && (problem["title"] is not null || problem["detail"] is not null);

    public override string ToString() => $"{Status} {(Body.Length > 300 ? Body[..300] + "…" : Body)}";
}
