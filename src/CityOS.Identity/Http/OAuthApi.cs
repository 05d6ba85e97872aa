using System.Text.Json.Nodes;
using CityOS.Core.Http;
using CityOS.Identity.Model;
using CityOS.Identity.Rules;
using CityOS.Identity.Services;
using CityOS.Identity.Storage;
using CityOS.Identity.Tokens;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace CityOS.Identity.Http;

/// <summary>The OAuth 2.0 / OpenID Connect endpoints under /identity/v1/oauth.</summary>
public static class OAuthApi
{
    public const string Base = "/identity/v1/oauth";

    public static IEndpointRouteBuilder MapOAuthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/.well-known/openid-configuration", Discovery).WithTags("Identity").WithName("OpenIdConfiguration")
            .WithSummary("OpenID Connect Discovery 1.0 provider metadata.").WithSurface(ApiSurface.OAuth).AllowAnonymous();
        // Clients authenticate here with their own credentials (or the token the endpoint inspects), not with the caller's scheme.
        var group = app.MapGroup(Base).WithTags("Identity").DisableAntiforgery().WithSurface(ApiSurface.OAuth).AllowAnonymous();
        group.MapGet("/jwks", Jwks).WithName("Jwks").WithSummary("The public signing keys (JWKS, RFC 7517).");
        group.MapGet("/authorize", Authorize).WithName("Authorize").WithSummary("Authorization endpoint: code flow with PKCE (RFC 6749 4.1, RFC 7636).");
        group.MapPost("/token", Token).WithName("Token").WithSummary("Token endpoint: authorization_code, client_credentials, refresh_token.").RequireRateLimiting(IdentityRateLimits.Token);
        group.MapMethods("/userinfo", [HttpMethods.Get, HttpMethods.Post], UserInfo).WithName("UserInfo").WithSummary("Claims of the signed-in user (OpenID Connect Core 5.3).");
        group.MapPost("/revoke", Revoke).WithName("Revoke").WithSummary("Token revocation (RFC 7009).").RequireRateLimiting(IdentityRateLimits.Token);
        group.MapPost("/introspect", Introspect).WithName("Introspect").WithSummary("Token introspection (RFC 7662).").RequireRateLimiting(IdentityRateLimits.Token);
        group.MapMethods("/logout", [HttpMethods.Get, HttpMethods.Post], EndSession).WithName("EndSession").WithSummary("Ends the single sign-on session (RP-Initiated Logout).");
        return app;
    }

    private static IResult Discovery(HttpRequest request)
    {
        var issuer = OAuthHttp.Issuer(request);
        return TypedResults.Json(new JsonObject
        {
            ["issuer"] = issuer,
            ["authorization_endpoint"] = issuer + Base + "/authorize",
            ["token_endpoint"] = issuer + Base + "/token",
            ["userinfo_endpoint"] = issuer + Base + "/userinfo",
            ["jwks_uri"] = issuer + Base + "/jwks",
            ["revocation_endpoint"] = issuer + Base + "/revoke",
            ["introspection_endpoint"] = issuer + Base + "/introspect",
            ["end_session_endpoint"] = issuer + Base + "/logout",
            ["response_types_supported"] = Array("code"),
            ["response_modes_supported"] = Array("query"),
            ["grant_types_supported"] = Array(GrantTypes.All),
            ["subject_types_supported"] = Array("public"),
            ["id_token_signing_alg_values_supported"] = Array(SigningKeyRing.Algorithms),
            ["token_endpoint_auth_methods_supported"] = Array("client_secret_basic", "client_secret_post", "none"),
            ["revocation_endpoint_auth_methods_supported"] = Array("client_secret_basic", "client_secret_post", "none"),
            ["introspection_endpoint_auth_methods_supported"] = Array("client_secret_basic", "client_secret_post"),
            ["code_challenge_methods_supported"] = Array(Pkce.S256),
            ["scopes_supported"] = Array(ClientRules.StandardScopes),
            ["claims_supported"] = Array("sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr", "acr", "name", "preferred_username", "locale", "organization", "email"),
            ["acr_values_supported"] = Array(TokenIssuer.AcrPassword, TokenIssuer.AcrMultiFactor),
            ["ui_locales_supported"] = Array("ja", "en"),
            ["prompt_values_supported"] = Array("none", "login", "consent", "select_account"),
            ["authorization_response_iss_parameter_supported"] = true,
            ["request_parameter_supported"] = false,
            ["request_uri_parameter_supported"] = false,
            ["claims_parameter_supported"] = false,
        });
    }

    private static async Task<IResult> Jwks(HttpResponse response, SigningKeyRing keys, CancellationToken ct)
    {
        response.Headers.CacheControl = "public, max-age=300";
        return TypedResults.Json(await keys.JwksAsync(ct), contentType: "application/jwk-set+json");
    }

    private static async Task<IResult> Authorize(HttpContext context, IIdentityStore store, SignInService signIn, TokenService tokens,
        TimeProvider time, CancellationToken ct)
    {
        var request = context.Request;
        AuthorizeRequest authorize;
        try
        {
            authorize = await AuthorizeRequest.ValidateAsync(await OAuthHttp.ParametersAsync(request, ct), store, ct);
        }
        catch (Exception e) when (e is AuthorizePageException or OAuthException)
        {
            var texts = LoginApi.Texts(context, request.Query["ui_locales"]);
            return Pages.Message(texts, texts.ErrorTitle, e.Message, 400);
        }
        catch (AuthorizeRedirectException e)
        {
            return ErrorRedirect(e.RedirectUri, e.Error, e.Description, e.State, OAuthHttp.Issuer(request));
        }
        var issuer = OAuthHttp.Issuer(request);
        var session = await signIn.SessionAsync(request.Cookies[OAuthHttp.SessionCookie], pending: false, ct);
        var now = time.GetUtcNow();
        if (session is not null && authorize.MaxAge is { } maxAge && now - session.AuthTime > TimeSpan.FromSeconds(maxAge)) session = null;
        if (session is not null && authorize.Prompt == "login" && now - session.AuthTime > TimeSpan.FromSeconds(30)) session = null;
        if (session is null)
        {
            if (authorize.Prompt == "none") return ErrorRedirect(authorize.RedirectUri, "login_required", "The user is not signed in.", authorize.State, issuer);
            var returnTo = request.Path + request.QueryString;
            return Results.Redirect(LoginApi.SignInUrl(returnTo, authorize.UiLocales));
        }
        var code = await tokens.IssueCodeAsync(new AuthorizationCode
        {
            ClientId = authorize.Client.Id,
            AccountId = session.AccountId,
            RedirectUri = authorize.RedirectUri,
            Scope = authorize.Scope,
            Nonce = authorize.Nonce,
            CodeChallenge = authorize.CodeChallenge,
            SessionId = session.Id,
            AuthTime = session.AuthTime,
            Amr = session.Amr,
        }, ct);
        var query = new Dictionary<string, string?> { ["code"] = code, ["iss"] = issuer };
        if (authorize.State is not null) query["state"] = authorize.State;
        return Results.Redirect(QueryHelpers.AddQueryString(authorize.RedirectUri, query));
    }

    private static async Task<IResult> Token(HttpContext context, ClientRegistry clients, TokenService tokens, CancellationToken ct)
    {
        var basic = context.Request.Headers.Authorization.ToString().StartsWith("Basic ", StringComparison.OrdinalIgnoreCase);
        try
        {
            var form = await OAuthHttp.ParametersAsync(context.Request, ct);
            var (client, _) = await OAuthHttp.AuthenticateClientAsync(context.Request, form, clients, ct);
            var response = await tokens.ExchangeAsync(client, form, OAuthHttp.Issuer(context.Request), ct);
            OAuthHttp.NoStore(context.Response);
            return TypedResults.Json(response);
        }
        catch (OAuthException e)
        {
            return OAuthHttp.Error(e, basic);
        }
    }

    private static async Task<IResult> UserInfo(HttpContext context, TokenValidator validator, IIdentityStore store, CancellationToken ct)
    {
        var bearer = OAuthHttp.BearerToken(context.Request);
        if (bearer is null && HttpMethods.IsPost(context.Request.Method))
        {
            bearer = (await OAuthHttp.ReadFormAsync(context.Request, ct))?["access_token"].ToString();
        }
        if (string.IsNullOrEmpty(bearer)) return BearerError(401, null, "An access token is required.");
        var (token, error) = await validator.ValidateLocalAsync(bearer, ct);
        if (token is null) return BearerError(401, "invalid_token", error!);
        if (!token.Caller.Scopes.Contains("openid")) return BearerError(403, "insufficient_scope", "The token was not granted the openid scope.");
        var account = await store.GetAccountAsync(token.Caller.Subject, ct);
        if (account is null) return BearerError(401, "invalid_token", "The token does not belong to a user.");
        var claims = new JsonObject { ["sub"] = account.Id };
        foreach (var (name, value) in UserClaims.For(account, string.Join(' ', token.Caller.Scopes))) claims[name] = value;
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Json(claims);
    }

    private static async Task<IResult> Revoke(HttpContext context, IIdentityStore store, ClientRegistry clients, TokenValidator validator, IOptions<IdentityOptions> options,
        TimeProvider time, CancellationToken ct)
    {
        var basic = context.Request.Headers.Authorization.ToString().StartsWith("Basic ", StringComparison.OrdinalIgnoreCase);
        try
        {
            var form = await OAuthHttp.ParametersAsync(context.Request, ct);
            var (client, _) = await OAuthHttp.AuthenticateClientAsync(context.Request, form, clients, ct);
            var value = form.GetValueOrDefault("token") is { Length: > 0 } t ? t : throw OAuthException.InvalidRequest("token is required.");
            var now = time.GetUtcNow();
            if (await store.GetRefreshTokenAsync(Secrets.Hash(value), ct) is { } refresh)
            {
                if (refresh.ClientId == client.Id) await store.RevokeFamilyAsync(refresh.Family, now + options.Value.AccessTokenLifetime, ct);
            }
            else if ((await validator.ValidateLocalAsync(value, ct)).Token is { } access && access.Caller.ClientId == client.Id)
            {
                await store.RevokeAccessTokenAsync(access.Token.Id, new DateTimeOffset(access.Token.ValidTo, TimeSpan.Zero), now, ct);
            }
            // RFC 7009 2.2: unknown, foreign and already invalid tokens get the same 200 answer.
            OAuthHttp.NoStore(context.Response);
            return TypedResults.Ok();
        }
        catch (OAuthException e)
        {
            return OAuthHttp.Error(e, basic);
        }
    }

    private static async Task<IResult> Introspect(HttpContext context, IIdentityStore store, ClientRegistry clients, TokenValidator validator, TimeProvider time, CancellationToken ct)
    {
        var basic = context.Request.Headers.Authorization.ToString().StartsWith("Basic ", StringComparison.OrdinalIgnoreCase);
        try
        {
            var form = await OAuthHttp.ParametersAsync(context.Request, ct);
            var (client, _) = await OAuthHttp.AuthenticateClientAsync(context.Request, form, clients, ct);
            if (client.IsPublic) throw OAuthException.InvalidClient("Only confidential clients may introspect tokens.");
            var value = form.GetValueOrDefault("token") is { Length: > 0 } t ? t : throw OAuthException.InvalidRequest("token is required.");
            OAuthHttp.NoStore(context.Response);
            var inactive = new JsonObject { ["active"] = false };
            if (await store.GetRefreshTokenAsync(Secrets.Hash(value), ct) is { } refresh)
            {
                var live = refresh.ClientId == client.Id && !refresh.Revoked && refresh.Consumed is null && refresh.Expires > time.GetUtcNow()
                    && !await store.IsRevokedAsync("", refresh.Family, ct);
                return TypedResults.Json(!live ? inactive : new JsonObject
                {
                    ["active"] = true,
                    ["token_type"] = "refresh_token",
                    ["client_id"] = refresh.ClientId,
                    ["sub"] = refresh.AccountId,
                    ["scope"] = refresh.Scope,
                    ["exp"] = refresh.Expires.ToUnixTimeSeconds(),
                    ["iat"] = refresh.Issued.ToUnixTimeSeconds(),
                });
            }
            var (access, _) = await validator.ValidateLocalAsync(value, ct);
            // RFC 7662 4: a client learns about its own tokens only, unless it is registered as a resource server (scope introspection).
            if (access is null || (access.Caller.ClientId != client.Id && !ClientRules.MayIntrospectAll(client))) return TypedResults.Json(inactive);
            var claims = JsonNode.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(access.Token.EncodedPayload))!.AsObject();
            claims["active"] = true;
            claims["token_type"] = "access_token";
            return TypedResults.Json(claims);
        }
        catch (OAuthException e)
        {
            return OAuthHttp.Error(e, basic);
        }
    }

    private static async Task<IResult> EndSession(HttpContext context, IIdentityStore store, SignInService signIn, TokenValidator validator, CancellationToken ct)
    {
        var texts = LoginApi.Texts(context, context.Request.Query["ui_locales"]);
        IReadOnlyDictionary<string, string> parameters;
        try
        {
            parameters = await OAuthHttp.ParametersAsync(context.Request, ct);
        }
        catch (OAuthException e)
        {
            return Pages.Message(texts, texts.ErrorTitle, e.Description, 400);
        }
        string? redirect = null;
        var clientId = parameters.GetValueOrDefault("client_id");
        var hinted = false;
        if (parameters.GetValueOrDefault("id_token_hint") is { Length: > 0 } hint)
        {
            var idToken = await validator.ValidateIdTokenHintAsync(hint, ct);
            if (idToken is null) return Pages.Message(texts, texts.ErrorTitle, "id_token_hint is not an ID token of this provider.", 400);
            clientId = idToken.Audiences.FirstOrDefault();
            hinted = true;
        }
        if (parameters.GetValueOrDefault("post_logout_redirect_uri") is { Length: > 0 } requested)
        {
            var client = clientId is null ? null : await store.GetClientAsync(clientId, ct);
            if (client is null || !client.PostLogoutRedirectUris.Contains(requested, StringComparer.Ordinal))
            {
                return Pages.Message(texts, texts.ErrorTitle, "post_logout_redirect_uri is not registered for the client.", 400);
            }
            redirect = parameters.GetValueOrDefault("state") is { Length: > 0 } state
                ? QueryHelpers.AddQueryString(requested, "state", state)
                : requested;
        }
        // Another site can make a browser send this request (a link, an image): without an ID token of the user's client,
        // the user confirms on a page of ours, and the confirmation carries the CSRF token of that page.
        var confirmed = hinted || (HttpMethods.IsPost(context.Request.Method) && Csrf.IsValid(context, parameters.GetValueOrDefault(Csrf.FieldName)));
        if (!confirmed) return Pages.ConfirmSignOut(texts, Csrf.Token(context), parameters);
        await signIn.EndSessionAsync(context.Request.Cookies[OAuthHttp.SessionCookie], ct);
        context.Response.Cookies.Delete(OAuthHttp.SessionCookie, new CookieOptions { Path = OAuthHttp.CookiePath });
        return redirect is null ? Pages.Message(texts, texts.SignedOut, texts.SignedOut, 200) : Results.Redirect(redirect);
    }

    private static IResult ErrorRedirect(string redirectUri, string error, string description, string? state, string issuer)
    {
        var query = new Dictionary<string, string?> { ["error"] = error, ["error_description"] = description, ["iss"] = issuer };
        if (state is not null) query["state"] = state;
        return Results.Redirect(QueryHelpers.AddQueryString(redirectUri, query));
    }

    private static IResult BearerError(int status, string? error, string description) => new BearerErrorResult(status, error, description);

    private static JsonArray Array(params string[] values) => new(values.Select(v => (JsonNode)v).ToArray());

    /// <summary>RFC 6750 3: the error in WWW-Authenticate, and as JSON for humans.</summary>
    private sealed class BearerErrorResult(int status, string? error, string description) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.WWWAuthenticate = error is null
                ? "Bearer realm=\"cityos\""
                : $"Bearer realm=\"cityos\", error=\"{error}\", error_description=\"{description.Replace("\"", "'", StringComparison.Ordinal)}\"";
            await OAuthHttp.WriteErrorAsync(httpContext, status, error ?? "invalid_request", description);
        }
    }
}
