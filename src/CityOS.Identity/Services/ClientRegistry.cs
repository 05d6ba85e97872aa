using CityOS.Core;
using CityOS.Identity.Model;
using CityOS.Identity.Rules;
using CityOS.Identity.Storage;

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

/// <summary>Client registration rules (AU-1 for applications), shared by the admin API and the command line.</summary>
public sealed class ClientRegistry(IIdentityStore store, AccountManager accounts, TimeProvider time)
{
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
            Created = time.GetUtcNow(),
        };
        if (ClientRules.Problem(client) is { } problem) throw NgsiLdException.BadRequest(problem);
        if (client.Scopes.Any(s => s.Length == 0 || s.Any(c => c <= ' ' || c is '"' or '\\'))) throw NgsiLdException.BadRequest("Scopes are non-empty words without spaces or quotes.");
        await accounts.CheckRolesAsync(client.Memberships, ct);
        await store.CreateClientAsync(client, ct);
        return (client, secret);
    }
}
