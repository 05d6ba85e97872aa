using CityOS.Core.Http;
using CityOS.Identity.Rules;
using CityOS.Identity.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CityOS.Identity.Http;

/// <summary>The sign-in pages (password, then TOTP when enrolled) and TOTP enrolment.</summary>
public static class LoginApi
{
    public static IEndpointRouteBuilder MapLoginApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/identity/v1").WithTags("Identity sign-in").ExcludeFromDescription()
            .WithSurface(ApiSurface.Html).AllowAnonymous();
        group.MapGet("/login", ShowSignIn).WithName("SignInPage").WithSummary("The sign-in form.");
        group.MapPost("/login", SignIn).WithName("SignIn").WithSummary("Checks user name and password; opens the SSO session.").DisableAntiforgery()
            .RequireRateLimiting(IdentityRateLimits.SignIn);
        group.MapPost("/login/otp", SecondFactor).WithName("SignInSecondFactor").WithSummary("Checks the TOTP or recovery code.").DisableAntiforgery()
            .RequireRateLimiting(IdentityRateLimits.SignIn);
        group.MapGet("/account/mfa", ShowEnrolment).WithName("TotpEnrolmentPage").WithSummary("TOTP enrolment with a QR code.");
        group.MapPost("/account/mfa", ConfirmEnrolment).WithName("TotpEnrolment").WithSummary("Activates TOTP with a first code.").DisableAntiforgery()
            .RequireRateLimiting(IdentityRateLimits.SignIn);
        return app;
    }

    public static string SignInUrl(string returnTo, string? uiLocales) =>
        "/identity/v1/login?return_to=" + Uri.EscapeDataString(returnTo) + (uiLocales is null ? "" : "&ui_locales=" + Uri.EscapeDataString(uiLocales));

    private static IResult ShowSignIn(HttpContext context, string? return_to, string? ui_locales)
    {
        var texts = Texts(context, ui_locales);
        if (!LocalReturnUrl.IsSafe(return_to)) return Pages.Message(texts, texts.ErrorTitle, "return_to must be a page of this provider.", 400);
        return Pages.SignIn(texts, Csrf.Token(context), return_to!, error: null);
    }

    private static async Task<IResult> SignIn(HttpContext context, SignInService signIn, CancellationToken ct)
    {
        if (await OAuthHttp.ReadFormAsync(context.Request, ct) is not { } form) return NotAForm(context);
        var texts = Texts(context, form["ui_locales"]);
        var returnTo = form["return_to"].ToString();
        if (!LocalReturnUrl.IsSafe(returnTo)) return Pages.Message(texts, texts.ErrorTitle, "return_to must be a page of this provider.", 400);
        if (!Csrf.IsValid(context, form)) return Pages.SignIn(texts, Csrf.Token(context), returnTo, texts.CsrfFailed, 403);
        var username = form["username"].ToString();
        var result = await signIn.PasswordAsync(username, form["password"].ToString(), Source(context), ct);
        if (!result.Succeeded) return Pages.SignIn(texts, Csrf.Token(context), returnTo, FailureText(texts, result.Failure), 401, username);
        SetSessionCookie(context, result.SessionToken!);
        return result.Session!.PendingMfa
            ? Pages.SecondFactor(texts, Csrf.Token(context), returnTo, error: null)
            : Results.Redirect(returnTo, preserveMethod: false);
    }

    private static async Task<IResult> SecondFactor(HttpContext context, SignInService signIn, CancellationToken ct)
    {
        if (await OAuthHttp.ReadFormAsync(context.Request, ct) is not { } form) return NotAForm(context);
        var texts = Texts(context, form["ui_locales"]);
        var returnTo = form["return_to"].ToString();
        if (!LocalReturnUrl.IsSafe(returnTo)) return Pages.Message(texts, texts.ErrorTitle, "return_to must be a page of this provider.", 400);
        if (!Csrf.IsValid(context, form)) return Pages.SecondFactor(texts, Csrf.Token(context), returnTo, texts.CsrfFailed, 403);
        var token = context.Request.Cookies[OAuthHttp.SessionCookie];
        var result = await signIn.SecondFactorAsync(token, form["code"].ToString(), Source(context), ct);
        if (!result.Succeeded)
        {
            return result.Failure == SignInFailure.InvalidCredentials && await signIn.SessionAsync(token, pending: true, ct) is not null
                ? Pages.SecondFactor(texts, Csrf.Token(context), returnTo, texts.InvalidOtp, 401)
                : Pages.SignIn(texts, Csrf.Token(context), returnTo, FailureText(texts, result.Failure), 401);
        }
        SetSessionCookie(context, result.SessionToken!);
        return Results.Redirect(returnTo, preserveMethod: false);
    }

    private static async Task<IResult> ShowEnrolment(HttpContext context, SignInService signIn, MfaEnrolment enrolment, string? ui_locales, CancellationToken ct)
    {
        var session = await signIn.SessionAsync(context.Request.Cookies[OAuthHttp.SessionCookie], pending: false, ct);
        if (session is null) return Results.Redirect(SignInUrl("/identity/v1/account/mfa", ui_locales));
        var offer = await enrolment.OfferAsync(session.AccountId, ct);
        return Pages.Enrol(Texts(context, ui_locales), Csrf.Token(context), offer, error: null);
    }

    private static async Task<IResult> ConfirmEnrolment(HttpContext context, SignInService signIn, MfaEnrolment enrolment, CancellationToken ct)
    {
        if (await OAuthHttp.ReadFormAsync(context.Request, ct) is not { } form) return NotAForm(context);
        var texts = Texts(context, form["ui_locales"]);
        var session = await signIn.SessionAsync(context.Request.Cookies[OAuthHttp.SessionCookie], pending: false, ct);
        if (session is null) return Results.Redirect(SignInUrl("/identity/v1/account/mfa", texts.Lang));
        if (!Csrf.IsValid(context, form)) return Pages.Enrol(texts, Csrf.Token(context), await enrolment.OfferAsync(session.AccountId, ct), texts.CsrfFailed, 403);
        var codes = await enrolment.ConfirmAsync(session.AccountId, form["code"].ToString(), ct);
        return codes is null
            ? Pages.Enrol(texts, Csrf.Token(context), await enrolment.OfferAsync(session.AccountId, ct), texts.InvalidOtp, 400)
            : Pages.RecoveryCodes(texts, codes);
    }

    private static void SetSessionCookie(HttpContext context, string token)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<IdentityOptions>>().Value;
        context.Response.Cookies.Append(OAuthHttp.SessionCookie, token, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Lax,
            Secure = context.Request.IsHttps,
            Path = OAuthHttp.CookiePath,
            MaxAge = options.SessionLifetime,
        });
    }

    /// <summary>The address a sign-in comes from: the client's, or as forwarded by a configured proxy.</summary>
    private static string Source(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    private static IResult NotAForm(HttpContext context)
    {
        var texts = Texts(context, null);
        return Pages.Message(texts, texts.ErrorTitle, "The request body must be the form of this page.", 400);
    }

    internal static PageTexts Texts(HttpContext context, string? uiLocales) =>
        PageTexts.For(uiLocales, context.Request.Headers.AcceptLanguage.ToString());

    private static string FailureText(PageTexts texts, SignInFailure? failure) => failure switch
    {
        SignInFailure.Locked => texts.Locked,
        SignInFailure.Disabled => texts.Disabled,
        _ => texts.InvalidCredentials,
    };
}
