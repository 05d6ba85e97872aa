using System.Security.Cryptography;
using CityOS.Identity.Mfa;
using CityOS.Identity.Model;
using CityOS.Identity.Storage;
using QRCoder;

namespace CityOS.Identity.Services;

/// <summary>A TOTP secret offered to a user, with the QR code of its otpauth:// URI as a PNG data URI.</summary>
public sealed record TotpOffer(string Secret, string ProvisioningUri, string QrCodeDataUri);

/// <summary>TOTP enrolment (AU-3): offer a secret, activate it once the user proves a code, hand out recovery codes.</summary>
public sealed class MfaEnrolment(IIdentityStore store, TimeProvider time)
{
    public const string IssuerName = "CityOS";

    public async Task<TotpOffer> OfferAsync(string accountId, CancellationToken ct)
    {
        var secret = Base32.Encode(RandomNumberGenerator.GetBytes(20));
        var account = await store.UpdateAccountAsync(accountId, a => a with { PendingTotpSecret = a.PendingTotpSecret ?? secret }, ct)
            ?? throw new InvalidOperationException("The account vanished during enrolment.");
        var pending = account.PendingTotpSecret!;
        var uri = Totp.ProvisioningUri(IssuerName, account.Username, pending);
        using var data = new QRCodeGenerator().CreateQrCode(uri, QRCodeGenerator.ECCLevel.M);
        var png = new PngByteQRCode(data).GetGraphic(4);
        return new TotpOffer(pending, uri, "data:image/png;base64," + Convert.ToBase64String(png));
    }

    /// <summary>Activates the offered secret if <paramref name="code"/> is right; returns the recovery codes, or null.</summary>
    public async Task<IReadOnlyList<string>?> ConfirmAsync(string accountId, string code, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var codes = SignInService.NewRecoveryCodes();
        var confirmed = false;
        await store.UpdateAccountAsync(accountId, a =>
        {
            if (a.PendingTotpSecret is null || Totp.Verify(Base32.Decode(a.PendingTotpSecret), code, now, -1) is not { } step) return a;
            confirmed = true;
            return a with
            {
                Totp = new TotpEnrolment(a.PendingTotpSecret, step),
                PendingTotpSecret = null,
                RecoveryCodeHashes = codes.Select(c => SignInService.RecoveryCodeHash(a.Id, c)).ToList(),
                Updated = now,
            };
        }, ct);
        return confirmed ? codes : null;
    }
}
