using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Core;
using CityOS.Core.Http;
using CityOS.Core.Security;
using CityOS.Devices.Model;
using CityOS.Devices.Rules;
using Microsoft.AspNetCore.Http;

namespace CityOS.Devices.Http;

/// <summary>What the IoT Agent routes share: the fiware-service headers, bodies within a limit, and errors as the agents write them.</summary>
public static class IotAgentHttp
{
    public const string ServiceHeader = "fiware-service";
    public const string ServicePathHeader = "fiware-servicepath";

    /// <summary>Whether the caller administers the tenant (its tenant-admin, or a system-admin): provisioning and external systems are theirs.</summary>
    public static bool AdministersTenant(CallerIdentity caller, string? tenant) =>
        caller.RolesIn(SecurityTenants.Key(tenant)) is var roles && (roles.Contains("tenant-admin") || roles.Contains("system-admin"));

    /// <summary>Answers an <see cref="IotAgentException"/> as <c>{"name", "message"}</c> (with the problem-details members beside them).</summary>
    public static async ValueTask<object?> Errors(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (IotAgentException error)
        {
            return Error(error);
        }
        catch (NgsiLdException error) when (error.Type == NgsiLdErrorType.BadRequestData)
        {
            return Error(IotAgentException.BadRequest(error.Detail));
        }
    }

    public static IResult Error(IotAgentException error) => TypedResults.Json(new JsonObject
    {
        ["name"] = error.Name,
        ["message"] = error.Message,
        ["type"] = "urn:cityos:iot:" + error.Name,
        ["title"] = error.Name,
        ["status"] = error.Status,
        ["detail"] = error.Message,
    }, statusCode: error.Status);

    /// <summary>
    /// The tenant and service path of a provisioning call: fiware-service (or NGSILD-Tenant; "default" is the default tenant)
    /// is required, as the IoT Agents require it; fiware-servicepath defaults to "/".
    /// </summary>
    public static ServiceScope RequiredScope(HttpRequest request) =>
        OptionalScope(request) ?? throw IotAgentException.MissingHeaders(ServiceHeader);

    /// <summary>The scope the request names, or null when it names no service.</summary>
    public static ServiceScope? OptionalScope(HttpRequest request)
    {
        var service = request.Headers[ServiceHeader].ToString();
        if (service.Length == 0) service = request.Headers[Tenancy.HeaderName].ToString();
        if (service.Length == 0) return null;
        var path = request.Headers[ServicePathHeader].ToString();
        if (path.Length == 0) path = "/";
        if (!path.StartsWith('/') || path.Length > 50 || path.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '/' or '_' or '-')))
        {
            throw IotAgentException.BadRequest($"Invalid {ServicePathHeader} '{path}': a path like /city/parking (letters, digits, _ and -).");
        }
        return new ServiceScope(Tenancy.Normalize(service.Trim()), path);
    }

    public static async Task<JsonNode> ReadJsonAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        var body = await ReadBytesAsync(request, maxBytes, ct);
        try
        {
            return JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 32 })
                ?? throw IotAgentException.WrongSyntax("the body is null");
        }
        catch (JsonException error)
        {
            throw IotAgentException.WrongSyntax($"the body is not JSON (line {error.LineNumber + 1}, byte {error.BytePositionInLine + 1})");
        }
    }

    public static async Task<string> ReadTextAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        var body = await ReadBytesAsync(request, maxBytes, ct);
        try
        {
            return new UTF8Encoding(false, true).GetString(body);
        }
        catch (DecoderFallbackException)
        {
            throw IotAgentException.BadMeasure("The body is not UTF-8 text.");
        }
    }

    private static async Task<byte[]> ReadBytesAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        if (request.ContentLength > maxBytes) throw TooLarge(maxBytes);
        if (request.ContentLength is { } length)
        {
            // A measure is small and says its length: read into its own array, with no buffer to grow or copy.
            if (length == 0) throw IotAgentException.WrongSyntax("the request body is empty");
            var exact = new byte[length];
            await request.Body.ReadExactlyAsync(exact, ct);
            return exact;
        }
        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(8192);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
            {
                buffer.Write(chunk, 0, read);
                if (buffer.Length > maxBytes) throw TooLarge(maxBytes);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        if (buffer.Length == 0) throw IotAgentException.WrongSyntax("the request body is empty");
        return buffer.ToArray();
    }

    private static IotAgentException TooLarge(long maxBytes) => new(413, "PAYLOAD_TOO_LARGE", $"The body is larger than {maxBytes} bytes.");
}
