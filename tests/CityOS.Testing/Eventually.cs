namespace CityOS.Testing;

/// <summary>Polls a condition that the system makes true in the background (a positive signal), up to a deadline.</summary>
public static class Eventually
{
    /// <summary>Whether <paramref name="condition"/> held within <paramref name="timeoutMs"/>; <paramref name="between"/> runs between polls (e.g. moving a fake clock).</summary>
    public static async Task<bool> TrueAsync(Func<Task<bool>> condition, int timeoutMs = 10_000, Action? between = null)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return true;
            between?.Invoke();
            await Task.Delay(20);
        }
        return await condition();
    }

    public static Task<bool> TrueAsync(Func<bool> condition, int timeoutMs = 10_000, Action? between = null) =>
        TrueAsync(() => Task.FromResult(condition()), timeoutMs, between);
}
