// QoS 1 load until the broker dies: COUNT devices (logging in as APIKEY with PASSWORD) each publish t|0, t|1, ... to
// their own topic, one at a time, and append "DEVICE VALUE" to ACK_FILE as soon as that measure's PUBACK arrives. A
// device stops at its first error or closed connection; the script exits 0 once every device stopped.
// usage: node load.js MQTT_URL APIKEY PASSWORD COUNT ACK_FILE
const fs = require('fs');
const mqtt = require('mqtt');

const [url, apikey, password, countText, ackFile] = process.argv.slice(2);

async function device(n) {
  const id = `load${n}`;
  let client;
  try {
    client = await mqtt.connectAsync(url, { clientId: `cityos-load-${id}`, username: apikey, password, reconnectPeriod: 0 });
  } catch {
    return;
  }
  client.on('error', () => {});
  // A QoS 1 publish in flight when the broker dies stays unacknowledged (MQTT.js would resend it): it is not recorded.
  const closed = new Promise(resolve => client.once('close', () => resolve(false)));
  for (let value = 0; client.connected; value++) {
    const acked = await Promise.race([client.publishAsync(`/${apikey}/${id}/attrs`, `t|${value}`, { qos: 1 }).then(() => true, () => false), closed]);
    if (!acked) break;
    fs.appendFileSync(ackFile, `${id} ${value}\n`);
  }
  client.end(true);
}

Promise.all(Array.from({ length: Number(countText) }, (_, n) => device(n)))
  .then(() => { console.log('stopped'); process.exit(0); });
