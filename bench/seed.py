#!/usr/bin/env python3
"""Seeds a running cityos with N Sensor entities (ids urn:ngsi-ld:Sensor:000000..) in batches of 100,
with a unique numeric `reading` and a random location in a 0.2 x 0.2 degree box over Tokyo.
Prints progress and the achieved entities/s."""
import json, random, sys, time, urllib.request
from concurrent.futures import ThreadPoolExecutor

base, count = sys.argv[1], int(sys.argv[2])
random.seed(42)

def batch(start):
    entities = [{
        "id": f"urn:ngsi-ld:Sensor:{i:06d}", "type": "Sensor",
        "reading": {"type": "Property", "value": i},
        "temperature": {"type": "Property", "value": round(random.uniform(-5, 35), 1), "unitCode": "CEL"},
        "status": {"type": "Property", "value": "ok"},
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [round(139.6 + random.random() * 0.2, 6), round(35.6 + random.random() * 0.2, 6)]}},
    } for i in range(start, min(start + 100, count))]
    request = urllib.request.Request(base + "/ngsi-ld/v1/entityOperations/upsert", data=json.dumps(entities).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request) as response:
        if response.status not in (201, 204):
            raise SystemExit(f"seed batch at {start} answered {response.status}")

started = time.time()
done = 0
with ThreadPoolExecutor(8) as pool:
    for _ in pool.map(batch, range(0, count, 100)):
        done += 100
        if done % 10000 == 0:
            print(f"  seeded {done}/{count}", file=sys.stderr, flush=True)
elapsed = time.time() - started
print(f"{count / elapsed:.0f}")
