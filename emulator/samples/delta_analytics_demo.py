#!/usr/bin/env python3
"""Writes delta_analytics_demo.json: the Delta Analytics sample base
(delta_analytics.json, its schema and its 17 records) grown to a few hundred
records across its tables, for `make demo` and for people trying airpg.

Deterministic (a fixed seed): running it again writes the same file. Dates are
written as of ANCHOR, and the file says so (`datesRelativeTo`): the emulator
moves every date, dateTime and createdTime by the days from ANCHOR to today
when it loads the file (docs/emulator.md), so renewals are always due in the
months ahead and creation times are always in the past.

Usage: emulator/samples/delta_analytics_demo.py  (run from anywhere; python3)
"""
import copy
import datetime as dt
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
ANCHOR = dt.date(2026, 1, 1)
rng = random.Random(20261207)

STATES = [  # (code, agency, filing fee, typical review in seconds, color)
    ("TX", "Texas Department of Savings and Mortgage Lending", 350, 259200, "redLight2"),
    ("CA", "California DFPI", 900, 604800, "blueLight2"),
    ("NY", "NY Department of Financial Services", 1000, 1209600, "tealLight2"),
    ("AZ", "Arizona Corporation Commission", 150, 432000, "orangeLight2"),
    ("FL", "Florida Office of Financial Regulation", 425, 518400, "greenLight2"),
    ("IL", "Illinois Department of Financial and Professional Regulation", 600, 691200,
     "purpleLight2"),
    ("WA", "Washington Department of Financial Institutions", 525, 604800, "cyanLight2"),
    ("GA", "Georgia Department of Banking and Finance", 300, 345600, "yellowLight2"),
    ("NC", "North Carolina Commissioner of Banks", 275, 432000, "pinkLight2"),
    ("OH", "Ohio Division of Financial Institutions", 200, 259200, "grayLight2"),
    ("PA", "Pennsylvania Department of Banking and Securities", 450, 518400, "redLight1"),
    ("CO", "Colorado Division of Banking", 250, 345600, "blueLight1"),
]
COMPANY_FIRST = ["Northgate", "Silverline", "Cedar", "Keystone", "Meridian", "Granite", "Harbor",
                 "Summit", "Evergreen", "Pioneer", "Lakeshore", "Redwood", "Ironbridge", "Bayview",
                 "Crescent", "Highland", "Prairie", "Coastal", "Riverbend", "Sterling", "Aspen",
                 "Beacon", "Copperfield", "Driftwood", "Foxglove", "Juniper", "Lighthouse",
                 "Maplewood", "Oakmont", "Quarry", "Tidewater", "Westbrook", "Willow", "Yellowstone",
                 "Bluewater", "Cardinal", "Falcon", "Magnolia"]
COMPANY_LAST = [("Lending", "Finance"), ("Mortgage", "Finance"), ("Credit Union", "Finance"),
                ("Capital", "Finance"), ("Health", "Healthcare"), ("Medical Group", "Healthcare"),
                ("Mutual", "Insurance"), ("Assurance", "Insurance"), ("Energy", "Energy"),
                ("Power Co-op", "Energy"), ("Servicing", "Finance"), ("Insurance", "Insurance")]
STAFF = [("Maria Lopez", "usrMariaLopez0001", "Manager"), ("Kenji Sato", "usrKenjiSato00001", "Analyst"),
         ("Priya Nair", "usrPriyaNair00001", "Analyst")]
NEW_STAFF = ["Tom Becker", "Aisha Karim", "Luis Ortega", "Hannah Cole", "Wei Zhang"]


def day(offset):
    return (ANCHOR + dt.timedelta(days=offset)).isoformat()


def instant(offset_days, hour=None):
    hour = rng.randint(13, 22) if hour is None else hour  # US office hours in UTC
    t = dt.datetime(ANCHOR.year, ANCHOR.month, ANCHOR.day, hour, rng.choice([0, 15, 30, 45]))
    return (t + dt.timedelta(days=offset_days)).strftime("%Y-%m-%dT%H:%M:00.000Z")


def rid(prefix, n):
    return f"{prefix}{n:0{17 - len(prefix)}d}"


