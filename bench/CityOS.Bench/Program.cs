using System.Text;

// The bare Kestrel baseline of bench/run.sh: the same machine, the same load generator, no broker.
// GET answers a fixed NGSI-LD entity of the size the broker returns; POST reads the body and answers 201.
var port = args.Length > 0 ? int.Parse(args[0]) : 5080;
var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
var app = builder.Build();
var entity = Encoding.UTF8.GetBytes("""
    {"id":"urn:ngsi-ld:Sensor:000001","type":"Sensor","temperature":{"type":"Property","value":21.5,"unitCode":"CEL","observedAt":"2026-11-22T09:00:00.000Z"},"status":{"type":"Property","value":"ok"},"location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[139.7016,35.658]}}}
    """);
app.MapGet("/entity/{id}", async (HttpContext context) =>
{
    context.Response.ContentType = "application/json";
    await context.Response.Body.WriteAsync(entity);
});
app.MapPost("/entities", async (HttpContext context) =>
{
    var buffer = new byte[16 * 1024];
    while (await context.Request.Body.ReadAsync(buffer) > 0)
    {
    }
    context.Response.StatusCode = 201;
});
app.Run();
