using Microsoft.IdentityModel.JsonWebTokens;

namespace CityOS.Identity.Tokens;

/// <summary>exp/nbf checked against the injected clock (the handler's own check would read the wall clock).</summary>
public static class TokenLifetime
{
    private static readonly TimeSpan NotBeforeSkew = TimeSpan.FromSeconds(30);

    public static string? Error(JsonWebToken token, DateTimeOffset now)
    {
        var utc = now.UtcDateTime;
        if (token.ValidTo == DateTime.MinValue || token.ValidTo <= utc) return "The access token has expired.";
        if (token.ValidFrom != DateTime.MinValue && token.ValidFrom > utc + NotBeforeSkew) return "The access token is not valid yet.";
        return null;
    }
}
