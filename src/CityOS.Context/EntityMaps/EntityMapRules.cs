using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml;
using CityOS.Context.Representation;
using CityOS.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace CityOS.Context.EntityMaps;

/// <summary>Settings of EntityMaps (section "CityOS:EntityMaps").</summary>
public sealed class EntityMapOptions
{
    public const string Section = "CityOS:EntityMaps";

    /// <summary>The lifetime of a map when the client asks for none (entityMapLifetime).</summary>
    public TimeSpan DefaultLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The longest a map is kept, whatever lifetime or expiresAt the client asks for (5.14.2: the broker may override it).</summary>
    public TimeSpan MaxLifetime { get; set; } = TimeSpan.FromDays(1);

    /// <summary>The most entities one map lists; a wider query is refused as TooManyResults.</summary>
    public int MaxEntities { get; set; } = 10_000;
}

/// <summary>The rules of the EntityMap operations (5.14): lifetimes, expiry updates, ids and which queries may make a map.</summary>
public sealed class EntityMapRules(IOptions<EntityMapOptions> settings, TimeProvider time)
{
    private readonly EntityMapOptions options = settings.Value;

    /// <summary>The query parameters that narrow a query enough to make a map of it (an id alone does not: 5.14.3).</summary>
    private static readonly string[] NarrowingParameters = ["type", "attrs", "q", "scopeQ", "georel"];

    public static void ValidateId(string id)
    {
        if (!NgsiLdSyntax.IsAbsoluteIri(id)) throw NgsiLdException.BadRequest($"'{id}' is not a valid EntityMap id: it must be a URI.");
    }

    public static void RequireNarrowQuery(IQueryCollection query)
    {
        if (!NarrowingParameters.Any(query.ContainsKey))
        {
            throw NgsiLdException.BadRequest("Too wide query for an EntityMap: give at least one of type, attrs, q, scopeQ or a geo-query.");
        }
    }

    /// <summary>When a new map expires: now plus entityMapLifetime (an ISO 8601 duration) or the default, at most MaxLifetime.</summary>
    public DateTimeOffset ExpiryOf(string? lifetime)
    {
        var requested = options.DefaultLifetime;
        if (lifetime is not null)
        {
            try
            {
                requested = XmlConvert.ToTimeSpan(lifetime);
            }
            catch (FormatException)
            {
                throw NgsiLdException.BadRequest($"entityMapLifetime '{lifetime}' is not an ISO 8601 duration (e.g. PT1H).");
            }
            if (requested <= TimeSpan.Zero) throw NgsiLdException.BadRequest($"entityMapLifetime '{lifetime}' is not a positive duration.");
        }
        return time.GetUtcNow() + (requested < options.MaxLifetime ? requested : options.MaxLifetime);
    }

    /// <summary>
    /// The map after a PATCH (6.32.3.2): only expiresAt can be changed, bounded by MaxLifetime; the entityMap,
    /// linkedMaps, id and type a client sends are output-only members and are ignored.
    /// </summary>
    public EntityMap Update(EntityMap map, JsonObject fragment)
    {
        if (!fragment.TryGetPropertyValue("expiresAt", out var value)) return map;
        if (value?.GetValueKind() != JsonValueKind.String || !NgsiLdSyntax.TryParseDateTime(value.GetValue<string>(), out var expiresAt))
        {
            throw NgsiLdException.BadRequest("expiresAt must be a DateTime (e.g. 2030-01-01T00:00:00Z).");
        }
        var latest = time.GetUtcNow() + options.MaxLifetime;
        return map with { ExpiresAt = expiresAt < latest ? expiresAt : latest };
    }
}
