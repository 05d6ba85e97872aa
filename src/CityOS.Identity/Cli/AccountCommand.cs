using System.Text.Json;
using CityOS.Core;
using CityOS.Identity.Model;
using CityOS.Identity.Services;
using CityOS.Identity.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CityOS.Identity.Cli;

/// <summary>
/// `cityos account ...` and `cityos client ...`: identity administration straight on the data directory,
/// so the first administrator and client exist before any token does.
/// </summary>
public static class AccountCommand
{
    public static async Task<int> RunAsync(string[] args, IConfiguration configuration, TextWriter output, TextWriter error, CancellationToken ct = default)
    {
        var services = new ServiceCollection().AddCityOsIdentity(configuration).BuildServiceProvider();
        await using var _ = services;
        try
        {
            var (positional, options) = Parse(args);
            return (positional.ElementAtOrDefault(0), positional.ElementAtOrDefault(1)) switch
            {
                ("account", "create") => await CreateAsync(services, options, output, ct),
                ("account", "list") => await ListAsync(services, output, ct),
                ("account", "show") => await ShowAsync(services, Required(positional, 2, "account"), output, ct),
                ("account", "set-password") => await SetPasswordAsync(services, Required(positional, 2, "account"), options, output, ct),
                ("account", "disable") => await SetDisabledAsync(services, Required(positional, 2, "account"), true, output, ct),
                ("account", "enable") => await SetDisabledAsync(services, Required(positional, 2, "account"), false, output, ct),
                ("account", "delete") => await DeleteAsync(services, Required(positional, 2, "account"), output, ct),
                ("account", "grant-role") => await GrantRoleAsync(services, Required(positional, 2, "account"), options, output, ct),
                ("client", "create") => await CreateClientAsync(services, options, output, ct),
                ("client", "list") => await ListClientsAsync(services, output, ct),
                _ => Usage(error),
            };
        }
        catch (NgsiLdException e)
        {
            await error.WriteLineAsync($"error: {e.Detail}");
            return 1;
        }
        catch (ArgumentException e)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            return 2;
        }
    }

    public const string Help = """
        Identity administration (works on the data directory; run it where the server keeps its data):
          cityos account create --username NAME --password PW [--display-name N] [--organisation O] [--email E] [--locale ja|en] [--tenant T --role R]
          cityos account list | show NAME | set-password NAME --password PW | disable NAME | enable NAME | delete NAME
          cityos account grant-role NAME --tenant T --role R      (system-admin: --tenant '*' --role system-admin)
          cityos client create --client-id ID [--public] [--redirect-uri URI]... [--grant G]... [--scope S]... [--tenant T --role R]
          cityos client list
        """;

    private static async Task<int> CreateAsync(IServiceProvider services, Dictionary<string, List<string>> o, TextWriter output, CancellationToken ct)
    {
        var account = await services.GetRequiredService<AccountManager>().CreateAsync(new AccountDraft
        {
            Username = One(o, "username") ?? throw new ArgumentException("--username is required."),
            Password = One(o, "password") ?? throw new ArgumentException("--password is required."),
            DisplayName = One(o, "display-name"),
            Organisation = One(o, "organisation"),
            Email = One(o, "email"),
            Locale = One(o, "locale"),
            Memberships = Membership(o) is { } m ? [m] : [],
        }, ct);
        await output.WriteLineAsync($"created account {account.Username} ({account.Id})");
        return 0;
    }

    private static async Task<int> ListAsync(IServiceProvider services, TextWriter output, CancellationToken ct)
    {
        foreach (var a in await services.GetRequiredService<IIdentityStore>().ListAccountsAsync(ct))
        {
            var roles = string.Join(", ", a.Memberships.Select(m => $"{m.Tenant}:{m.Role}"));
            await output.WriteLineAsync($"{a.Username}\t{a.Id}\t{(a.Disabled ? "disabled" : "enabled")}\t{roles}");
        }
        return 0;
    }

    private static async Task<int> ShowAsync(IServiceProvider services, string name, TextWriter output, CancellationToken ct)
    {
        var account = await services.GetRequiredService<AccountManager>().FindAsync(name, ct);
        await output.WriteLineAsync(Http.AdminApi.View(account).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    private static async Task<int> SetPasswordAsync(IServiceProvider services, string name, Dictionary<string, List<string>> o, TextWriter output, CancellationToken ct)
    {
        var accounts = services.GetRequiredService<AccountManager>();
        var account = await accounts.FindAsync(name, ct);
        await accounts.SetPasswordAsync(account.Id, One(o, "password") ?? throw new ArgumentException("--password is required."), ct);
        await output.WriteLineAsync($"password of {account.Username} set");
        return 0;
    }

    private static async Task<int> SetDisabledAsync(IServiceProvider services, string name, bool disabled, TextWriter output, CancellationToken ct)
    {
        var accounts = services.GetRequiredService<AccountManager>();
        var account = await accounts.FindAsync(name, ct);
        await accounts.SetDisabledAsync(account.Id, disabled, ct);
        await output.WriteLineAsync($"{account.Username} {(disabled ? "disabled" : "enabled")}");
        return 0;
    }

    private static async Task<int> DeleteAsync(IServiceProvider services, string name, TextWriter output, CancellationToken ct)
    {
        var accounts = services.GetRequiredService<AccountManager>();
        var account = await accounts.FindAsync(name, ct);
        await accounts.DeleteAsync(account.Id, ct);
        await output.WriteLineAsync($"deleted {account.Username}");
        return 0;
    }

    private static async Task<int> GrantRoleAsync(IServiceProvider services, string name, Dictionary<string, List<string>> o, TextWriter output, CancellationToken ct)
    {
        var accounts = services.GetRequiredService<AccountManager>();
        var account = await accounts.FindAsync(name, ct);
        var membership = Membership(o) ?? throw new ArgumentException("--tenant and --role are required.");
        await accounts.GrantRoleAsync(account.Id, membership, ct);
        await output.WriteLineAsync($"{account.Username} is {membership.Role} in {membership.Tenant}");
        return 0;
    }

    private static async Task<int> CreateClientAsync(IServiceProvider services, Dictionary<string, List<string>> o, TextWriter output, CancellationToken ct)
    {
        var (client, secret) = await services.GetRequiredService<ClientRegistry>().RegisterAsync(new ClientDraft
        {
            ClientId = One(o, "client-id"),
            Name = One(o, "name") ?? "",
            Public = o.ContainsKey("public"),
            RedirectUris = o.GetValueOrDefault("redirect-uri") ?? [],
            PostLogoutRedirectUris = o.GetValueOrDefault("post-logout-redirect-uri") ?? [],
            GrantTypes = o.GetValueOrDefault("grant") ?? [GrantTypes.AuthorizationCode, GrantTypes.RefreshToken],
            Scopes = o.GetValueOrDefault("scope"),
            SigningAlgorithm = One(o, "signing-algorithm") ?? "ES256",
            Memberships = Membership(o) is { } m ? [m] : [],
        }, ct);
        await output.WriteLineAsync($"created client {client.Id}");
        if (secret is not null) await output.WriteLineAsync($"client secret (shown once): {secret}");
        return 0;
    }

    private static async Task<int> ListClientsAsync(IServiceProvider services, TextWriter output, CancellationToken ct)
    {
        foreach (var c in await services.GetRequiredService<IIdentityStore>().ListClientsAsync(ct))
        {
            await output.WriteLineAsync($"{c.Id}\t{(c.IsPublic ? "public" : "confidential")}\t{string.Join(' ', c.GrantTypes)}\t{string.Join(' ', c.RedirectUris)}");
        }
        return 0;
    }

    private static int Usage(TextWriter error)
    {
        error.WriteLine(Help);
        return 2;
    }

    private static TenantMembership? Membership(Dictionary<string, List<string>> o) =>
        One(o, "tenant") is { } tenant && One(o, "role") is { } role ? new TenantMembership(tenant, role) : null;

    private static string Required(List<string> positional, int index, string what) =>
        positional.ElementAtOrDefault(index) ?? throw new ArgumentException($"Name the {what}.");

    private static string? One(Dictionary<string, List<string>> o, string name) => o.TryGetValue(name, out var v) ? v.LastOrDefault() : null;

    /// <summary>Words, and --name value options (repeatable); --public is a flag. Host options (--data) are read by the configuration.</summary>
    /// <summary>The options of every account and client command (any other is a usage error, never silently ignored).</summary>
    private static readonly HashSet<string> Options = new(StringComparer.Ordinal)
    {
        "username", "password", "display-name", "organisation", "email", "locale", "tenant", "role", "data",
        "client-id", "name", "public", "redirect-uri", "post-logout-redirect-uri", "grant", "scope", "signing-algorithm",
    };

    private static (List<string> Positional, Dictionary<string, List<string>> Options) Parse(string[] args)
    {
        var positional = new List<string>();
        var options = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                positional.Add(args[i]);
                continue;
            }
            var name = args[i][2..];
            if (!Options.Contains(name)) throw new ArgumentException($"unknown option --{name} (cityos account --help lists them).");
            var value = name == "public" || i + 1 >= args.Length ? "" : args[++i];
            if (!options.TryGetValue(name, out var list)) options[name] = list = [];
            list.Add(value);
        }
        return (positional, options);
    }
}
