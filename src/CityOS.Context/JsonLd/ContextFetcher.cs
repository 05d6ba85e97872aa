using CityOS.Core;
using Microsoft.Extensions.Options;

namespace CityOS.Context.JsonLd;

/// <summary>Fetches remote @context documents over HTTP(S) within the configured time and size limits.</summary>
internal sealed class ContextFetcher(IHttpClientFactory httpClientFactory, IOptions<JsonLdOptions> options)
{
    public const string HttpClientName = "CityOS.JsonLd";

    public async Task<string> FetchAsync(string url, CancellationToken ct)
    {
        var limits = options.Value;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(limits.FetchTimeout);
        try
        {
            var client = httpClientFactory.CreateClient(HttpClientName);
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Accept.ParseAdd("application/ld+json");
            request.Headers.Accept.ParseAdd("application/json;q=0.9");
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw NotAvailable(url, $"the server answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }
            if (response.Content.Headers.ContentLength > limits.MaxContextBytes)
            {
                throw TooLarge(url, limits.MaxContextBytes);
            }
            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
            using var buffer = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = await body.ReadAsync(chunk, timeout.Token)) > 0)
            {
                if (buffer.Length + read > limits.MaxContextBytes)
                {
                    throw TooLarge(url, limits.MaxContextBytes);
                }
                buffer.Write(chunk, 0, read);
            }
            return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw NotAvailable(url, $"no answer within {limits.FetchTimeout.TotalSeconds:0.###} s");
        }
        catch (HttpRequestException e)
        {
            throw NotAvailable(url, e.HttpRequestError == HttpRequestError.Unknown ? e.Message : e.HttpRequestError.ToString());
        }
    }

    private static NgsiLdException NotAvailable(string url, string reason) =>
        new(NgsiLdErrorType.LdContextNotAvailable, $"The @context {url} could not be retrieved: {reason}.");

    private static NgsiLdException TooLarge(string url, long limit) =>
        NotAvailable(url, $"the document is larger than {limit} bytes");
}
