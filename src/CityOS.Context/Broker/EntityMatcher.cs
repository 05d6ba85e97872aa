using System.Text.RegularExpressions;
using CityOS.Context.Access;
using CityOS.Context.Geo;
using CityOS.Context.Model;
using CityOS.Context.Query;
using CityOS.Context.Storage;
using CityOS.Core.Security;

namespace CityOS.Context.Broker;

/// <summary>
/// The rules of an <see cref="EntityQuery"/> evaluated on one entity: the parts a store leaves over (its residual,
/// see <see cref="IEntityStore.Applies"/>), or all of them (for the temporal query's current state). With a
/// restricted read scope every condition is evaluated on the part of the entity the caller may read, so that
/// neither the results nor the count reveal what it may not see.
/// </summary>
public sealed class EntityMatcher : IResidualFilter
{
    private const QueryParts ReadsAttributes = QueryParts.Attributes | QueryParts.Q | QueryParts.Geo;

    private readonly CompiledSelector[]? _selectors;
    private readonly IReadOnlyList<string>? _attributes;
    private readonly QExpression? _q;
    private readonly ScopeQuery? _scope;
    private readonly GeoFilter? _geo;
    private readonly AccessScope? _readable;

    /// <param name="query">The query.</param>
    /// <param name="residual">The parts to evaluate; when the read scope is among them, so is every part that reads attributes.</param>
    public EntityMatcher(EntityQuery query, QueryParts residual)
    {
        if (residual.HasFlag(QueryParts.Access) && !query.Readable.Unrestricted)
        {
            _readable = query.Readable;
            residual |= ReadsAttributes;
        }
        if (residual.HasFlag(QueryParts.Entities) && query.Entities.Count > 0) _selectors = query.Entities.Select(s => new CompiledSelector(s)).ToArray();
        if (residual.HasFlag(QueryParts.Attributes)) _attributes = query.Attributes;
        if (residual.HasFlag(QueryParts.Q)) _q = query.Q;
        if (residual.HasFlag(QueryParts.Scope)) _scope = query.Scope;
        if (residual.HasFlag(QueryParts.Geo)) _geo = query.Geo;
    }

    /// <summary>Every part of the query.</summary>
    public EntityMatcher(EntityQuery query) : this(query, query.Parts)
    {
    }

    /// <summary>Runs the query on the store: the engine applies what it can, this matcher the rest.</summary>
    public static ValueTask<QueryPage> QueryAsync(IEntityStore store, string? tenant, EntityQuery query, CancellationToken ct)
    {
        var residual = query.Parts & ~store.Applies(query);
        return store.QueryAsync(tenant, query, residual == QueryParts.None ? null : new EntityMatcher(query, residual), ct);
    }

    public bool Matches(Entity stored)
    {
        var entity = _readable is null ? stored : EntityAccess.View(_readable, stored);
        if (entity is null) return false;
        if (_selectors is not null && !AnySelects(entity)) return false;
        if (_attributes is not null && !_attributes.Any(entity.Attributes.ContainsKey)) return false;
        if (_q is not null && !_q.Matches(entity)) return false;
        if (_scope is not null && !_scope.Matches(entity.Scopes)) return false;
        return _geo is null || EntityGeometry.Matches(entity, _geo.PropertyIri, _geo.Query);
    }

    private bool AnySelects(Entity entity)
    {
        foreach (var selector in _selectors!)
        {
            if (selector.Matches(entity)) return true;
        }
        return false;
    }

    private sealed class CompiledSelector(EntitySelection selection)
    {
        private readonly HashSet<string>? _ids = selection.Ids is null ? null : new HashSet<string>(selection.Ids, StringComparer.Ordinal);
        private readonly Regex? _pattern = selection.IdPattern;
        private readonly TypeSelector? _type = selection.Type;

        public bool Matches(Entity entity)
        {
            if (_ids is not null && !_ids.Contains(entity.Id)) return false;
            if (_pattern is not null && !_pattern.IsMatch(entity.Id)) return false;
            return _type is null || _type.Matches(entity.Types);
        }
    }
}
