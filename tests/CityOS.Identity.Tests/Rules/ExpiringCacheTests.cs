using CityOS.Identity.Storage;

namespace CityOS.Identity.Tests.Rules;

public class ExpiringCacheTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Entries_are_served_until_their_time_and_never_beyond_the_capacity()
    {
        var cache = new ExpiringCache<string>(100);
        for (var i = 0; i < 1_000; i++) cache.Add($"token-{i}", $"caller-{i}", Now.AddSeconds(30), cache.Generation, Now);
        Assert.InRange(cache.Count, 1, 100);
        Assert.True(cache.TryGet("token-999", Now.AddSeconds(29), out var caller));
        Assert.Equal("caller-999", caller);
        Assert.False(cache.TryGet("token-999", Now.AddSeconds(30), out _));
    }

    [Fact]
    public void A_value_read_before_an_invalidation_is_not_kept_after_it()
    {
        var cache = new ExpiringCache<string>(100);
        var before = cache.Generation;
        cache.Clear();
        cache.Add("token", "stale caller", Now.AddSeconds(30), before, Now);
        Assert.False(cache.TryGet("token", Now, out _));

        cache.Add("token", "caller", Now.AddSeconds(30), cache.Generation, Now);
        cache.RemoveWhere(c => c == "caller");
        Assert.False(cache.TryGet("token", Now, out _));
    }

    [Fact]
    public void A_capacity_of_zero_keeps_nothing()
    {
        var cache = new ExpiringCache<string>(0);
        cache.Add("token", "caller", Now.AddSeconds(30), cache.Generation, Now);
        Assert.False(cache.TryGet("token", Now, out _));
    }
}
