using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CityOS.Context.JsonLd;

/// <summary>
/// Fetches remote @context documents over HTTP(S) within the configured time and size limits, through the outbound
/// policy (the HTTP client's connections are checked by <see cref="Core.Outbound.OutboundPolicy"/>). Every way a fetch
/// can fail (refused by the policy, no connection, an error status, no answer in time, too large, not a JSON-LD
/// document) gives the client the same answer: anything more would let it map the broker's network through the broker.
/// The reason is logged for the operator.
/// </summary>
internal sealed partial class ContextFetcher(IHttpClientFactory httpClientFactory, IOptions<JsonLdOptions> options, ILogger<ContextFetcher> logger)
{
    public const string HttpClientName = "CityOS.JsonLd";

    /// <summary>The one answer to a @context that cannot be had, whatever the reason.</summary>
    public static NgsiLdException NotAvailable(string url) =>
        new(NgsiLdErrorType.LdContextNotAvailable, $"The @context {url} could not be retrieved.");

    /// <summary>The document at <paramref name="url"/>, a JSON object with an @context member; <see cref="NotAvailable"/> otherwise.</summary>
    public async Task<string> FetchAsync(string url, CancellationToken ct)
    {
        try
        {
            return await FetchDocumentAsync(url, ct);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or FetchFailedException
            || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            LogFailed(logger, url, e is OperationCanceledException ? $"no answer within {options.Value.FetchTimeout.TotalSeconds:0.###} s" : e.Message);
            throw NotAvailable(url);
        }
    }

    private async Task<string> FetchDocumentAsync(string url, CancellationToken ct)
    {
        var limits = options.Value;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(limits.FetchTimeout);
        var client = httpClientFactory.CreateClient(HttpClientName);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.ParseAdd("application/ld+json");
        request.Headers.Accept.ParseAdd("application/json;q=0.9");
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        if (!response.IsSuccessStatusCode)
        {
            throw new FetchFailedException($"the server answered {(int)response.StatusCode}");
        }
        if (response.Content.Headers.ContentLength > limits.MaxContextBytes)
        {
            throw TooLarge(limits.MaxContextBytes);
        }
        await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, timeout.Token)) > 0)
        {
            if (buffer.Length + read > limits.MaxContextBytes)
            {
                throw TooLarge(limits.MaxContextBytes);
            }
            buffer.Write(chunk, 0, read);
        }
        var text = System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        RequireContextDocument(text);
        return text;
    }

    private static void RequireContextDocument(string text)
    {
        JsonNode? document;
        try
        {
            document = JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw new FetchFailedException($"the document is not JSON: {e.Message}");
        }
        if (document is not JsonObject obj || !obj.ContainsKey("@context"))
        {
            throw new FetchFailedException("the document is not a JSON object with an @context member");
        }
    }

    private static FetchFailedException TooLarge(long limit) => new($"the document is larger than {limit} bytes");

    [LoggerMessage(Level = LogLevel.Warning, Message = "The @context {Url} could not be retrieved: {Reason}")]
    private static partial void LogFailed(ILogger logger, string url, string reason);

    private sealed class FetchFailedException(string reason) : Exception(reason);
}
