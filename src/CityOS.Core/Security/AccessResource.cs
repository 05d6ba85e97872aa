namespace CityOS.Core.Security;

/// <summary>
/// The data a request touches. Null members mean "not known / any": a policy restricted to some entity
/// types does not grant a request whose type is null (use <see cref="IAccessPolicy.ScopeAsync"/> to
/// filter a query instead). Entity types and attribute names are expanded IRIs or the short names the
/// policies were written with: the broker and the policies must use the same form.
/// </summary>
/// <param name="Tenant">Policy tenant name, see <see cref="SecurityTenants.Key"/>.</param>
/// <param name="EntityType">Entity type, if the request is about one type.</param>
/// <param name="EntityId">Entity id, if the request is about one entity.</param>
/// <param name="Attributes">Attributes read or written; null or empty for the whole entity.</param>
public sealed record AccessResource(string Tenant, string? EntityType = null, string? EntityId = null, IReadOnlyList<string>? Attributes = null);
