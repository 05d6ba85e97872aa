using CityOS.Core.Security;
using CityOS.Identity.Model;

namespace CityOS.Identity.Rules;

/// <summary>What makes a policy well-formed.</summary>
public static class PolicyRules
{
    public static string? Problem(Policy policy)
    {
        if (policy.Id.Length is 0 or > 128 || !policy.Id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) return "id must be 1 to 128 letters, digits, '-', '_' or '.'.";
        if (policy.Tenant != SecurityTenants.All)
        {
            try
            {
                CityOS.Core.Http.Tenancy.Validate(policy.Tenant);
            }
            catch (CityOS.Core.NgsiLdException e)
            {
                return e.Detail;
            }
        }
        var subjects = (policy.Subject.Role is null ? 0 : 1) + (policy.Subject.Account is null ? 0 : 1) + (policy.Subject.Anonymous ? 1 : 0);
        if (subjects != 1) return "subject must name exactly one of role, account or anonymous.";
        if (policy.Subject.Issuer is not null && policy.Subject.Account is null) return "subject.issuer qualifies an account: it needs subject.account.";
        if (policy.Actions.Count == 0) return "actions must name at least one action.";
        if (policy.Subject.Anonymous && policy.Actions.Any(a => a is not (AccessAction.Read or AccessAction.Subscribe))) return "Anonymous callers may only be granted read or subscribe.";
        if (policy.NotBefore is { } from && policy.NotAfter is { } to && from >= to) return "notBefore must be earlier than notAfter.";
        if (policy.Subject.Anonymous && policy.RequiresMfa) return "An anonymous caller can never satisfy requiresMfa.";
        return null;
    }
}
