using CityOS.Core;
using CityOS.Identity.Model;
using CityOS.Identity.Rules;
using CityOS.Identity.Storage;
using Microsoft.Extensions.Options;

namespace CityOS.Identity.Services;

/// <summary>What an administrator registers; a confidential client gets a generated secret, shown once.</summary>
public sealed record ClientDraft
{
    public string? ClientId { get; init; }
    public string Name { get; init; } = "";
    public bool Public { get; init; }
    public List<string> RedirectUris { get; init; } = [];
    public List<string> PostLogoutRedirectUris { get; init; } = [];
    public List<string> GrantTypes { get; init; } = [];
    public List<string>? Scopes { get; init; }
    public string SigningAlgorithm { get; init; } = "ES256";
    public List<TenantMembership> Memberships { get; init; } = [];
}

/// <summary>
/// Client registration rules (AU-1 for applications), shared by the admin API and the command line, and the
/// clients the OAuth endpoints authenticate, kept in memory: a deletion through this process is seen at once,
/// one by the command line within <see cref="IdentityOptions.CacheMaxAge"/>. Unknown ids are not remembered.
/// </summary>
public sealed class ClientRegistry
{
    /// <summary>Bounds the memory a deployment with very many clients spends on the ones in use.</summary>
    private const int CachedClients = 10_000;

    private readonly IIdentityStore _store;
    private readonly AccountManager _accounts;
    private readonly IOptions<IdentityOptions> _options;
    private readonly TimeProvider _time;
    private readonly ExpiringCache<Client> _clients = new(CachedClients);

    public ClientRegistry(IIdentityStore store, AccountManager accounts, IOptions<IdentityOptions> options, TimeProvider time)
    {
        _store = store;
        _accounts = accounts;
        _options = options;
        _time = time;
        store.Changed += change =>
        {
            if (change.Kind == IdentityChangeKind.Client) _clients.RemoveWhere(client => client.Id == change.Id);
        };
    }

    /// <summary>The registered client with this id, or null.</summary>
    public async ValueTask<Client?> FindAsync(string id, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        if (_clients.TryGet(id, now, out var cached)) return cached;
        var generation = _clients.Generation;
        var client = await _store.GetClientAsync(id, ct);
        if (client is not null) _clients.Add(id, client, now + _options.Value.CacheMaxAge, generation, now);
        return client;
    }

    public async Task<(Client Client, string? Secret)> RegisterAsync(ClientDraft draft, CancellationToken ct)
    {
        var secret = draft.Public ? null : Secrets.NewToken();
        var client = new Client
        {
            Id = draft.ClientId ?? "client-" + Guid.NewGuid().ToString("N")[..12],
            Name = draft.Name,
            SecretHash = secret is null ? null : Secrets.Hash(secret),
            RedirectUris = draft.RedirectUris,
            PostLogoutRedirectUris = draft.PostLogoutRedirectUris,
            GrantTypes = draft.GrantTypes.Distinct().ToList(),
            Scopes = (draft.Scopes ?? [.. ClientRules.StandardScopes]).Distinct().ToList(),
            SigningAlgorithm = draft.SigningAlgorithm,
            Memberships = draft.Memberships,
            Created = _time.GetUtcNow(),
        };
        if (ClientRules.Problem(client) is { } problem) throw NgsiLdException.BadRequest(problem);
        if (client.Scopes.Any(s => s.Length == 0 || s.Any(c => c <= ' ' || c is '"' or '\\'))) throw NgsiLdException.BadRequest("Scopes are non-empty words without spaces or quotes.");
        await _accounts.CheckRolesAsync(client.Memberships, ct);
        await _store.CreateClientAsync(client, ct);
        return (client, secret);
    }
}
