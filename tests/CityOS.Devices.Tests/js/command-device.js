// An MQTT device (MQTT.js) with one command, and the operator who sends it through NGSI-LD:
// the device logs in as APIKEY/DEVICE_ID and subscribes to its cmd topic; then the command is written as an NGSI-LD PATCH
// of the entity's command attribute; the device waits for the command, reads the command's status from the broker until
// it is DELIVERED, and answers on cmdexe (UltraLight "id@cmd|result", or JSON {"cmd": result} with FORMAT json).
// Prints {"received": PAYLOAD, "statusBeforeAnswer": STATUS}.
// usage: node command-device.js MQTT_URL HTTP_BASE TENANT APIKEY DEVICE_ID PASSWORD ENTITY_ID COMMAND VALUE_JSON RESULT FORMAT [AUTHORIZATION]
const mqtt = require('mqtt');

const [url, http, tenant, apikey, deviceId, password, entityId, command, valueJson, result, format, authorization] = process.argv.slice(2);
const headers = { 'NGSILD-Tenant': tenant, ...(authorization ? { Authorization: authorization } : {}) };
const entityUrl = `${http}/ngsi-ld/v1/entities/${encodeURIComponent(entityId)}`;

async function status() {
  const response = await fetch(entityUrl, { headers });
  const entity = await response.json();
  return entity[`${command}_status`]?.value;
}

async function run() {
  const client = await mqtt.connectAsync(url, { clientId: `device-${deviceId}`, username: `${apikey}/${deviceId}`, password, reconnectPeriod: 0 });
  try {
    const received = new Promise(resolve => client.on('message', (topic, payload) => resolve({ topic, payload: payload.toString() })));
    await client.subscribeAsync(`/${apikey}/${deviceId}/cmd`, { qos: 1 });
    const patch = await fetch(`${entityUrl}/attrs`, {
      method: 'PATCH',
      headers: { ...headers, 'Content-Type': 'application/json' },
      body: JSON.stringify({ [command]: { type: 'Property', value: JSON.parse(valueJson) } }),
    });
    if (patch.status !== 204) throw new Error(`PATCH answered ${patch.status}: ${await patch.text()}`);
    const message = await received;
    let seen = await status();
    for (let i = 0; seen !== 'DELIVERED' && i < 100; i++) {
      await new Promise(resolve => setTimeout(resolve, 50));
      seen = await status();
    }
    if (format === 'json') await client.publishAsync(`/json/${apikey}/${deviceId}/cmdexe`, JSON.stringify({ [command]: result }), { qos: 1 });
    else await client.publishAsync(`/${apikey}/${deviceId}/cmdexe`, `${deviceId}@${command}|${result}`, { qos: 1 });
    return { topic: message.topic, received: message.payload, statusBeforeAnswer: seen };
  } finally {
    await client.endAsync();
  }
}

const timer = setTimeout(() => { console.error('timed out'); process.exit(1); }, 30000);
run().then(output => { clearTimeout(timer); console.log(JSON.stringify(output)); })
  .catch(error => { console.error(String(error && error.stack || error)); process.exit(1); });
