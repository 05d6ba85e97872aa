using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using CityOS.Core.Context;
using CityOS.Core.Security;
using CityOS.Portal.Http;
using CityOS.Portal.Pages;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using static CityOS.Portal.Pages.Html;

namespace CityOS.Portal.Explorer;

/// <summary>
/// The data explorer: a tenant's entity types, a list of entities with filters, and an entity page with its attributes,
/// relationships, history chart, map and live values. Everything is read as the signed-in user (IContextReader with the
/// user's caller, the temporal API with the user's token), so a page shows exactly what the user may read.
/// </summary>
public static class ExplorerPages
{
    public const int PageSize = 20;
    /// <summary>
    /// Other entities of the type drawn around the entity on its map: each is a document the broker reads and renders,
    /// so they are few (200 cost the page about 1 ms of CPU more than 50, the largest part of its time).
    /// </summary>
    public const int Neighbours = 50;

    /// <summary>The highest entity count a page shows; a type with more is shown as having more than this.</summary>
    public const int CountUpTo = 10_000;

    /// <summary>The earlier pages whose cursors a page link carries (for "previous"); past them there is the first page.</summary>
    public const int Trail = 10;

    public static IEndpointRouteBuilder MapExplorerPages(this IEndpointRouteBuilder routes)
    {
        var pages = routes.MapPortalGroup();
        pages.MapGet("/explore", ShowTypes).WithName("PortalExplorer");
        pages.MapGet("/explore/entities", ShowEntities).WithName("PortalEntities");
        pages.MapGet("/explore/entity", ShowEntity).WithName("PortalEntity");
        pages.MapGet("/explore/live", StreamEntity).WithName("PortalEntityLive");
        return routes;
    }

    private static ContextCall CallOf(PortalPage page, string? tenant) =>
        new(page.User?.Caller ?? CallerIdentity.Anonymous, tenant is { Length: > 0 } ? tenant : null);

    private static IContextReader Reader(HttpContext http) => http.RequestServices.GetRequiredService<IContextReader>();

    private static string TenantQuery(string? tenant) => tenant is { Length: > 0 } ? "tenant=" + Q(tenant) + "&" : "";

    public static string EntityLink(string? tenant, string id) => $"{PortalRoutes.Entity}?{TenantQuery(tenant)}id={Q(id)}";

