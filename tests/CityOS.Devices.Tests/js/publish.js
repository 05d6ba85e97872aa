// Plays COUNT devices: each connects with its own client id, publishes one measure with QoS 1 to its own topic and
// waits for the PUBACK. Prints {"acked": N} when every device has its PUBACK; exits 1 on any error.
// Each device logs in with the service group's credentials (username APIKEY) when PASSWORD is given.
// usage: node publish.js mqtt://127.0.0.1:PORT APIKEY COUNT [PASSWORD]
const mqtt = require('mqtt');

const [url, apikey, countText, password] = process.argv.slice(2);
const count = Number(countText);
const credentials = password ? { username: apikey, password } : {};

async function device(n) {
  const id = `dev${n}`;
  const client = await mqtt.connectAsync(url, { clientId: `cityos-test-${id}`, reconnectPeriod: 0, connectTimeout: 10000, ...credentials });
  try {
    // Even devices speak UltraLight 2.0, odd ones JSON.
    if (n % 2 === 0) await client.publishAsync(`/${apikey}/${id}/attrs`, `t|${n}#h|${n + 1}`, { qos: 1 });
    else await client.publishAsync(`/json/${apikey}/${id}/attrs`, JSON.stringify({ t: n, h: n + 1 }), { qos: 1 });
  } finally {
    await client.endAsync();
  }
}

const timer = setTimeout(() => { console.error('timed out'); process.exit(1); }, 30000);
Promise.all(Array.from({ length: count }, (_, n) => device(n)))
  .then(() => { clearTimeout(timer); console.log(JSON.stringify({ acked: count })); })
  .catch(error => { console.error(String(error && error.stack || error)); process.exit(1); });
