using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using CityOS.Identity.Model;
using CityOS.Identity.Services;
using CityOS.Identity.Storage;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace CityOS.Bench.OpenIddict;

/// <summary>
/// OpenIddict's application store over the <c>clients</c> table of identity.db, read through the same
/// <see cref="IIdentityStore"/> as cityos, so both token endpoints authenticate the same registered clients.
/// A lookup by id goes through cityos's <see cref="ClientRegistry"/>, the in-memory client cache cityos's own token
/// endpoint uses: OpenIddict's entity cache lives one request (it is scoped), so without it every token would
/// read identity.db, which cityos does not do. Read-only: clients are registered by <c>cityos client create</c> or
/// the admin API, never by OpenIddict. The client id is also the entity id.
/// </summary>
public sealed class ClientApplicationStore(IIdentityStore store, ClientRegistry clients) : IOpenIddictApplicationStore<Client>
{
    private const string ReadOnly = "The spike reads the clients of identity.db; register them with cityos.";

    public async ValueTask<long> CountAsync(CancellationToken cancellationToken) => (await store.ListClientsAsync(cancellationToken)).Count;

    public ValueTask<long> CountAsync<TResult>(Func<IQueryable<Client>, IQueryable<TResult>> query, CancellationToken cancellationToken) =>
        throw new NotSupportedException("identity.db keeps clients as documents; there is no IQueryable over them.");

    public ValueTask CreateAsync(Client application, CancellationToken cancellationToken) => throw new NotSupportedException(ReadOnly);

    public ValueTask DeleteAsync(Client application, CancellationToken cancellationToken) => throw new NotSupportedException(ReadOnly);

    public ValueTask UpdateAsync(Client application, CancellationToken cancellationToken) => throw new NotSupportedException(ReadOnly);

    public ValueTask<Client> InstantiateAsync(CancellationToken cancellationToken) => throw new NotSupportedException(ReadOnly);

    public async ValueTask<Client?> FindByIdAsync(string identifier, CancellationToken cancellationToken) =>
        await clients.FindAsync(identifier, cancellationToken);

    public ValueTask<Client?> FindByClientIdAsync(string identifier, CancellationToken cancellationToken) => FindByIdAsync(identifier, cancellationToken);

