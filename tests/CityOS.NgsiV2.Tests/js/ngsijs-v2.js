// Drives FIWARE's own NGSI client library (ngsijs) through Orion's /v2 of the cityos at argv[2], in the Fiware-Service
// argv[3] and the Fiware-ServicePath argv[4]: create, query with q and geo, update, subscriptions (notified on a local
// HTTP receiver), batch (op/update, op/query) and types. Prints one JSON object with what it saw.
"use strict";
const http = require("http");
const NGSI = require("ngsijs");

function receiver() {
  const received = [];
  const waiters = [];
  const server = http.createServer((request, response) => {
    let body = "";
    request.on("data", chunk => { body += chunk; });
    request.on("end", () => {
      received.push({ headers: request.headers, body: JSON.parse(body) });
      response.writeHead(204);
      response.end();
      while (waiters.length > 0 && waiters[0].count <= received.length) waiters.shift().resolve();
    });
  });
  return new Promise(resolve => server.listen(0, "127.0.0.1", () => resolve({
    url: `http://127.0.0.1:${server.address().port}/notify`,
    received,
    waitFor: count => count <= received.length ? Promise.resolve() : new Promise((resolve, reject) => {
      waiters.push({ count, resolve });
      setTimeout(() => reject(new Error(`waited for ${count} notifications, got ${received.length}`)), 20000);
    }),
    close: () => server.close(),
  })));
}

async function main() {
  const [url, service, servicepath] = process.argv.slice(2);
  const connection = new NGSI.Connection(url);
  const scope = { service, servicepath };
  const seen = {};
  const notifications = await receiver();

  const subscription = await connection.v2.createSubscription({
    description: "Rooms warmer than 25",
    subject: { entities: [{ idPattern: "^Room", type: "Room" }], condition: { attrs: ["temperature"], expression: { q: "temperature>25" } } },
    notification: { http: { url: notifications.url }, attrs: ["temperature"], attrsFormat: "keyValues" },
  }, scope);
  seen.subscriptionLocation = subscription.location;

  const created = await connection.v2.createEntity({
    id: "Room1", type: "Room",
    temperature: { value: 23, type: "Float" },
    pressure: { value: 720, type: "Integer" },
    location: { value: "41.3763726, 2.186447514", type: "geo:point" },
  }, scope);
  seen.createdLocation = created.location;
  seen.createdCorrelator = created.correlator;
  await connection.v2.createEntity({
    id: "Room2", type: "Room",
    temperature: { value: 21, type: "Float" },
    pressure: { value: 711, type: "Integer" },
    location: { value: { type: "Point", coordinates: [2.17, 41.38] }, type: "geo:json" },
  }, scope);
  await connection.v2.createEntity({ id: "Car1", type: "Car", speed: 98 }, { ...scope, keyValues: true });
  try {
    await connection.v2.createEntity({ id: "Room1", type: "Room" }, scope);
    seen.createdTwice = "accepted";
  } catch (error) {
    seen.createdTwice = error.name;
  }

  seen.read = (await connection.v2.getEntity({ id: "Room1", ...scope })).entity;
  seen.readKeyValues = (await connection.v2.getEntity({ id: "Room1", type: "Room", keyValues: true, ...scope })).entity;

  const warm = await connection.v2.listEntities({ type: "Room", q: "temperature>22", keyValues: true, attrs: "temperature", count: true, ...scope });
  seen.queryQ = warm.results;
  seen.queryQCount = warm.count;
  const near = await connection.v2.listEntities({
    type: "Room", georel: "near;maxDistance:1000", geometry: "point", coords: "41.3763726,2.186447514", keyValues: true, attrs: "temperature", ...scope,
  });
  seen.queryNear = near.results.map(e => e.id);
  const box = await connection.v2.listEntities({
    georel: "coveredBy", geometry: "box", coords: "41.37,2.16;41.39,2.19", orderBy: "!temperature", ...scope,
  });
  seen.queryCoveredBy = box.results.map(e => e.id);

  await connection.v2.updateEntityAttributes({ id: "Room1", temperature: { value: 26.5, type: "Float" } }, scope);
  await connection.v2.appendEntityAttributes({ id: "Room1", humidity: { value: 40, type: "Number" } }, scope);
  seen.afterUpdate = (await connection.v2.getEntity({ id: "Room1", keyValues: true, ...scope })).entity;
  seen.temperatureValue = (await connection.v2.getEntityAttributeValue({ id: "Room1", attribute: "temperature", ...scope })).value;

  await notifications.waitFor(1);
  seen.notification = notifications.received[0];
  const shown = await connection.v2.getSubscription({ id: subscription.subscription.id, ...scope });
  seen.subscription = shown.subscription;
  seen.subscriptions = (await connection.v2.listSubscriptions({ count: true, ...scope })).count;

  await connection.v2.batchUpdate({
    actionType: "append",
    entities: [
      { id: "Room3", type: "Room", temperature: { value: 30, type: "Float" } },
      { id: "Room2", type: "Room", pressure: { value: 700, type: "Integer" } },
    ],
  }, scope);
  await notifications.waitFor(2);
  seen.batchNotification = notifications.received[1].body;
  const queried = await connection.v2.batchQuery({
    entities: [{ idPattern: "^Room[23]", type: "Room" }],
    attrs: ["temperature", "pressure"],
    expression: { q: "temperature>=21" },
  }, { keyValues: true, orderBy: "temperature", count: true, ...scope });
  seen.batchQuery = queried.results;
  seen.batchQueryCount = queried.count;
  await connection.v2.batchUpdate({ actionType: "delete", entities: [{ id: "Room3", type: "Room" }] }, scope);

  seen.types = (await connection.v2.listTypes({ count: true, ...scope })).results;
  seen.typeValues = (await connection.v2.listTypes({ values: true, ...scope })).results;
  seen.roomType = (await connection.v2.getType({ id: "Room", ...scope })).type;

  await connection.v2.deleteSubscription({ id: subscription.subscription.id, ...scope });
  await connection.v2.deleteEntity({ id: "Car1", ...scope });
  try {
    await connection.v2.getEntity({ id: "Car1", ...scope });
    seen.afterDelete = "still there";
  } catch (error) {
    seen.afterDelete = error.name;
  }
  try {
    await connection.v2.createEntity({ id: "Bad(id)", type: "Room" }, scope);
    seen.invalid = "accepted";
  } catch (error) {
    seen.invalid = error.name;
  }
  notifications.close();
  process.stdout.write(JSON.stringify(seen));
}

main().catch(error => {
  process.stderr.write(String(error && error.stack || error));
  process.exit(1);
});
