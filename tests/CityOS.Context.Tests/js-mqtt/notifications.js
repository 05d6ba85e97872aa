// Subscribes with MQTT.js and writes every message as one JSON line {topic, qos, payload (text)} on stdout,
// after a first {"ready": true} line once the subscription is granted.
// Usage: node notifications.js <brokerUrl> <topicFilter> <count> <timeoutMs>
'use strict';
const mqtt = require('mqtt');

const [url, filter, countText, timeoutText] = process.argv.slice(2);
const expected = Number(countText);
const client = mqtt.connect(url, { protocolVersion: 4, clean: true, reconnectPeriod: 0 });
let received = 0;
let done = false;

const timer = setTimeout(() => {
  process.stderr.write(`timed out after ${timeoutText} ms with ${received} of ${expected} notifications\n`);
  client.end(true, () => process.exit(2));
}, Number(timeoutText));

client.on('error', (err) => {
  if (done) return;
  process.stderr.write(`mqtt error: ${err.message}\n`);
  process.exit(3);
});

client.on('connect', () => {
  client.subscribe(filter, { qos: 1 }, (err) => {
    if (err) {
      process.stderr.write(`subscribe failed: ${err.message}\n`);
      process.exit(4);
    }
    process.stdout.write(JSON.stringify({ ready: true }) + '\n');
  });
});

client.on('message', (topic, payload, packet) => {
  process.stdout.write(JSON.stringify({ topic, qos: packet.qos, payload: payload.toString('utf8') }) + '\n');
  received += 1;
  if (received === expected) {
    done = true;
    clearTimeout(timer);
    client.end(true, () => process.stdout.write('', () => process.exit(0)));
  }
});
