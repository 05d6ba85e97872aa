using System.Text;
using CityOS.Identity.Mfa;

namespace CityOS.Identity.Tests.Rules;

public class TotpTests
{
    private static readonly byte[] Sha1Seed = Encoding.ASCII.GetBytes("12345678901234567890");
    private static readonly byte[] Sha256Seed = Encoding.ASCII.GetBytes("12345678901234567890123456789012");
    private static readonly byte[] Sha512Seed = Encoding.ASCII.GetBytes("1234567890123456789012345678901234567890123456789012345678901234");

    /// <summary>RFC 6238 Appendix B: every time and algorithm of the reference table, eight digits.</summary>
    [Theory]
    [InlineData(59L, "94287082", "46119246", "90693936")]
    [InlineData(1111111109L, "07081804", "68084774", "25091201")]
    [InlineData(1111111111L, "14050471", "67062674", "99943326")]
    [InlineData(1234567890L, "89005924", "91819424", "93441116")]
    [InlineData(2000000000L, "69279037", "90698825", "38618901")]
    [InlineData(20000000000L, "65353130", "77737706", "47863826")]
    public void Rfc6238_test_vectors(long unixTime, string sha1, string sha256, string sha512)
    {
        var step = Totp.StepAt(DateTimeOffset.FromUnixTimeSeconds(unixTime));
        Assert.Equal(sha1, Totp.Code(Sha1Seed, step, 8, "SHA1"));
        Assert.Equal(sha256, Totp.Code(Sha256Seed, step, 8, "SHA256"));
        Assert.Equal(sha512, Totp.Code(Sha512Seed, step, 8, "SHA512"));
    }

    [Fact]
    public void Six_digit_codes_are_the_low_digits_of_the_hotp_value()
    {
        var step = Totp.StepAt(DateTimeOffset.FromUnixTimeSeconds(59));
        Assert.Equal("287082", Totp.Code(Sha1Seed, step));
    }

    [Fact]
    public void Verify_accepts_one_step_of_drift_and_refuses_replays_and_junk()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        var step = Totp.StepAt(now);
        var current = Totp.Code(Sha1Seed, step);
        Assert.Equal(step, Totp.Verify(Sha1Seed, current, now, lastAcceptedStep: 0));
        Assert.Null(Totp.Verify(Sha1Seed, current, now, lastAcceptedStep: step));
        Assert.Equal(step - 1, Totp.Verify(Sha1Seed, Totp.Code(Sha1Seed, step - 1), now, 0));
        Assert.Equal(step + 1, Totp.Verify(Sha1Seed, Totp.Code(Sha1Seed, step + 1), now, 0));
        Assert.Null(Totp.Verify(Sha1Seed, Totp.Code(Sha1Seed, step - 2), now, 0));
        Assert.Null(Totp.Verify(Sha1Seed, "12345", now, 0));
        Assert.Null(Totp.Verify(Sha1Seed, "abcdef", now, 0));
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("f", "MY")]
    [InlineData("fo", "MZXQ")]
    [InlineData("foo", "MZXW6")]
    [InlineData("foob", "MZXW6YQ")]
    [InlineData("fooba", "MZXW6YTB")]
    [InlineData("foobar", "MZXW6YTBOI")]
    public void Base32_follows_rfc4648_without_padding(string text, string encoded)
    {
        Assert.Equal(encoded, Base32.Encode(Encoding.ASCII.GetBytes(text)));
        Assert.Equal(text, Encoding.ASCII.GetString(Base32.Decode(encoded)));
        Assert.Equal(text, Encoding.ASCII.GetString(Base32.Decode(encoded.ToLowerInvariant() + "======"[..((8 - encoded.Length % 8) % 8)])));
    }

    [Fact]
    public void Provisioning_uri_is_what_authenticator_apps_read()
    {
        Assert.Equal("otpauth://totp/CityOS:alice%40example.jp?secret=MZXW6&issuer=CityOS&algorithm=SHA1&digits=6&period=30",
            Totp.ProvisioningUri("CityOS", "alice@example.jp", "MZXW6"));
    }
}
