using CityOS.Core.Security;

namespace CityOS.Core.Context;

/// <summary>
/// Who makes a call of the context API, in which tenant, and under which JSON-LD @context its entities are written
/// and read. The caller's grants apply exactly as on the NGSI-LD API (with security on, a caller sees and changes only
/// what the policy grants it); the tenant is an NGSILD-Tenant name (null for the default tenant).
/// </summary>
/// <param name="Caller">The caller of the request the block serves (<see cref="CallerAuthentication.Caller"/>), or the principal a background task acts for.</param>
/// <param name="Tenant">The tenant (null or "default" for the default tenant).</param>
/// <param name="LdContext">URLs of the @context documents that map short names to IRIs; null or empty for the NGSI-LD core context only.</param>
public sealed record ContextCall(CallerIdentity Caller, string? Tenant = null, IReadOnlyList<string>? LdContext = null);
