// A small IoT agent built on FIWARE's iotagent-node-lib (in-memory registry, NGSI-LD mode) with cityos as its context
// broker: it starts, a device is provisioned through the agent's own provisioning API (POST /iot/devices), and the agent
// sends two measures of that device with the library's update(). Prints {"provisioned": STATUS, "updates": N}.
// usage: node fiware-agent.js CITYOS_URL AGENT_PORT TENANT DEVICE_ID
const iotAgentLib = require('iotagent-node-lib');
const { promisify } = require('util');

const [cityos, agentPort, tenant, deviceId] = process.argv.slice(2);

const config = {
  logLevel: 'FATAL',
  contextBroker: { url: cityos, ngsiVersion: 'ld', jsonLdContext: 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld' },
  server: { port: Number(agentPort), host: '127.0.0.1' },
  deviceRegistry: { type: 'memory' },
  types: {},
  service: tenant,
  subservice: '/',
  providerUrl: `http://127.0.0.1:${agentPort}`,
  deviceRegistrationDuration: 'P1M',
  defaultType: 'Thing',
  defaultResource: '/iot/d',
  explicitAttrs: false,
};

async function run() {
  await promisify(iotAgentLib.activate)(config);
  try {
    const provisioned = await fetch(`http://127.0.0.1:${agentPort}/iot/devices`, {
      method: 'POST',
      headers: { 'fiware-service': tenant, 'fiware-servicepath': '/', 'Content-Type': 'application/json' },
      body: JSON.stringify({ devices: [{
        device_id: deviceId, entity_name: `urn:ngsi-ld:Gauge:${deviceId}`, entity_type: 'Gauge', protocol: 'PDI-IoTA-UltraLight', transport: 'HTTP',
        attributes: [{ object_id: 'l', name: 'level', type: 'Number' }, { object_id: 's', name: 'state', type: 'Text' }],
        static_attributes: [{ name: 'river', type: 'Text', value: 'Kamo' }],
      }] }),
    });
    if (provisioned.status !== 201) throw new Error(`provisioning answered ${provisioned.status}: ${await provisioned.text()}`);
    const device = await promisify(iotAgentLib.getDevice)(deviceId, undefined, tenant, '/');
    const update = promisify(iotAgentLib.update);
    await update(device.name, device.type, '', [{ name: 'l', type: 'Number', value: 1.25 }, { name: 's', type: 'Text', value: 'rising' }], device);
    await update(device.name, device.type, '', [{ name: 'l', type: 'Number', value: 1.75 }], device);
    return { provisioned: provisioned.status, updates: 2 };
  } finally {
    await promisify(iotAgentLib.deactivate)();
  }
}

const timer = setTimeout(() => { console.error('timed out'); process.exit(1); }, 60000);
run().then(output => { clearTimeout(timer); console.log(JSON.stringify(output)); process.exit(0); })
  .catch(error => { console.error(String(error && error.stack || error), JSON.stringify(error)); process.exit(1); });