    private static async Task<IResult> ShowTypes(HttpContext http, string? tenant, CancellationToken ct)
    {
        var page = await PortalPage.ForAsync(http);
        var t = page.T;
        var body = new StringBuilder();
        body.Append($"""
            <p>{E(t.ExplorerIntro)}</p>
            <form method="get" action="{PortalRoutes.Explorer}" class="row">
            <label for="tenant">{E(t.Tenant)}<input id="tenant" name="tenant" type="text" value="{E(tenant)}" placeholder="{E(t.DefaultTenant)}"></label>
            <button type="submit">{E(t.Show)}</button>
            </form>
            <h2>{E(t.EntityTypes)}</h2>
            """);
        IReadOnlyList<ContextTypeCount> types;
        try
        {
            types = await Reader(http).CountTypesAsync(CallOf(page, tenant), null, CountUpTo, ct);
        }
        catch (ContextException e) when (e.Kind == ContextErrorKind.TenantNotFound)
        {
            types = [];
        }
        catch (ContextException e)
        {
            return Refused(page, e);
        }
        body.Append(types.Count == 0
            ? $"<p id=\"no-types\">{E(t.NoTypes)}</p>"
            : $"<ul id=\"types\">{string.Concat(types.Select(type => $"<li><a href=\"{PortalRoutes.Entities}?{TenantQuery(tenant)}type={Q(type.Type)}\">{E(type.Type)}</a> <span class=\"count\">{CountText(t, type)}</span></li>"))}</ul>");
        return page.Render(t.ExplorerTitle, body.ToString());
    }

    private static string CountText(PortalText t, ContextTypeCount count) => count.More ? F(t.EntityCountMore, count.Count) : F(t.EntityCount, count.Count);

    /// <summary>
    /// One page of a type's entities. Pages follow the broker's keyset cursor (<c>after</c>), so a far page costs what the
    /// first does; <c>position</c> (entities before the page) only numbers its rows, and <c>back</c> carries the cursors of
    /// up to <see cref="Trail"/> earlier pages for the previous link. Without q the type's count comes from its index, up
    /// to <see cref="CountUpTo"/>; with q it is not counted (that would read every match).
    /// </summary>
    private static async Task<IResult> ShowEntities(HttpContext http, string? tenant, string? type, string? q, string? after, int? position, string[]? back, CancellationToken ct)
    {
        var page = await PortalPage.ForAsync(http);
        var t = page.T;
        if (type is not { Length: > 0 }) return Results.Redirect(PortalRoutes.Explorer + (tenant is { Length: > 0 } ? "?tenant=" + Q(tenant) : ""));
        var cursor = after is { Length: > 0 } ? after : null;
        var filter = q is { Length: > 0 } ? q : null;
        var from = cursor is null ? 0 : Math.Max(position ?? 0, 0);
        var call = CallOf(page, tenant);
        var reader = Reader(http);
        ContextPage result;
        ContextTypeCount? total = null;
        try
        {
            result = await reader.QueryAsync(call, new ContextQuery { Type = type, Q = filter, Limit = PageSize, After = cursor }, ct);
            if (filter is null && IsOneType(type)) total = (await reader.CountTypesAsync(call, type, CountUpTo, ct)).FirstOrDefault();
        }
        catch (ContextException e) when (e.Kind == ContextErrorKind.TenantNotFound)
        {
            result = new ContextPage([], 0);
        }
        catch (ContextException e)
        {
            return Refused(page, e);
        }
        var title = string.Format(System.Globalization.CultureInfo.InvariantCulture, t.EntitiesOfType, type);
        var body = new StringBuilder();
        body.Append($"""
            <p><a href="{PortalRoutes.Explorer}?{TenantQuery(tenant)}">{E(t.EntityTypes)}</a></p>
            <form method="get" action="{PortalRoutes.Entities}" class="row">
            <input type="hidden" name="tenant" value="{E(tenant)}">
            <input type="hidden" name="type" value="{E(type)}">
            <label for="q">{E(t.QueryFilter)}<input id="q" name="q" type="text" value="{E(q)}" placeholder="{E(t.QueryFilterHint)}"></label>
            <button type="submit">{E(t.Filter)}</button>
            </form>
            """);
        var count = result.Entities.Count;
        if (count == 0)
        {
            body.Append($"<p id=\"no-entities\">{E(t.NoEntities)}</p>");
        }
        else
        {
            body.Append("<p id=\"range\">").Append(total switch
            {
                { More: false } exact => F(t.PageRange, from + 1, from + count, exact.Count),
                { } counted => F(t.PageRangeMore, from + 1, from + count, counted.Count),
                null => F(t.PageRangeOpen, from + 1, from + count),
            }).Append("</p>");
            body.Append($"<div class=\"table-wrap\"><table id=\"entities\"><thead><tr><th scope=\"col\">{E(t.EntityId)}</th><th scope=\"col\">{E(t.EntityType)}</th><th scope=\"col\">{E(t.Attributes)}</th></tr></thead><tbody>");
            foreach (var entity in result.Entities)
            {
                var id = entity["id"]?.ToString() ?? "";
                var attributes = EntityView.Attributes(entity).Take(4).Select(a => $"{E(a.Name)}: {E(a.Value)}");
                body.Append($"<tr><td><a href=\"{EntityLink(tenant, id)}\">{E(id)}</a></td><td>{E(EntityView.Types(entity))}</td><td>{string.Join("<br>", attributes)}</td></tr>");
            }
            body.Append("</tbody></table></div>");
        }
        var first = $"{PortalRoutes.Entities}?{TenantQuery(tenant)}type={Q(type)}{(filter is null ? "" : "&q=" + Q(filter))}";
        var trail = (back ?? []).Where(b => b is { Length: > 0 }).TakeLast(Trail).ToList();
        var links = new List<string>();
        if (from > PageSize) links.Add($"<li><a rel=\"first\" href=\"{first}\">{E(t.FirstPage)}</a></li>");
        if (from > 0 && (from <= PageSize || trail.Count > 0))
        {
            var previous = from <= PageSize ? first : PageLink(first, trail[^1], from - PageSize, trail.Take(trail.Count - 1));
            links.Add($"<li><a rel=\"prev\" href=\"{previous}\">{E(t.Previous)}</a></li>");
        }
        var more = total is null || total.More || from + count < total.Count;
        if (result.Next is { } next && more)
        {
            links.Add($"<li><a rel=\"next\" href=\"{PageLink(first, next, from + count, cursor is null ? trail : [.. trail, cursor])}\">{E(t.Next)}</a></li>");
        }
        if (links.Count > 0) body.Append($"<nav class=\"pages\" aria-label=\"{E(t.Pagination)}\"><ul>{string.Concat(links)}</ul></nav>");
        return page.Render(title, body.ToString());
    }

    /// <summary>The link to the page after <paramref name="cursor"/>, numbered from <paramref name="position"/>, with the cursors of the pages before it.</summary>
    private static string PageLink(string first, string cursor, int position, IEnumerable<string> trail) =>
        $"{first}&after={Q(cursor)}&position={position}{string.Concat(trail.TakeLast(Trail).Select(b => "&back=" + Q(b)))}";

    /// <summary>Whether a type selection names one type (not a list or an expression of several).</summary>
    private static bool IsOneType(string type) => type.IndexOfAny([',', ';', '|', '(', ')']) < 0;

    private static async Task<IResult> ShowEntity(HttpContext http, TemporalHistory history, string? tenant, string? id, CancellationToken ct)
    {
        var page = await PortalPage.ForAsync(http);
        var t = page.T;
        if (id is not { Length: > 0 }) return page.Error(StatusCodes.Status400BadRequest, string.Format(System.Globalization.CultureInfo.InvariantCulture, t.BadRequest, "id"));
        var call = CallOf(page, tenant);
        JsonObject entity;
        try
        {
            entity = await Reader(http).RetrieveAsync(call, id, null, ct);
        }
        catch (ContextException e)
        {
            return Refused(page, e);
        }
        var attributes = EntityView.Attributes(entity);
        var body = new StringBuilder();
        var type = EntityView.Types(entity);
        var firstType = type.Split(", ")[0];
        body.Append($"""
            <p><a href="{PortalRoutes.Entities}?{TenantQuery(tenant)}type={Q(firstType)}">{F(t.EntitiesOfType, type)}</a></p>
            <dl><dt>{E(t.EntityId)}</dt><dd><code>{E(id)}</code></dd><dt>{E(t.EntityType)}</dt><dd>{E(type)}</dd></dl>
            <p class="live" id="live" role="status" data-state="connecting" data-source="{PortalRoutes.Live}?{TenantQuery(tenant)}id={Q(id)}" data-on="{E(t.LiveOn)}" data-off="{E(t.LiveOff)}">{E(t.LiveUpdates)}: {E(t.LiveConnecting)}</p>
            <h2>{E(t.Attributes)}</h2>
            <div class="table-wrap"><table id="attributes"><thead><tr><th scope="col">{E(t.Attribute)}</th><th scope="col">{E(t.AttributeKind)}</th><th scope="col">{E(t.Value)}</th><th scope="col">{E(t.ObservedAt)}</th></tr></thead><tbody>
            """);
        foreach (var attribute in attributes.DistinctBy(a => a.Name))
        {
            var value = attribute.Object is { } target ? $"<a href=\"{EntityLink(tenant, target)}\">{E(target)}</a>" : E(attribute.Value);
            body.Append($"<tr data-attr=\"{E(attribute.Name)}\"><th scope=\"row\">{E(attribute.Name)}</th><td>{E(attribute.Kind)}</td><td class=\"value\">{value}</td><td class=\"observed\">{E(attribute.ObservedAt)}</td></tr>");
        }
        body.Append("</tbody></table></div>");
        var relationships = attributes.Where(a => a.Object is not null).ToList();
        if (relationships.Count > 0)
        {
            body.Append($"<h2>{E(t.Relationships)}</h2><ul id=\"relationships\">{string.Concat(relationships.Select(r => $"<li>{E(r.Name)}: <a href=\"{EntityLink(tenant, r.Object!)}\">{E(r.Object)}</a></li>"))}</ul>");
        }
        body.Append($"<h2>{E(t.History)}</h2>");
        var series = await history.NumericAsync(page.User, tenant, id, ct);
        if (series.Count == 0) body.Append($"<p id=\"no-history\">{E(t.NoHistory)}</p>");
        var index = 0;
        foreach (var (name, points) in series)
        {
            var caption = string.Format(System.Globalization.CultureInfo.InvariantCulture, t.HistoryOf, name);
            body.Append($"<figure class=\"history\" data-attr=\"{E(name)}\">{Svg.HistoryChart($"history-{index++}", caption, points)}<figcaption>{E(caption)}</figcaption></figure>");
        }
        body.Append($"<h2>{E(t.Map)}</h2>");
        var geometries = EntityView.Geometries(entity);
        if (geometries.Count == 0)
        {
            body.Append($"<p id=\"no-location\">{E(t.NoLocation)}</p>");
        }
        else
        {
            var own = EntityView.Positions(geometries[0].Geometry["coordinates"]).ToList();
            var neighbours = await NeighboursAsync(Reader(http), call, firstType, id, ct);
            var caption = string.Format(System.Globalization.CultureInfo.InvariantCulture, t.MapOf, id);
            body.Append($"<figure id=\"map\">{Svg.Map("map-svg", caption, own, neighbours)}<figcaption>{E(caption)}: {E(string.Join("; ", own.Select(p => $"{Svg.Coordinate(p.Lat)}, {Svg.Coordinate(p.Lon)}")))}</figcaption></figure>");
        }
        body.Append($"<p><a href=\"/ngsi-ld/v1/entities/{Q(id)}\">{E(t.AsJson)}</a></p>");
        return page.Render(id, body.ToString(), scripts: "portal-live.js");
    }

    /// <summary>The positions of other entities of the type, for the map's surroundings.</summary>
    private static async Task<IReadOnlyList<(double Lon, double Lat)>> NeighboursAsync(IContextReader reader, ContextCall call, string type, string id, CancellationToken ct)
    {
        try
        {
            var others = await reader.QueryAsync(call, new ContextQuery { Type = type, Attrs = ["location"], Limit = Neighbours }, ct);
            return [.. others.Entities.Where(e => e["id"]?.ToString() != id)
                .SelectMany(e => EntityView.Geometries(e).Take(1).SelectMany(g => EntityView.Positions(g.Geometry["coordinates"])))];
        }
        catch (ContextException)
        {
            return [];
        }
    }

    /// <summary>Server-sent events: the entity's attributes now, and again after each committed change of it, as the user reads them.</summary>
    private static async Task<IResult> StreamEntity(HttpContext http, LiveChanges live, string? tenant, string? id, CancellationToken ct)
    {
        var page = await PortalPage.ForAsync(http);
        if (id is not { Length: > 0 }) return Results.BadRequest();
        var call = CallOf(page, tenant);
        var reader = Reader(http);
        var watcher = live.Watch(tenant, id);
        try
        {
            var first = await reader.RetrieveAsync(call, id, null, ct);
            return TypedResults.ServerSentEvents(Values(first, watcher, reader, call, id, ct), "entity");
        }
        catch (ContextException e)
        {
            watcher.Dispose();
            return Results.StatusCode(e.Kind switch
            {
                ContextErrorKind.Unauthorized => StatusCodes.Status401Unauthorized,
                ContextErrorKind.Forbidden => StatusCodes.Status403Forbidden,
                _ => StatusCodes.Status404NotFound,
            });
        }
    }

    private static async IAsyncEnumerable<string> Values(JsonObject first, LiveChanges.Watcher watcher, IContextReader reader, ContextCall call, string id, [EnumeratorCancellation] CancellationToken ct)
    {
        using (watcher)
        {
            yield return Snapshot(first);
            while (await watcher.Changes.WaitToReadAsync(ct))
            {
                watcher.Changes.TryRead(out _);
                JsonObject entity;
                try
                {
                    entity = await reader.RetrieveAsync(call, id, null, ct);
                }
                catch (ContextException)
                {
                    yield break;
                }
                yield return Snapshot(entity);
            }
        }
    }

    private static string Snapshot(JsonObject entity)
    {
        var values = new JsonObject();
        foreach (var attribute in EntityView.Attributes(entity).DistinctBy(a => a.Name))
        {
            values[attribute.Name] = new JsonObject { ["value"] = attribute.Value, ["observedAt"] = attribute.ObservedAt };
        }
        return values.ToJsonString();
    }

    private static IResult Refused(PortalPage page, ContextException e) => e.Kind switch
    {
        ContextErrorKind.Unauthorized when page.User is null => page.SignInFirst(),
        ContextErrorKind.Unauthorized or ContextErrorKind.Forbidden => page.Error(StatusCodes.Status403Forbidden, page.T.Forbidden),
        ContextErrorKind.NotFound => page.Error(StatusCodes.Status404NotFound, page.T.NotFound),
        _ => page.Error(StatusCodes.Status400BadRequest, string.Format(System.Globalization.CultureInfo.InvariantCulture, page.T.BadRequest, e.Message)),
    };
}
