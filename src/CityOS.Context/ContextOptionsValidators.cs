using CityOS.Context.JsonLd;
using CityOS.Context.Storage;
using CityOS.Context.Storage.Sqlite;
using CityOS.Context.Subscriptions;
using CityOS.Context.Temporal;
using CityOS.Core.Hosting;

namespace CityOS.Context;

/// <summary>The settings of the broker that it cannot work with (checked when the host starts).</summary>
internal sealed class ContextOptionsValidator : OptionsValidator<ContextOptions>
{
    protected override string Section => ContextOptions.Section;

    protected override void Check(ContextOptions o, OptionChecks checks)
    {
        checks.AtLeast(nameof(o.MaxEntityBytes), o.MaxEntityBytes, 1);
        checks.AtLeast(nameof(o.MaxBatchBytes), o.MaxBatchBytes, o.MaxEntityBytes);
        checks.AtLeast(nameof(o.MaxLimit), o.MaxLimit, 1);
        checks.AtLeast(nameof(o.DefaultLimit), o.DefaultLimit, 1);
        checks.Require(o.DefaultLimit <= o.MaxLimit, $"{checks.Setting(nameof(o.DefaultLimit))} ({o.DefaultLimit}) must not be above {checks.Setting(nameof(o.MaxLimit))} ({o.MaxLimit}).");
        if (o.Limits.Problem() is { } problem) checks.Require(false, problem);
    }
}

/// <summary>The @context fetch and cache settings that cannot work.</summary>
internal sealed class JsonLdOptionsValidator : OptionsValidator<JsonLdOptions>
{
    protected override string Section => JsonLdOptions.Section;

    protected override void Check(JsonLdOptions o, OptionChecks checks)
    {
        checks.Positive(nameof(o.FetchTimeout), o.FetchTimeout);
        checks.AtLeast(nameof(o.MaxContextBytes), o.MaxContextBytes, 1);
        checks.AtLeast(nameof(o.MaxCachedContexts), o.MaxCachedContexts, 1);
        checks.AtLeast(nameof(o.MaxFetchesPerRequest), o.MaxFetchesPerRequest, 0);
        checks.NotNegative(nameof(o.FailureCacheDuration), o.FailureCacheDuration);
        checks.AtLeast(nameof(o.MaxContextsPerTenant), o.MaxContextsPerTenant, 0);
    }
}

/// <summary>The notification settings that would stop or flood delivery (a JournalBatch of 0 reads no change ever).</summary>
internal sealed class SubscriptionOptionsValidator : OptionsValidator<SubscriptionOptions>
{
    protected override string Section => SubscriptionOptions.Section;

    protected override void Check(SubscriptionOptions o, OptionChecks checks)
    {
        checks.AtLeast(nameof(o.JournalBatch), o.JournalBatch, 1);
        checks.AtLeast(nameof(o.MaxInFlightPerReceiver), o.MaxInFlightPerReceiver, 1);
        checks.AtLeast(nameof(o.MaxQueuedPerReceiver), o.MaxQueuedPerReceiver, 1);
        checks.AtLeast(nameof(o.MaxUnwrittenDeliveries), o.MaxUnwrittenDeliveries, 1);
        checks.AtLeast(nameof(o.MaxAttempts), o.MaxAttempts, 1);
        checks.AtLeast(nameof(o.MaxEntitiesPerPeriodicNotification), o.MaxEntitiesPerPeriodicNotification, 1);
        checks.Positive(nameof(o.DeliveryTimeout), o.DeliveryTimeout);
        checks.Positive(nameof(o.InitialRetryDelay), o.InitialRetryDelay);
        checks.Require(o.MaxRetryDelay >= o.InitialRetryDelay,
            $"{checks.Setting(nameof(o.MaxRetryDelay))} ({o.MaxRetryDelay}) must not be below {checks.Setting(nameof(o.InitialRetryDelay))} ({o.InitialRetryDelay}).");
        checks.NotNegative(nameof(o.OutboxDelay), o.OutboxDelay);
        checks.Positive(nameof(o.CountersFlushInterval), o.CountersFlushInterval);
        checks.NotNegative(nameof(o.MinTimeInterval), o.MinTimeInterval);
    }
}

/// <summary>The history settings that cannot work (a retention of zero would prune every instance as it is written).</summary>
internal sealed class TemporalOptionsValidator : OptionsValidator<TemporalOptions>
{
    protected override string Section => TemporalOptions.Section;

    protected override void Check(TemporalOptions o, OptionChecks checks)
    {
        checks.NotNegative(nameof(o.HistoryCommitDelay), o.HistoryCommitDelay);
        checks.AtLeast(nameof(o.MaxInstancesPerAttribute), o.MaxInstancesPerAttribute, 1);
        checks.Positive(nameof(o.PruneInterval), o.PruneInterval);
        if (o.Retention is { } retention) checks.Positive(nameof(o.Retention), retention);
        foreach (var (group, policies) in new[] { (nameof(o.Tenants), o.Tenants), (nameof(o.Types), o.Types) })
        {
            foreach (var (name, policy) in policies)
            {
                if (policy.Retention is { } kept) checks.Positive($"{group}:{name}:{nameof(policy.Retention)}", kept);
            }
        }
    }
}

/// <summary>The change-journal lease settings that cannot work (an empty node name, a lease that never lasts).</summary>
internal sealed class ChangeFeedOptionsValidator : OptionsValidator<ChangeFeedOptions>
{
    protected override string Section => ChangeFeedOptions.Section;

    protected override void Check(ChangeFeedOptions o, OptionChecks checks)
    {
        if (o.Problem() is { } problem) checks.Require(false, problem);
    }
}

/// <summary>The tenant database settings that cannot work (no read connection, tenants closed as they open).</summary>
internal sealed class SqliteStoreOptionsValidator : OptionsValidator<SqliteStoreOptions>
{
    protected override string Section => SqliteStoreOptions.Section;

    protected override void Check(SqliteStoreOptions o, OptionChecks checks)
    {
        if (o.Problem() is { } problem) checks.Require(false, problem);
    }
}
