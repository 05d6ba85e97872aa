// Subscribes with MQTT.js and reports every message as one JSON line on stdout, so the C# tests (this
// project's interop tests and CityOS.Context.Tests' MQTT notification test) can
// compare topic, QoS and payload bytes exactly. Usage: node subscribe.js <brokerUrl> <topicFilter> <count> <timeoutMs>
'use strict';
const mqtt = require('mqtt');

const [url, filter, countText, timeoutText] = process.argv.slice(2);
const expected = Number(countText);
const client = mqtt.connect(url, { protocolVersion: 4, clean: true, reconnectPeriod: 0 });
let received = 0;
let done = false;

const timer = setTimeout(() => {
  process.stderr.write(`timed out after ${timeoutText} ms with ${received} of ${expected} messages\n`);
  client.end(true, () => process.exit(2));
}, Number(timeoutText));

client.on('error', (err) => {
  // Closing after the last message may race with the broker closing too; that is not a failure.
  if (done) return;
  process.stderr.write(`mqtt error: ${err.message}\n`);
  process.exit(3);
});

client.on('connect', () => {
  client.subscribe(filter, { qos: 1 }, (err, granted) => {
    if (err) {
      process.stderr.write(`subscribe failed: ${err.message}\n`);
      process.exit(4);
    }
    process.stdout.write(JSON.stringify({ ready: true, granted: granted.map((g) => g.qos) }) + '\n');
  });
});

client.on('message', (topic, payload, packet) => {
  process.stdout.write(JSON.stringify({ topic, qos: packet.qos, retain: packet.retain, payload: payload.toString('base64') }) + '\n');
  received += 1;
  if (received === expected) {
    done = true;
    clearTimeout(timer);
    // Exit only once stdout is flushed: a pipe takes large lines in several writes.
    client.end(true, () => process.stdout.write('', () => process.exit(0)));
  }
});
