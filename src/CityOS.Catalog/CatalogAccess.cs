using CityOS.Catalog.Ckan;
using CityOS.Core.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CityOS.Catalog;

/// <summary>
/// Who may see and change datasets, decided as the broker decides (CityOS:Security): with security off nothing is checked;
/// with it on, writes and private datasets need a caller the policy decision point allows the action on the resource kind
/// <see cref="ResourceKind"/> of the tenant (the dataset's name as the resource id), and an anonymous caller sees public
/// datasets only.
/// </summary>
public sealed class CatalogAccess(IOptions<SecurityOptions> options, IServiceProvider services)
{
    /// <summary>The resource kind of datasets in policies.</summary>
    public const string ResourceKind = "dataset";

    private readonly IAccessPolicy? _policy = services.GetService<IAccessPolicy>();

    public bool Enabled => options.Value.Enabled;

    /// <summary>Whether the caller may do <paramref name="action"/> on a dataset (a private one, for reads).</summary>
    public async ValueTask<bool> AllowsAsync(CallerIdentity caller, string? tenant, AccessAction action, string? dataset, CancellationToken ct)
    {
        if (!Enabled) return true;
        if (caller.IsAnonymous || _policy is null) return false;
        return (await _policy.DecideAsync(caller, action, new AccessResource(SecurityTenants.Key(tenant), ResourceKind, dataset), ct)).Allowed;
    }

    /// <summary>Throws CKAN's Authorization Error unless the caller may do <paramref name="action"/>.</summary>
    public async ValueTask DemandAsync(CallerIdentity caller, string? tenant, AccessAction action, string? dataset, string actionName, CancellationToken ct)
    {
        if (!await AllowsAsync(caller, tenant, action, dataset, ct))
        {
            var user = caller.IsAnonymous ? "" : caller.Subject;
            throw CkanException.Unauthorized($"Access denied: User {user} not authorized to {actionName}{(dataset is null ? "" : " " + dataset)}");
        }
    }
}