def main():
    with open(os.path.join(HERE, "delta_analytics.json")) as f:
        sample = json.load(f)
    data = copy.deepcopy(sample)
    base = data["bases"][0]
    base["datesRelativeTo"] = ANCHOR.isoformat()
    tables = {t["name"]: t for t in base["tables"]}
    users = {c["id"]: c for c in base["collaborators"]}
    clients, regulators = tables["Clients"], tables["State Regulators"]
    regs, docs, staff = tables["Registrations"], tables["Documents"], tables["Staff"]

    # The original records keep their ids (the demo edits some) with dates
    # that make sense around today.
    for r in clients["records"]:
        r["createdTime"] = instant(-rng.randint(400, 1000))
    for r in regulators["records"]:
        r["createdTime"] = instant(-1100, 9)
    for r in staff["records"]:
        r["createdTime"] = instant(-1200, 9)
    for i, r in enumerate(regs["records"]):
        filed = -rng.randint(60, 300)
        r["createdTime"] = instant(filed - 5)
        if "Filed At" in r["fields"]:
            r["fields"]["Filed At"] = instant(filed)
        if "Expires" in r["fields"]:
            r["fields"]["Expires"] = day(45 + 30 * i)
    for r in docs["records"]:
        r["createdTime"] = instant(-rng.randint(30, 200))
    for r in clients["records"]:
        if "Client Since" in r["fields"]:
            r["fields"]["Client Since"] = day(-rng.randint(700, 2500))

    # More states: their choices, then one regulator each.
    state_field = next(f for f in regulators["fields"] if f["name"] == "State")
    known = {c["name"] for c in state_field["options"]["choices"]}
    by_state = {r["fields"]["State"]: r for r in regulators["records"]}
    for n, (code, agency, fee, review, color) in enumerate(STATES):
        if code not in known:
            state_field["options"]["choices"].append(
                {"id": f"selState{code}{n:06d}", "name": code, "color": color})
        if code not in by_state:
            rec = {"id": rid("recRgtGen", n), "createdTime": instant(-1100, 9),
                   "fields": {"Agency": agency, "State": code, "Filing Fee": fee,
                              "Typical Review": review,
                              "Filing Portal": f"https://portal.{code.lower()}-regulator.example"}}
            regulators["records"].append(rec)
            by_state[code] = rec

    # Staff: two more analysts and a manager.
    for n, name in enumerate(NEW_STAFF):
        staff["records"].append(
            {"id": rid("recStfGen", n), "createdTime": instant(-rng.randint(100, 900), 9),
             "fields": {"Name": name, "Role": "Manager" if n == 0 else "Analyst",
                        "Capacity": rng.choice([0.5, 0.8, 1]),
                        "Reports To": ["recStfMaria000001" if n == 0 else rid("recStfGen", 0)]}})

    # Clients.
    used = {r["fields"]["Company"] for r in clients["records"]}
    names = []
    for first in COMPANY_FIRST:
        last, industry = rng.choice(COMPANY_LAST)
        if f"{first} {last}" not in used:
            names.append((f"{first} {last}", industry))
    owners = list(users.values())[1:]
    for n, (company, industry) in enumerate(names):
        slug = company.lower().replace(" ", "")
        fields = {"Company": company, "Contact Email": f"compliance@{slug}.example",
                  "Website": f"https://{slug}.example",
                  "Phone": f"(555) 01{n // 10}-{3000 + n * 7:04d}",
                  "Tier": rng.choice(["Gold", "Silver", "Silver", "Bronze", "Bronze"]),
                  "Industries": [industry] + ([rng.choice(["Finance", "Insurance"])]
                                              if rng.random() < 0.2 else []),
                  "Annual Fee": rng.choice([6000, 9000, 12500, 18000, 22500, 30000, 48000]),
                  "Active": rng.random() < 0.85,
                  "Client Since": day(-rng.randint(60, 3000)),
                  "Satisfaction": rng.randint(2, 5),
                  "Account Owner": rng.choice(owners)}
        fields["Industries"] = sorted(set(fields["Industries"]))
        clients["records"].append({"id": rid("recCliGen", n),
                                   "createdTime": instant(-rng.randint(60, 1000)), "fields": fields})

    # Registrations: a few per client, each with a regulator; renewals spread
    # from last quarter to eighteen months ahead.
    n = 0
    for client in clients["records"]:
        if client["id"].startswith("recCliGen"):
            states = rng.sample([s[0] for s in STATES], rng.randint(2, 7))
        else:
            continue
        for code in states:
            reg_id = rid("recRegGen", n)
            regulator = by_state[code]
            status = rng.choices(["Approved", "Filed", "Draft", "Rejected"], [60, 20, 12, 8])[0]
            created = -rng.randint(20, 900)
            fields = {"Reference": f"{client['fields']['Company'][:2].upper()}-{code}-{n:04d}",
                      "Client": [client["id"]], "Regulator": [regulator["id"]], "Status": status,
                      "Progress": {"Approved": 1, "Filed": 0.6, "Draft": 0.1, "Rejected": 0.3}[status],
                      "Branch Count": rng.randint(1, 30),
                      "Team": rng.sample(owners, rng.randint(1, 2)),
                      "Urgent": rng.random() < 0.1,
                      "Client Name": [client["fields"]["Company"]],
                      "Regulator Fee": regulator["fields"]["Filing Fee"]}
            if status != "Draft":
                fields["Filed At"] = instant(created + rng.randint(1, 15))
            if status == "Approved":
                fields["Expires"] = day(rng.randint(-90, 540))
                fields["Certificate Barcode"] = {"text": f"{code}-{10000 + n * 37}",
                                                 "type": "code39"}
            fields["Label"] = f"{fields['Reference']} — {status}"
            fields["Team"] = sorted(fields["Team"], key=lambda u: u["id"])
            regs["records"].append({"id": reg_id, "createdTime": instant(created), "fields": fields})
            client["fields"].setdefault("Registrations", []).append(reg_id)
            regulator["fields"].setdefault("Registrations", []).append(reg_id)
            # An application for most filings, a license for approved ones.
            kinds = (["Application"] if status != "Draft" else []) + (
                ["License"] if status == "Approved" and rng.random() < 0.7 else [])
            for kind in kinds:
                doc_id = rid("recDocGen", len(docs["records"]))
                title = ("license certificate" if kind == "License" else "application packet")
                docs["records"].append(
                    {"id": doc_id, "createdTime": instant(created + rng.randint(1, 20)),
                     "fields": {"Title": f"{code} {title} — {client['fields']['Company']}",
                                "Kind": kind, "Registration": [reg_id],
                                "Reviewed": rng.random() < 0.7}})
                regs["records"][-1]["fields"].setdefault("Documents", []).append(doc_id)
            n += 1
    for client in clients["records"]:
        client["fields"]["Registration Count"] = len(client["fields"].get("Registrations", []))

    with open(os.path.join(HERE, "delta_analytics_demo.json"), "w") as f:
        json.dump(data, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print({t["name"]: len(t["records"]) for t in base["tables"]})


if __name__ == "__main__":
    main()
