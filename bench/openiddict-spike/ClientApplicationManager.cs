using CityOS.Identity.Model;
using CityOS.Identity.Rules;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Core;

namespace CityOS.Bench.OpenIddict;

/// <summary>
/// OpenIddict's application manager with cityos's secret comparison: identity.db holds the SHA-256 of a
/// 256-bit random secret (<see cref="Secrets.Hash"/>), not OpenIddict's PBKDF2 format, and a high-entropy
/// secret needs no slow hash. Both endpoints therefore spend the same work on the client's secret.
/// </summary>
public sealed class ClientApplicationManager(
    IOpenIddictApplicationCache<Client> cache,
    ILogger<OpenIddictApplicationManager<Client>> logger,
    IOptionsMonitor<OpenIddictCoreOptions> options,
    IOpenIddictApplicationStore<Client> store) : OpenIddictApplicationManager<Client>(cache, logger, options, store)
{
    protected override ValueTask<bool> ValidateClientSecretAsync(string secret, string comparand, CancellationToken cancellationToken = default) =>
        new(Secrets.HashEquals(secret, comparand));
}
