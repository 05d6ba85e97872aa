// MQTT QoS 1 load for bench/devices/run.sh: devices FIRST..FIRST+COUNT-1 (ids dev0000...) connect to URL as APIKEY with
// PASSWORD, then each publishes `t|N` to /APIKEY/devNNNN/attrs with QoS 1, INFLIGHT at a time (the next one as soon as
// a PUBACK arrives), from START_MS (epoch ms, the same for every process of a run) for WARMUP + SECONDS seconds. PUBACKs
// that arrive in [START_MS + WARMUP, START_MS + WARMUP + SECONDS) are counted as measured; then the devices stop sending,
// wait for what is still in flight, and the process prints one line:
// RESULT connected=.. failed=.. acked=<all PUBACKs> measured=<in the window> errors=..
// usage: node mqtt-load.js URL APIKEY PASSWORD FIRST COUNT START_MS WARMUP SECONDS [INFLIGHT=1]
const path = require('path');
const mqtt = require(require.resolve('mqtt', { paths: [process.env.MQTT_MODULES || path.join(__dirname, '../../tests/CityOS.Devices.Tests/js/node_modules')] }));

const [url, apikey, password, firstText, countText, startText, warmupText, secondsText, inflightText] = process.argv.slice(2);
const first = Number(firstText), count = Number(countText), start = Number(startText);
const from = start + Number(warmupText) * 1000, until = from + Number(secondsText) * 1000;
const inflight = Number(inflightText || 1);
let connected = 0, failed = 0, acked = 0, measured = 0, errors = 0;

async function connect(n) {
  const id = `dev${String(n).padStart(4, '0')}`;
  try {
    const client = await mqtt.connectAsync(url, { clientId: `bench-${id}`, username: apikey, password, reconnectPeriod: 0, connectTimeout: 30000 });
    client.on('error', () => {});
    connected++;
    return { id, client };
  } catch {
    failed++;
    return null;
  }
}

async function run({ id, client }) {
  let value = 0;
  const sender = async () => {
    while (Date.now() < until && client.connected) {
      try {
        await client.publishAsync(`/${apikey}/${id}/attrs`, `t|${value++}`, { qos: 1 });
        acked++;
        const now = Date.now();
        if (now >= from && now < until) measured++;
      } catch {
        errors++;
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: inflight }, sender));
  await client.endAsync();
}

(async () => {
  const devices = [];
  for (let n = first; n < first + count; n += 50) {  // 50 CONNECTs at a time
    devices.push(...await Promise.all(Array.from({ length: Math.min(50, first + count - n) }, (_, k) => connect(n + k))));
  }
  const wait = start - Date.now();
  if (wait < 0) console.error(`connecting took ${-wait} ms longer than the start allowed`);
  await new Promise(resolve => setTimeout(resolve, Math.max(0, wait)));
  await Promise.all(devices.filter(d => d).map(run));
  console.log(`RESULT connected=${connected} failed=${failed} acked=${acked} measured=${measured} errors=${errors}`);
  process.exit(0);
})();
