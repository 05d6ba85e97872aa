using CityOS.Core.Security;
using CityOS.Identity.Model;
using CityOS.Identity.Storage;

namespace CityOS.Identity.Services;

/// <summary>The identity block's <see cref="IApplicationClients"/>: user sign-in clients through the <see cref="ClientRegistry"/>'s rules, with no roles of their own.</summary>
public sealed class ApplicationClients(ClientRegistry registry, IIdentityStore store) : IApplicationClients
{
    public async Task<ApplicationClient?> FindAsync(string clientId, CancellationToken ct) =>
        await registry.FindAsync(clientId, ct) is { } client ? View(client) : null;

    public async Task<RegisteredApplicationClient> RegisterAsync(ApplicationClientDraft draft, CancellationToken ct)
    {
        var (client, secret) = await registry.RegisterAsync(new ClientDraft
        {
            ClientId = draft.ClientId,
            Name = draft.Name,
            Public = !draft.Confidential,
            RedirectUris = [.. draft.RedirectUris],
            PostLogoutRedirectUris = [.. draft.PostLogoutRedirectUris],
            GrantTypes = [GrantTypes.AuthorizationCode, GrantTypes.RefreshToken],
        }, ct);
        return new RegisteredApplicationClient(View(client), secret);
    }

    public Task<bool> DeleteAsync(string clientId, CancellationToken ct) => store.DeleteClientAsync(clientId, ct);

    private static ApplicationClient View(Client client) =>
        new(client.Id, client.Name, !client.IsPublic, client.RedirectUris, client.PostLogoutRedirectUris, client.Created);
}
