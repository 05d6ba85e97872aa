using System.Net;
using System.Text.Json.Nodes;

namespace CityOS.Identity.Tests.Http;

/// <summary>A local HTTP endpoint that records the notifications it receives.</summary>
internal sealed class Receiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly System.Threading.Channels.Channel<JsonNode> _received = System.Threading.Channels.Channel.CreateUnbounded<JsonNode>();

    public Receiver()
    {
        var port = FreePort();
        Url = $"http://127.0.0.1:{port}/notify/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _ = Task.Run(LoopAsync);
    }

    public string Url { get; }

    public async Task<JsonNode> NextAsync() => await _received.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (!_listener.IsListening)
            {
                return;
            }
            using (var reader = new StreamReader(context.Request.InputStream)) _received.Writer.TryWrite(JsonNode.Parse(await reader.ReadToEndAsync())!);
            context.Response.StatusCode = 204;
            context.Response.Close();
        }
    }

    private static int FreePort()
    {
        using var socket = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public void Dispose() => _listener.Close();
}
