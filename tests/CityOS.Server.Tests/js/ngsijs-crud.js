// Drives FIWARE's own NGSI client library (ngsijs) through create, read, query, update, append,
// attribute delete and delete against the cityos at argv[2]; prints one JSON object with what it saw.
"use strict";
const NGSI = require("ngsijs");

async function main() {
  const url = process.argv[2];
  const tenant = process.argv[3];
  const connection = new NGSI.Connection(url);
  const id = "urn:ngsi-ld:WeatherObserved:ngsijs-" + Date.now();
  const seen = {};

  const created = await connection.ld.createEntity({
    id, type: "WeatherObserved",
    temperature: { type: "Property", value: 18.5, unitCode: "CEL" },
    location: { type: "GeoProperty", value: { type: "Point", coordinates: [135.5, 34.7] } },
  }, { tenant });
  seen.location = created.location;

  const read = await connection.ld.getEntity({ id, tenant });
  seen.readTemperature = read.entity.temperature.value;
  seen.readType = read.entity.type;

  const keyValues = await connection.ld.getEntity({ id, tenant, keyValues: true });
  seen.keyValuesTemperature = keyValues.entity.temperature;

  const query = await connection.ld.queryEntities({ type: "WeatherObserved", q: "temperature>10", count: true, tenant });
  seen.queryIds = query.results.map(e => e.id);
  seen.queryCount = query.count;

  const updated = await connection.ld.updateEntityAttributes({ temperature: { type: "Property", value: 21.0 } }, { id, tenant });
  seen.updated = updated.updated;

  await connection.ld.appendEntityAttributes({ humidity: { type: "Property", value: 60 } }, { id, tenant });
  seen.afterAppend = (await connection.ld.getEntity({ id, tenant, keyValues: true })).entity;

  await connection.ld.deleteEntityAttribute({ id, attribute: "humidity", tenant });
  seen.afterAttributeDelete = Object.keys((await connection.ld.getEntity({ id, tenant })).entity).sort();

  await connection.ld.deleteEntity({ id, tenant });
  try {
    await connection.ld.getEntity({ id, tenant });
    seen.afterDelete = "still there";
  } catch (error) {
    seen.afterDelete = error.name;
  }

  try {
    await connection.ld.createEntity({ id: "not a uri", type: "WeatherObserved" }, { tenant });
    seen.invalid = "accepted";
  } catch (error) {
    seen.invalid = error.name;
  }
  seen.id = id;
  process.stdout.write(JSON.stringify(seen));
}

main().catch(error => {
  process.stderr.write(String(error && error.stack || error));
  process.exit(1);
});
