using CityOS.Context.Storage;
using CityOS.Context.Subscriptions;
using Microsoft.Extensions.DependencyInjection;

namespace CityOS.Testing;

/// <summary>
/// The positive signal that lets a test assert that something did NOT happen: a journal consumer (the notifier, the history)
/// has acknowledged every change written so far, so it has processed past them. The notifier acknowledges a batch only once
/// the deliveries it computed are taken by their receivers or durably in the outbox, so after its acknowledgement a
/// notification that would fire has either arrived or is in the outbox.
/// </summary>
public static class JournalProgress
{
    /// <summary>
    /// Waits until <paramref name="consumer"/> has acknowledged every change of each tenant (null: the default one) written so
    /// far. On a fake clock, <paramref name="advanceClock"/> moves it on between polls, for the timers that lead to the acknowledgement.
    /// </summary>
    public static async Task CaughtUpAsync(this IServiceProvider services, string consumer, IEnumerable<string?> tenants, Action? advanceClock = null)
    {
        var feed = services.GetRequiredService<IChangeFeed>();
        foreach (var tenant in tenants)
        {
            Assert.True(await Eventually.TrueAsync(async () => !await feed.HasPendingAsync(tenant, consumer, default), between: advanceClock),
                $"the {consumer} did not acknowledge the journal of tenant {tenant ?? "(default)"}");
        }
    }

    public static Task CaughtUpAsync(this IServiceProvider services, string consumer, string? tenant = null, Action? advanceClock = null) =>
        services.CaughtUpAsync(consumer, [tenant], advanceClock);

    /// <summary>
    /// Waits until the notifier has processed every change written so far in the tenants and <paramref name="receiverUrl"/>
    /// has nothing left in the outbox: every notification these changes fire for it has then arrived.
    /// </summary>
    public static async Task NotificationsSettledAsync(this IServiceProvider services, string receiverUrl, IEnumerable<string?> tenants, Action? advanceClock = null)
    {
        await services.CaughtUpAsync(Notifier.ConsumerName, tenants, advanceClock);
        var store = services.GetRequiredService<ISubscriptionStore>();
        Assert.True(await Eventually.TrueAsync(async () => !await store.LoadDeliveriesAsync(default).AnyAsync(d => d.Receiver == receiverUrl), between: advanceClock),
            $"notifications to {receiverUrl} stayed in the outbox");
    }
}
