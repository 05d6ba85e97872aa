using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CityOS.Core.Security;
using CityOS.Identity;
using CityOS.Identity.Model;
using CityOS.Identity.Services;
using CityOS.Identity.Tokens;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

// Cost of ITokenValidator.ValidateAsync, the call the broker makes on every authenticated request, and of
// issuing one client_credentials token, in-process (no HTTP) on a fresh identity.db. "cached" validates the
// same token again and again (the broker's steady state: a client reuses its token until it expires);
// "uncached" runs with the validated-token cache switched off, so every call verifies the signature and
// reads revocations (and, for a user's token, the account).
// Usage: dotnet CityOS.Bench.Identity.dll [cachedValidations=200000] [uncachedValidations=20000] [--json FILE]
var jsonIndex = Array.IndexOf(args, "--json");
var jsonFile = jsonIndex >= 0 ? args[jsonIndex + 1] : null;
var counts = args.Where((_, i) => jsonIndex < 0 || i < jsonIndex || i > jsonIndex + 1).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray();
var cachedCount = counts.Length > 0 ? counts[0] : 200_000;
var uncachedCount = counts.Length > 1 ? counts[1] : 20_000;
const string Issuer = "http://bench.cityos.local";

var data = Directory.CreateTempSubdirectory("cityos-identity-bench-").FullName;
try
{
    await using var cached = Provider(data, cacheSize: null);
    await using var uncached = Provider(data, cacheSize: 0);
    var (clientToken, userToken, issueMicroseconds) = await IssueAsync(cached);
    var rows = new List<(string Name, int Count, double Microseconds)>
    {
        ("issue one client_credentials token (ES256)", 2_000, issueMicroseconds),
        ("ValidateAsync, cached, client token", cachedCount, await ValidateAsync(cached, clientToken, cachedCount)),
        ("ValidateAsync, cached, user token", cachedCount, await ValidateAsync(cached, userToken, cachedCount)),
        ("ValidateAsync, uncached, client token", uncachedCount, await ValidateAsync(uncached, clientToken, uncachedCount)),
        ("ValidateAsync, uncached, user token", uncachedCount, await ValidateAsync(uncached, userToken, uncachedCount)),
    };
    Console.WriteLine("| operation | calls | µs per call |");
    Console.WriteLine("|---|---:|---:|");
    foreach (var (name, count, microseconds) in rows) Console.WriteLine($"| {name} | {count} | {microseconds.ToString("F2", CultureInfo.InvariantCulture)} |");
    if (jsonFile is not null)
    {
        await File.WriteAllTextAsync(jsonFile, JsonSerializer.Serialize(rows.Select(r => new { operation = r.Name, calls = r.Count, microseconds = r.Microseconds }),
            new JsonSerializerOptions { WriteIndented = true }));
    }
}
finally
{
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    Directory.Delete(data, recursive: true);
}

static ServiceProvider Provider(string data, int? cacheSize)
{
    var settings = new Dictionary<string, string?>
    {
        ["CityOS:DataDirectory"] = data,
        ["CityOS:Identity:Issuer"] = Issuer,
        ["CityOS:Identity:PasswordIterations"] = "1000",
    };
    if (cacheSize is { } size) settings["CityOS:Identity:ValidatedTokenCacheSize"] = size.ToString(CultureInfo.InvariantCulture);
    var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
    return new ServiceCollection().AddLogging().AddCityOsIdentity(configuration).BuildServiceProvider();
}

// A client_credentials token and a user's token, and the mean time to issue the former.
static async Task<(string Client, string User, double IssueMicroseconds)> IssueAsync(IServiceProvider services)
{
    var membership = new TenantMembership("city", "service");
    var (client, _) = await services.GetRequiredService<ClientRegistry>().RegisterAsync(new ClientDraft
    {
        ClientId = "bench",
        GrantTypes = [GrantTypes.ClientCredentials],
        Scopes = ["ngsi-ld"],
        Memberships = [membership],
    }, CancellationToken.None);
    var tokens = services.GetRequiredService<TokenService>();
    var form = new Dictionary<string, string> { ["grant_type"] = GrantTypes.ClientCredentials };
    var clientToken = "";
    for (var i = 0; i < 200; i++) clientToken = (await tokens.ExchangeAsync(client, form, Issuer, CancellationToken.None))["access_token"]!.GetValue<string>();
    const int Issued = 2_000;
    var watch = Stopwatch.StartNew();
    for (var i = 0; i < Issued; i++) await tokens.ExchangeAsync(client, form, Issuer, CancellationToken.None);
    var issueMicroseconds = watch.Elapsed.TotalMicroseconds / Issued;

    var account = await services.GetRequiredService<AccountManager>().CreateAsync(new AccountDraft
    {
        Username = "bench-user",
        Password = "bench-password-1234",
        Memberships = [new TenantMembership("city", "operator")],
    }, CancellationToken.None);
    var user = await services.GetRequiredService<TokenIssuer>().AccessTokenAsync(Issuer,
        new TokenSubject(account.Id, client.Id, "openid ngsi-ld", account.RolesByTenant(), ["pwd"], DateTimeOffset.UtcNow, Guid.NewGuid().ToString("N")),
        "ES256", CancellationToken.None);
    return (clientToken, user.Token, issueMicroseconds);
}

// Mean microseconds per ValidateAsync of one token, after a warm-up.
static async Task<double> ValidateAsync(IServiceProvider services, string token, int count)
{
    var validator = services.GetRequiredService<ITokenValidator>();
    for (var i = 0; i < Math.Min(count, 1_000); i++) await validator.ValidateAsync(token, CancellationToken.None);
    var watch = Stopwatch.StartNew();
    for (var i = 0; i < count; i++) await validator.ValidateAsync(token, CancellationToken.None);
    return watch.Elapsed.TotalMicroseconds / count;
}
