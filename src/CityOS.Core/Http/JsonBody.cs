using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace CityOS.Core.Http;

/// <summary>Reads a JSON request body within a size limit and the <see cref="InputLimits"/>, with NGSI-LD errors for what is wrong.</summary>
public static class JsonBody
{
    /// <summary>With the default <see cref="InputLimits"/>, for bodies outside the NGSI-LD API.</summary>
    public static Task<JsonNode> ReadAsync(HttpRequest request, long maxBytes, CancellationToken ct) =>
        ReadAsync(request, maxBytes, new InputLimits(), ct);

    public static async Task<JsonNode> ReadAsync(HttpRequest request, long maxBytes, InputLimits limits, CancellationToken ct)
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
        return Parse(buffer.WrittenSpan, limits);
    }

    /// <summary>
    /// A JSON tree that did not come as a request body (another block's call of the context API), held to the same size
    /// limit and <see cref="InputLimits"/> as a body: a copy of it, as a body of its text would have been read.
    /// </summary>
    /// <param name="node">A JSON tree, or a list of them (a batch; admitted as one array, without copying the elements first).</param>
    public static JsonNode Admit<T>(T node, long maxBytes, InputLimits limits) where T : class
    {
        byte[] utf8;
        try
        {
            utf8 = JsonSerializer.SerializeToUtf8Bytes(node);
        }
        catch (Exception error) when (error is ArgumentException or InvalidOperationException or JsonException)
        {
            throw NgsiLdException.InvalidRequest($"The payload cannot be written as JSON: {error.Message}");
        }
        if (utf8.Length > maxBytes) throw TooLarge(maxBytes);
        return Parse(utf8, limits);
    }

    private static JsonNode Parse(ReadOnlySpan<byte> utf8, InputLimits limits)
    {
        JsonInput.Check(utf8, limits);
        return JsonNode.Parse(utf8, documentOptions: new JsonDocumentOptions { MaxDepth = limits.MaxJsonDepth + 1 })
            ?? throw NgsiLdException.InvalidRequest("The request body is JSON null; a JSON payload is required.");
    }

    private static NgsiLdException TooLarge(long maxBytes) =>
        new(NgsiLdErrorType.PayloadTooLarge, $"The request body exceeds the limit of {maxBytes} bytes for this operation.");
}
