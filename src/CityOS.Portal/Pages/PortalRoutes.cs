namespace CityOS.Portal.Pages;

/// <summary>The addresses of the portal's pages.</summary>
public static class PortalRoutes
{
    public const string Base = "/portal";
    public const string Home = "/portal/";
    public const string SignIn = "/portal/signin";
    public const string SignOut = "/portal/signout";
    public const string Apis = "/portal/apis";
    public const string ApiConsole = "/portal/apis/console";
    public const string Apps = "/portal/apps";
    public const string Explorer = "/portal/explore";
    public const string Entities = "/portal/explore/entities";
    public const string Entity = "/portal/explore/entity";
    public const string Live = "/portal/explore/live";
    public const string Admin = "/portal/admin";
    public const string AdminAccounts = "/portal/admin/accounts";
    public const string AdminRoles = "/portal/admin/roles";
    public const string AdminSubscriptions = "/portal/admin/subscriptions";
    public const string Assets = "/portal/assets/";

    public static string Language(string lang, string returnTo) => $"/portal/lang/{lang}?return={Html.Q(returnTo)}";

    public static string SignInFor(string returnTo) => $"{SignIn}?return={Html.Q(returnTo)}";

    /// <summary>A return address is a portal page of this server (no other host, no scheme-relative //host).</summary>
    public static bool IsLocalPage(string? path) =>
        path is { Length: > 0 } && path.StartsWith(Base + "/", StringComparison.Ordinal) && !path.Contains("//", StringComparison.Ordinal)
        && !path.Contains('\\', StringComparison.Ordinal) && !path.Any(char.IsControl);
}
