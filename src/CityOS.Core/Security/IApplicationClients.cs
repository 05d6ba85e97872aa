namespace CityOS.Core.Security;

/// <summary>
/// The OAuth clients of applications that sign users in (authorization code with PKCE, refresh tokens), for blocks that
/// register them without the identity block's internals: the portal's own sign-in and the applications developers register
/// in it. Such a client holds no roles of its own: its tokens carry what the signed-in user may do. The identity block's
/// registration rules apply (exact absolute redirect URIs, client id syntax); a draft they refuse throws
/// <see cref="NgsiLdException"/> BadRequestData and registers nothing.
/// </summary>
public interface IApplicationClients
{
    /// <summary>The client of this id, or null.</summary>
    Task<ApplicationClient?> FindAsync(string clientId, CancellationToken ct);

    /// <summary>Registers the client; a confidential one gets a generated secret, returned here once and kept only as a hash.</summary>
    Task<RegisteredApplicationClient> RegisterAsync(ApplicationClientDraft draft, CancellationToken ct);

    /// <summary>Removes the client; false when there was none.</summary>
    Task<bool> DeleteAsync(string clientId, CancellationToken ct);
}

/// <param name="ClientId">The id to register; null for a generated one.</param>
/// <param name="Confidential">A server-side application that keeps a secret; false for a public client (browser, mobile app).</param>
public sealed record ApplicationClientDraft(
    string? ClientId, string Name, IReadOnlyList<string> RedirectUris, IReadOnlyList<string> PostLogoutRedirectUris, bool Confidential);

public sealed record ApplicationClient(
    string ClientId, string Name, bool Confidential, IReadOnlyList<string> RedirectUris, IReadOnlyList<string> PostLogoutRedirectUris, DateTimeOffset Created);

/// <param name="Secret">The client secret of a confidential client (shown once); null for a public client.</param>
public sealed record RegisteredApplicationClient(ApplicationClient Client, string? Secret);
