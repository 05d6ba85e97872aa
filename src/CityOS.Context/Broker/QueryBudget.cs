using CityOS.Core;
using CityOS.Core.Http;

namespace CityOS.Context.Broker;

/// <summary>
/// The time one query may run (<see cref="InputLimits.MaxQueryTime"/>), for the entity and the temporal query alike:
/// past it the query stops and answers 403 TooComplexQuery, rather than holding a thread and a read snapshot for as
/// long as it takes.
/// </summary>
public sealed class QueryBudget(InputLimits limits, TimeProvider time)
{
    public async Task<T> RunAsync<T>(Func<CancellationToken, ValueTask<T>> query, CancellationToken ct)
    {
        using var deadline = new CancellationTokenSource(limits.MaxQueryTime, time);
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        try
        {
            return await query(budget.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new NgsiLdException(NgsiLdErrorType.TooComplexQuery,
                $"The query ran longer than {limits.MaxQueryTime:c}; narrow it (type, attrs, a geo-query with maxDistance) (setting {InputLimits.Setting(nameof(InputLimits.MaxQueryTime))}).");
        }
    }
}
