using CityOS.Context.Storage;
using Microsoft.Extensions.Time.Testing;

namespace CityOS.Storage.Contracts;

/// <summary>
/// What every engine's dead-letter store (<see cref="IDeadLetterStore"/>) must do: keep, per tenant, a copy of each journal
/// change a consumer set aside, count repeated failures, and remove a letter once handled, durably. An engine's test
/// project derives a class that opens its store on one test's storage and commits changes through the engine's writes.
/// </summary>
public abstract class DeadLetterStoreContract : IAsyncLifetime
{
    protected const string History = "history";
    private static readonly DateTimeOffset FailedAt = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));

    private IDeadLetterStore? _store;

    private IDeadLetterStore Store => _store!;

    /// <summary>Opens the engine on this test's storage (the same storage again after <see cref="CloseAsync"/>), with the consumer "history".</summary>
    protected abstract ValueTask<IDeadLetterStore> OpenAsync(IReadOnlyCollection<string> consumers, TimeProvider time);

    /// <summary>Commits the creation of an entity through the engine's own writes; returns the journal position of its change.</summary>
    protected abstract Task<long> CommitAsync(IDeadLetterStore store, string? tenant, string entityId);

    protected abstract ValueTask CloseAsync(IDeadLetterStore store);

    /// <summary>Removes this test's storage (after the last close).</summary>
    protected abstract ValueTask DeleteStorageAsync();

    public async Task InitializeAsync() => _store = await OpenAsync([History], Time);

    public async Task DisposeAsync()
    {
        if (_store is not null) await CloseAsync(_store);
        await DeleteStorageAsync();
    }

    [Fact]
    public async Task A_change_set_aside_is_kept_with_a_copy_of_the_change()
    {
        var position = await CommitAsync(Store, "city", "urn:x:1");
        await Store.SetAsideAsync("city", History, position, null, "cannot be recorded", FailedAt, default);

        var letter = Assert.Single(await Store.ListDeadLettersAsync("city", 10, default));
        Assert.Equal(("city", History, (string?)null, "urn:x:1", position), (letter.Tenant, letter.Consumer, letter.SubscriptionId, letter.EntityId, letter.Position));
        Assert.Equal(("cannot be recorded", FailedAt, 1), (letter.Error, letter.FailedAt, letter.Attempts));
        var (found, change) = (await Store.GetDeadLetterAsync("city", letter.Id, default))!.Value;
        Assert.Equal(letter, found);
        Assert.Equal(("urn:x:1", position, "city"), (change.After!.Id, change.Sequence, change.Tenant));
        Assert.Null(change.Before);
    }

    [Fact]
    public async Task The_same_change_set_aside_again_is_one_letter_with_more_attempts()
    {
        var position = await CommitAsync(Store, null, "urn:x:2");
        await Store.SetAsideAsync(null, History, position, "urn:sub:1", "first", FailedAt, default);
        await Store.SetAsideAsync(null, History, position, "urn:sub:1", "second", FailedAt.AddMinutes(1), default);
        await Store.SetAsideAsync(null, History, position, "urn:sub:2", "other subscription", FailedAt, default);

        var letters = await Store.ListDeadLettersAsync(null, 10, default);
        Assert.Equal(2, letters.Count);
        Assert.Equal(("urn:sub:1", "second", 2, FailedAt.AddMinutes(1)), (letters[0].SubscriptionId, letters[0].Error, letters[0].Attempts, letters[0].FailedAt));
        Assert.Equal(("urn:sub:2", 1), (letters[1].SubscriptionId, letters[1].Attempts));
        Assert.Single(await Store.ListDeadLettersAsync(null, 1, default));

        await Store.RecordRetryFailureAsync(null, letters[1].Id, "still failing", FailedAt.AddHours(1), default);
        var retried = (await Store.GetDeadLetterAsync(null, letters[1].Id, default))!.Value.Letter;
        Assert.Equal(("still failing", 2, FailedAt.AddHours(1)), (retried.Error, retried.Attempts, retried.FailedAt));
    }

    [Fact]
    public async Task A_deleted_letter_is_gone_and_letters_belong_to_their_tenant()
    {
        var position = await CommitAsync(Store, "city-a", "urn:x:3");
        await CommitAsync(Store, "city-b", "urn:x:4");
        await Store.SetAsideAsync("city-a", History, position, null, "boom", FailedAt, default);
        var letter = Assert.Single(await Store.ListDeadLettersAsync("city-a", 10, default));

        Assert.Empty(await Store.ListDeadLettersAsync("city-b", 10, default));
        Assert.Empty(await Store.ListDeadLettersAsync("city-none", 10, default));
        Assert.Null(await Store.GetDeadLetterAsync("city-none", letter.Id, default));
        Assert.False(await Store.DeleteDeadLetterAsync("city-none", letter.Id, default));

        Assert.True(await Store.DeleteDeadLetterAsync("city-a", letter.Id, default));
        Assert.False(await Store.DeleteDeadLetterAsync("city-a", letter.Id, default));
        Assert.Null(await Store.GetDeadLetterAsync("city-a", letter.Id, default));
        Assert.Empty(await Store.ListDeadLettersAsync("city-a", 10, default));
    }

    [Fact]
    public async Task Letters_survive_a_reopen()
    {
        var position = await CommitAsync(Store, "city", "urn:x:5");
        await Store.SetAsideAsync("city", History, position, null, "boom", FailedAt, default);
        await CloseAsync(Store);
        _store = null;
        _store = await OpenAsync([History], Time);

        var letter = Assert.Single(await Store.ListDeadLettersAsync("city", 10, default));
        Assert.Equal(("urn:x:5", "boom"), (letter.EntityId, letter.Error));
        Assert.Equal("urn:x:5", (await Store.GetDeadLetterAsync("city", letter.Id, default))!.Value.Change.After!.Id);
    }
}
