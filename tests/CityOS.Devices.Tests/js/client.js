// One MQTT client (MQTT.js) that connects with the given options and runs steps in order, then prints what it saw as
// JSON: {"connected": false, "code": N, "error": "..."} when the CONNECT is refused, otherwise
// {"connected": true, "clientId": "...", "steps": [{"ok": true} | {"ok": false, "code": N, "error": "..."}, ...]}.
// Steps: {"publish": TOPIC, "payload": TEXT, "qos": 0|1} and {"subscribe": FILTER, "qos": 0|1}.
// usage: node client.js URL OPTIONS_JSON STEPS_JSON   (OPTIONS: MQTT.js connect options: username, password, clientId, protocolVersion, clean)
const mqtt = require('mqtt');

const [url, optionsJson, stepsJson] = process.argv.slice(2);
const options = { reconnectPeriod: 0, connectTimeout: 10000, ...JSON.parse(optionsJson) };
const steps = JSON.parse(stepsJson);

function failure(error) {
  return { ok: false, code: error.code ?? null, error: String(error.message || error) };
}

async function run() {
  let client;
  try {
    client = await mqtt.connectAsync(url, options);
  } catch (error) {
    return { connected: false, code: error.code ?? null, error: String(error.message || error) };
  }
  const results = [];
  try {
    for (const step of steps) {
      try {
        if ('publish' in step) await client.publishAsync(step.publish, step.payload, { qos: step.qos ?? 1 });
        else if ('subscribe' in step) {
          const granted = await client.subscribeAsync(step.subscribe, { qos: step.qos ?? 1 });
          if (granted.some(g => g.qos >= 128)) throw Object.assign(new Error('Subscribe refused'), { code: granted[0].qos });
        } else throw new Error('unknown step ' + JSON.stringify(step));
        results.push({ ok: true });
      } catch (error) {
        results.push(failure(error));
        if (!client.connected) break;
      }
    }
  } finally {
    await client.endAsync();
  }
  return { connected: true, clientId: client.options.clientId, steps: results };
}

const timer = setTimeout(() => { console.error('timed out'); process.exit(1); }, 30000);
run().then(result => { clearTimeout(timer); console.log(JSON.stringify(result)); })
  .catch(error => { console.error(String(error && error.stack || error)); process.exit(1); });