    public async IAsyncEnumerable<Client> FindByPostLogoutRedirectUriAsync(string uri, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var client in await store.ListClientsAsync(cancellationToken))
        {
            if (client.PostLogoutRedirectUris.Contains(uri, StringComparer.Ordinal)) yield return client;
        }
    }

    public async IAsyncEnumerable<Client> FindByRedirectUriAsync(string uri, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var client in await store.ListClientsAsync(cancellationToken))
        {
            if (client.RedirectUris.Contains(uri, StringComparer.Ordinal)) yield return client;
        }
    }

    public ValueTask<TResult?> GetAsync<TState, TResult>(Func<IQueryable<Client>, TState, IQueryable<TResult>> query, TState state, CancellationToken cancellationToken) =>
        throw new NotSupportedException("identity.db keeps clients as documents; there is no IQueryable over them.");

    public async IAsyncEnumerable<Client> ListAsync(int? count, int? offset, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var client in (await store.ListClientsAsync(cancellationToken)).Skip(offset ?? 0).Take(count ?? int.MaxValue)) yield return client;
    }

    public IAsyncEnumerable<TResult> ListAsync<TState, TResult>(Func<IQueryable<Client>, TState, IQueryable<TResult>> query, TState state, CancellationToken cancellationToken) =>
        throw new NotSupportedException("identity.db keeps clients as documents; there is no IQueryable over them.");

    public ValueTask<string?> GetApplicationTypeAsync(Client application, CancellationToken cancellationToken) =>
        new(application.IsPublic ? ApplicationTypes.Native : ApplicationTypes.Web);

    public ValueTask<string?> GetClientIdAsync(Client application, CancellationToken cancellationToken) => new(application.Id);

    /// <summary>SHA-256 of the secret, base64url, as cityos stores it; <see cref="ClientApplicationManager"/> compares with that hash.</summary>
    public ValueTask<string?> GetClientSecretAsync(Client application, CancellationToken cancellationToken) => new(application.SecretHash);

    public ValueTask<string?> GetClientTypeAsync(Client application, CancellationToken cancellationToken) =>
        new(application.IsPublic ? ClientTypes.Public : ClientTypes.Confidential);

    /// <summary>cityos shows no consent page: a registered client is trusted by its administrator.</summary>
    public ValueTask<string?> GetConsentTypeAsync(Client application, CancellationToken cancellationToken) => new(ConsentTypes.Implicit);

    public ValueTask<string?> GetDisplayNameAsync(Client application, CancellationToken cancellationToken) => new(application.Name);

    public ValueTask<ImmutableDictionary<CultureInfo, string>> GetDisplayNamesAsync(Client application, CancellationToken cancellationToken) =>
        new(ImmutableDictionary<CultureInfo, string>.Empty);

    public ValueTask<string?> GetIdAsync(Client application, CancellationToken cancellationToken) => new(application.Id);

    public ValueTask<JsonWebKeySet?> GetJsonWebKeySetAsync(Client application, CancellationToken cancellationToken) => new((JsonWebKeySet?)null);

    /// <summary>The client's grant types and scopes as OpenIddict permissions, so OpenIddict refuses what cityos refuses.</summary>
    public ValueTask<ImmutableArray<string>> GetPermissionsAsync(Client application, CancellationToken cancellationToken)
    {
        var permissions = ImmutableArray.CreateBuilder<string>();
        permissions.Add(Permissions.Endpoints.Token);
        permissions.AddRange(application.GrantTypes.Select(grant => Permissions.Prefixes.GrantType + grant));
        permissions.AddRange(application.Scopes.Select(scope => Permissions.Prefixes.Scope + scope));
        return new(permissions.ToImmutable());
    }

    public ValueTask<ImmutableArray<string>> GetPostLogoutRedirectUrisAsync(Client application, CancellationToken cancellationToken) =>
        new([.. application.PostLogoutRedirectUris]);

    public ValueTask<ImmutableDictionary<string, JsonElement>> GetPropertiesAsync(Client application, CancellationToken cancellationToken) =>
        new(ImmutableDictionary<string, JsonElement>.Empty);

    public ValueTask<ImmutableArray<string>> GetRedirectUrisAsync(Client application, CancellationToken cancellationToken) =>
        new([.. application.RedirectUris]);

    public ValueTask<ImmutableArray<string>> GetRequirementsAsync(Client application, CancellationToken cancellationToken) => new(ImmutableArray<string>.Empty);

    public ValueTask<ImmutableDictionary<string, string>> GetSettingsAsync(Client application, CancellationToken cancellationToken) =>
        new(ImmutableDictionary<string, string>.Empty);

    public ValueTask SetApplicationTypeAsync(Client application, string? type, CancellationToken cancellationToken) => throw new NotSupportedException(ReadOnly);

    public ValueTask SetClientIdAsync(Client application, string? identifier, CancellationToken cancellationToken) => throw new NotSupportedException(ReadOnly);

    public ValueTask SetClientSecretAsync(Client application, string? secret, CancellationToken cancellationToken) => throw new NotSupportedException(ReadOnly);

    public ValueTask SetClientTypeAsync(Client application, string? type, CancellationToken cancellationToken) => throw new NotSupportedException(ReadOnly);

    public ValueTask SetConsentTypeAsync(Client application, string? type, CancellationToken cancellationToken) => throw new NotSupportedException(ReadOnly);

    public ValueTask SetDisplayNameAsync(Client application, string? name, CancellationToken cancellationToken) => throw new NotSupportedException(ReadOnly);

    public ValueTask SetDisplayNamesAsync(Client application, ImmutableDictionary<CultureInfo, string> names, CancellationToken cancellationToken) =>
        throw new NotSupportedException(ReadOnly);

    public ValueTask SetJsonWebKeySetAsync(Client application, JsonWebKeySet? set, CancellationToken cancellationToken) => throw new NotSupportedException(ReadOnly);

    public ValueTask SetPermissionsAsync(Client application, ImmutableArray<string> permissions, CancellationToken cancellationToken) =>
        throw new NotSupportedException(ReadOnly);

    public ValueTask SetPostLogoutRedirectUrisAsync(Client application, ImmutableArray<string> uris, CancellationToken cancellationToken) =>
        throw new NotSupportedException(ReadOnly);

    public ValueTask SetPropertiesAsync(Client application, ImmutableDictionary<string, JsonElement> properties, CancellationToken cancellationToken) =>
        throw new NotSupportedException(ReadOnly);

    public ValueTask SetRedirectUrisAsync(Client application, ImmutableArray<string> uris, CancellationToken cancellationToken) =>
        throw new NotSupportedException(ReadOnly);

    public ValueTask SetRequirementsAsync(Client application, ImmutableArray<string> requirements, CancellationToken cancellationToken) =>
        throw new NotSupportedException(ReadOnly);

    public ValueTask SetSettingsAsync(Client application, ImmutableDictionary<string, string> settings, CancellationToken cancellationToken) =>
        throw new NotSupportedException(ReadOnly);
}
