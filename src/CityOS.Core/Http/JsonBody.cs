using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace CityOS.Core.Http;

/// <summary>Reads a JSON request body within a size limit, with NGSI-LD errors for what is wrong.</summary>
public static class JsonBody
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    public static async Task<JsonNode> ReadAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        if (request.ContentLength > maxBytes) throw TooLarge(maxBytes);
        var buffer = new ArrayBufferWriter<byte>((int)Math.Min(request.ContentLength ?? 4096, maxBytes) + 1);
        var body = request.Body;
        while (true)
        {
            var memory = buffer.GetMemory(8192);
            var read = await body.ReadAsync(memory, ct);
            if (read == 0) break;
            buffer.Advance(read);
            if (buffer.WrittenCount > maxBytes) throw TooLarge(maxBytes);
        }
        if (buffer.WrittenCount == 0) throw NgsiLdException.InvalidRequest("The request body is empty; a JSON payload is required.");
        try
        {
            return JsonNode.Parse(buffer.WrittenSpan, documentOptions: DocumentOptions)
                ?? throw NgsiLdException.InvalidRequest("The request body is JSON null; a JSON payload is required.");
        }
        catch (JsonException error)
        {
            throw NgsiLdException.InvalidRequest($"The request body is not valid JSON: {error.Message}");
        }
    }

    private static NgsiLdException TooLarge(long maxBytes) =>
        new(NgsiLdErrorType.PayloadTooLarge, $"The request body exceeds the limit of {maxBytes} bytes for this operation.");
}
