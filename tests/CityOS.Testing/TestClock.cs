namespace CityOS.Testing;

/// <summary>
/// A clock whose time the tests set and move by hand, while its timers run on the machine's clock. For a host whose tests
/// jump days or months (token, key and session lifetimes): a <see cref="Microsoft.Extensions.Time.Testing.FakeTimeProvider"/>
/// would fire every period of the host's periodic timers (100 ms and up) across such a jump. Tests that need the timers on
/// the test's clock too (throttling, periodic notifications, retry delays) use FakeTimeProvider.
/// </summary>
public sealed class TestClock : TimeProvider
{
    public DateTimeOffset Now { get; set; } = new(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => Now;

    public void Advance(TimeSpan by) => Now += by;
}
