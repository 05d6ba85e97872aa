#!/usr/bin/env python3
"""Seeds a running cityos with N CKAN datasets through package_create (8 clients): Japanese and English titles from a
small vocabulary, 1-3 tags, one linked resource each. Prints the achieved datasets/s."""
import json, random, sys, time, urllib.request
from concurrent.futures import ThreadPoolExecutor

base, count = sys.argv[1], int(sys.argv[2])
random.seed(7)
SUBJECTS = ["河川水位", "雨量", "避難所", "バス停留所", "人口", "公園", "図書館", "ごみ収集", "駐輪場", "観光施設",
            "air quality", "traffic counts", "parking", "bus stops", "population", "shelters"]
KINDS = ["観測データ", "一覧", "統計", "地図", "dataset", "list", "statistics"]
TAGS = ["防災", "交通", "統計", "環境", "観光", "福祉", "transport", "environment", "statistics"]
FORMATS = ["CSV", "JSON", "GeoJSON", "XLSX", "PDF"]

def create(i):
    subject, kind = random.choice(SUBJECTS), random.choice(KINDS)
    body = {
        "name": f"dataset-{i:05d}", "title": f"{subject}{kind} {i}",
        "notes": f"{subject}の{kind}です。Published by ward {i % 9}.",
        "tags": [{"name": t} for t in random.sample(TAGS, random.randint(1, 3))],
        "license_id": random.choice(["cc-by-4.0", "gsl-2.0", "cc-zero"]),
        "resources": [{"url": f"https://example.org/{i}.csv", "format": random.choice(FORMATS)}],
    }
    request = urllib.request.Request(base + "/api/3/action/package_create", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request) as response:
        if response.status != 200:
            raise SystemExit(f"package_create {i} answered {response.status}")

started = time.time()
with ThreadPoolExecutor(8) as pool:
    for done, _ in enumerate(pool.map(create, range(count)), 1):
        if done % 2000 == 0:
            print(f"  created {done}/{count} datasets", file=sys.stderr, flush=True)
print(f"{count / (time.time() - started):.0f}")
