#!/usr/bin/env python3
"""Writes sessN.json: a reader's N Pageviews, 37 minutes apart, valid against the demo
workspace (record it with `segscope replay sessN.json --update --base-url …`). With a recorded
sessN.json already there, `--newman` writes newman-dataN.json instead: each step's events and
recorded cohorts, the iteration data of newman-collection.json.
usage: mksess.py N [--newman]"""
import datetime, json, sys

n = int(sys.argv[1])
if "--newman" in sys.argv:
    steps = json.load(open(f"sess{n}.json"))["steps"]
    data = [{"events": s["events"], "cohorts": s["expect"]["cohorts"]} for s in steps]
    json.dump(data, open(f"newman-data{n}.json", "w"))
    sys.exit(0)
cats = ["football", "politics", "technology", "motoring", "culture", "business"]
start = datetime.datetime(2026, 1, 1, 8, 0, 0)
steps = []
for i in range(n):
    t = (start + datetime.timedelta(minutes=37 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
    c = cats[i % 6]
    live = "live/" if i % 7 == 0 else ""
    event = {"name": "Pageview", "time": t, "properties": {
        "article": {"title": f"Story {i}", "category": c, "tags": ["economy", "news"]},
        "client": {"url": f"https://www.dailycourier.example/{c}/{live}story-{i}",
                   "domain": "www.dailycourier.example", "type": "web"}}}
    steps.append({"events": [event]})
session = {"format": "segscope-session/1", "name": f"perf {n}",
           "identity": {"user_id": "0b5e5c3e-1d7a-4f3b-8e7e-5a1e0c0ffee0"}, "steps": steps}
json.dump(session, open(f"sess{n}.json", "w"), indent=1)
