namespace CityOS.Core.Security;

/// <summary>
/// The policy decision point the blocks ask before touching data (AU-2, AU-7). Deny by default:
/// only roles' built-in permissions, policies and open-data tenants grant anything.
/// </summary>
/// <remarks>
/// Typical broker use: <c>caller = await validator.ValidateAsync(bearer)</c> (or
/// <see cref="CallerIdentity.Anonymous"/> without Authorization), then
/// <c>DecideAsync(caller, AccessAction.Create, new(SecurityTenants.Key(tenant), type, id))</c> for a
/// write, and <c>ScopeAsync(caller, SecurityTenants.Key(tenant), AccessAction.Read)</c> to filter a query.
/// </remarks>
public interface IAccessPolicy
{
    ValueTask<AccessDecision> DecideAsync(CallerIdentity caller, AccessAction action, AccessResource resource, CancellationToken ct);

    ValueTask<AccessScope> ScopeAsync(CallerIdentity caller, string tenant, AccessAction action, CancellationToken ct);
}

/// <summary>Turns a bearer token (local or from a trusted City OS) into a caller.</summary>
public interface ITokenValidator
{
    /// <summary>The caller the token speaks for; throws <see cref="NgsiLdException"/> Unauthorized for a token that is not valid now.</summary>
    Task<CallerIdentity> ValidateAsync(string bearer, CancellationToken ct);
}
