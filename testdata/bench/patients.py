#!/usr/bin/env python3
"""patients.py MANIFEST DIR: splits the patient lists carex bench --wrk-setup
wrote in DIR by record size, using the population's manifest: every
PERSONA.patients keeps the typical records, and big.patients lists the big
ones (300 items), for the $everything latency target. The manifest's sample
holds more big records in bigger populations, which would make the sizes'
figures incomparable."""
import json
import os
import sys

people = {p["id"]: p for p in json.load(open(sys.argv[1]))["patients"]}
d = sys.argv[2]
for f in os.listdir(d):
    if f.endswith(".patients") and f != "big.patients":
        lines = open(os.path.join(d, f)).read().splitlines()
        keep = [l for l in lines if people.get(l.split()[0], {}).get("size") != "big"]
        open(os.path.join(d, f), "w").write("\n".join(keep) + "\n")
with open(os.path.join(d, "big.patients"), "w") as out:
    for p in people.values():
        if p.get("size") == "big":
            out.write(p["id"] + " " + p.get("nhs", "") + "\n")
