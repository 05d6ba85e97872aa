using CityOS.Context.Broker;
using CityOS.Core;
using CityOS.Core.Http;
using Microsoft.Extensions.Time.Testing;

namespace CityOS.Context.Tests.Limits;

/// <summary>
/// A query that runs past <c>CityOS:Limits:MaxQueryTime</c> stops with TooComplexQuery (403), never a 500 or a hang. The
/// clock is the test's: a budget measured against a real clock passes or fails with the speed of the machine.
/// </summary>
public sealed class QueryBudgetTests
{
    private readonly FakeTimeProvider _clock = new();
    private readonly QueryBudget _budget;

    public QueryBudgetTests() => _budget = new QueryBudget(new InputLimits { MaxQueryTime = TimeSpan.FromSeconds(2) }, _clock);

    [Fact]
    public async Task A_query_past_its_time_budget_stops_with_TooComplexQuery_naming_the_setting()
    {
        var started = new TaskCompletionSource();
        var running = _budget.RunAsync(ct => RunUntilCancelledAsync(started, ct), CancellationToken.None);
        await started.Task;

        _clock.Advance(TimeSpan.FromSeconds(1.9));
        Assert.False(running.IsCompleted);
        _clock.Advance(TimeSpan.FromSeconds(0.1));

        var error = await Assert.ThrowsAsync<NgsiLdException>(() => running.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(NgsiLdErrorType.TooComplexQuery, error.Type);
        Assert.Equal(403, error.Status);
        Assert.Contains("CityOS:Limits:MaxQueryTime", error.Detail);
    }

    [Fact]
    public async Task A_query_within_its_budget_answers_and_a_caller_who_goes_away_is_not_told_TooComplexQuery()
    {
        Assert.Equal(42, await _budget.RunAsync(_ => ValueTask.FromResult(42), CancellationToken.None));

        using var caller = new CancellationTokenSource();
        var started = new TaskCompletionSource();
        var running = _budget.RunAsync(ct => RunUntilCancelledAsync(started, ct), caller.Token);
        await started.Task;
        await caller.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    private static async ValueTask<int> RunUntilCancelledAsync(TaskCompletionSource started, CancellationToken ct)
    {
        started.SetResult();
        await Task.Delay(Timeout.Infinite, ct);
        return 0;
    }
}
