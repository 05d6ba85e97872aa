using Microsoft.AspNetCore.Http;

namespace CityOS.Core.Http;

/// <summary>The tenant a request addresses (NGSILD-Tenant, 6.3.14); null is the default tenant.</summary>
public static class Tenancy
{
    public const string HeaderName = "NGSILD-Tenant";
    public const int MaxLength = 64;

    /// <summary>
    /// The validated tenant name of the request, or null for the default tenant (no header, or the name "default").
    /// A header that is present but blank names no valid tenant and is refused: reading it as the default tenant
    /// would send a client's writes where it did not mean them to go.
    /// </summary>
    public static string? FromRequest(HttpRequest request)
    {
        var values = request.Headers[HeaderName];
        if (values.Count == 0) return null;
        return Normalize(values.ToString().Trim());
    }

    /// <summary>The validated tenant name, or null for the default tenant (the name "default"); throws BadRequestData for an invalid name.</summary>
    public static string? Normalize(string tenant)
    {
        Validate(tenant);
        // Policies and roles name the default tenant "default": a tenant of that name would be a second database under one policy key.
        return tenant == Security.SecurityTenants.Default ? null : tenant;
    }

    /// <summary>Throws BadRequestData for a name that is not a valid tenant name.</summary>
    public static void Validate(string tenant)
    {
        if (tenant.Length is 0 or > MaxLength || tenant[0] is '.' or '-'
            || !tenant.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
        {
            throw NgsiLdException.BadRequest(
                $"Invalid NGSILD-Tenant '{tenant}': use 1 to {MaxLength} ASCII letters, digits, '_', '-' or '.', not starting with '.' or '-'.");
        }
    }
}
