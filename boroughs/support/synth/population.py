"""A synthetic London borough: people, households, council records with real-world errors, and histories.

``boroughs support synth --residents N --seed S --out DIR`` writes, for every source dataset in
``schemas.SCHEMAS``, a records file ``SYNTHETIC_<dataset>.csv`` and (where the dataset tracks values over
time) ``SYNTHETIC_<dataset>_history.csv``; a canonical person file for the link command
(``SYNTHETIC_persons.csv``); the ground truth (``SYNTHETIC_ground_truth.csv``: which person each record
belongs to, and ``SYNTHETIC_people.csv``: each true person's attributes); and ``SYNTHETIC_manifest.json``.
Every row carries ``synthetic=SYNTHETIC``.

Nothing here is about a real person. Names are drawn from illustrative lists by community; households are
placed in real London LSOAs (2021) from the data directory, in proportion to their population and with
each LSOA's Census 2021 ethnic mix; streets, house numbers, UPRNs (``99`` followed by ten digits),
postcodes (a real postcode *district* of the borough followed by a random inward code, so any match with a
real postcode is coincidence and none is geocoded), NI numbers (prefix ``SZ``, which HMRC does not issue),
mobile numbers (``07`` and nine random digits, never dialled) and ``example.org``/``example.com`` emails are made up.

The same seed gives byte-identical files.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from collections.abc import Callable
from pathlib import Path

from boroughs.support.entitlements.schemes import WorkingAgeScheme, working_age_scheme
from boroughs.support.records import names as nm
from boroughs.support.records.schemas import CANONICAL_COLUMNS, CANONICAL_OPTIONAL, SCHEMAS
from boroughs.support.synth import means as entitlement_means
from boroughs.support.synth.people import (
    DEFAULT_AS_OF,
    DEFAULT_BOROUGH,
    MONTHS,
    SCHOOLS,
    SYNTHETIC,
    VCS_PARTNERS,
    Household,
    PeopleMaker,
    Person,
    Places,
    SynthResult,
    load_lsoas,
    weighted,
)
from boroughs.support.synth.variation import PROFILES, person_fields

# --------------------------------------------------------------------------------------------------------


class _Writer:
    """Collects rows per dataset and writes them as CSV."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.rows: dict[str, list[dict[str, object]]] = {k: [] for k in SCHEMAS}
        self.history: dict[str, list[tuple[object, ...]]] = {k: [] for k in SCHEMAS if SCHEMAS[k].measures}
        self.truth: list[tuple[str, str, str, str]] = []
        self.counters: dict[str, int] = dict.fromkeys(SCHEMAS, 0)
        self.seed = 0
        self.entitlement_truth: list[tuple[object, ...]] = []  # live claims' true entitlements
        self.scheme: WorkingAgeScheme | None = None

    def next_id(self, dataset: str) -> str:
        self.counters[dataset] += 1
        prefix = {"council_tax": "CT", "rent": "RA", "hb_ctr": "HB", "fsm": "FSM", "asc_contact": "ASC",
                  "homelessness": "HOM", "vcs_concern": "VCS"}[dataset]
        return f"{prefix}{self.counters[dataset]:07d}"

    def add(self, dataset: str, p: Person, fields: dict[str, object]) -> str:
        rid = self.next_id(dataset)
        fields["record_id"] = rid
        self.rows[dataset].append(fields)
        self.truth.append((dataset, rid, p.person_id, p.household_id))
        return rid


def _money(x: float) -> str:
    return f"{x:.2f}"


def synthesise(
    residents: int,
    seed: int,
    out: Path,
    *,
    borough: str = DEFAULT_BOROUGH,
    as_of: dt.date = DEFAULT_AS_OF,
    data_dir: Path | None = None,
    history: bool = True,
    progress: Callable[[int], None] | None = None,
) -> SynthResult:
    """Write a synthetic population of about ``residents`` people (see the module docstring)."""
    if residents < 1:
        raise ValueError("--residents must be at least 1")
    rng = random.Random(seed)
    lsoas = load_lsoas(borough, data_dir)
    places = Places(rng, lsoas, borough)
    eth_by_lsoa = {
        row.lsoa21_code: tuple((g, float(getattr(row, g) or 0) + 0.01) for g in nm.CENSUS_GROUPS)
        for row in lsoas.itertuples()
    }
    dis_by_lsoa = dict(zip(lsoas["lsoa21_code"], lsoas["disabled_rate"].astype(float), strict=True))
    maker = PeopleMaker(rng, as_of)
    out.mkdir(parents=True, exist_ok=True)
    w = _Writer(out)
    w.seed = seed
    w.scheme = working_age_scheme(borough, as_of)  # the council's own working-age scheme, where the project holds it
    people: list[Person] = []
    households: list[Household] = []
    month_ends = [_month_end(as_of, MONTHS - 1 - i) for i in range(MONTHS)]
    hh_n = 0
    last_report = 0
    while len(people) < residents:
        hh_n += 1
        hid = f"H{hh_n:07d}"
        addr = places.address()
        group = weighted(rng, eth_by_lsoa[addr.lsoa21_code])
        if group == "Mixed":
            a, b = _mixed_pair(rng)
            first_c, comm = nm.community(a), nm.community(b)
        else:
            comm = nm.community(weighted(rng, nm.GROUP_COMMUNITIES[group]))
            first_c = comm
        size = min(residents - len(people), int(weighted(rng, (("1", 30), ("2", 30), ("3", 16), ("4", 14),
                                                                 ("5", 7), ("6", 3)))))
        tenure = weighted(rng, (("council", 22), ("private_rent", 30), ("owner", 48)))
        moved = rng.random() < 0.2
        prev = places.address() if moved else None
        hh = Household(hid, addr, prev, tenure, band=rng.choice("ABBCCCDDEF"))
        surname = rng.choice(comm.surnames)
        dis_rate = dis_by_lsoa.get(addr.lsoa21_code, 0.17)
        lead_sex = rng.choice(("female", "male"))
        lead_age_hi = 90 if size <= 2 else 55
        lead = maker.person(hid, comm, surname, lead_sex, maker.dob_for_age(18, lead_age_hi), group, dis_rate,
                            first_c)
        hh.members.append(lead)
        for k in range(1, size):
            lead_age = (as_of - lead.dob).days // 365
            if k == 1 and lead_age >= 20 and rng.random() < 0.75:  # a partner
                sex = "male" if lead_sex == "female" else "female"
                if rng.random() < 0.05:
                    sex = lead_sex
                age = max(18, min(95, lead_age + rng.randint(-6, 6)))
                partner = maker.person(hid, comm, surname, sex, maker.dob_for_age(age, age), group, dis_rate,
                                       first_c, taken=tuple(m.first_name for m in hh.members))
                if sex == "female" and rng.random() < 0.25:  # took the partner's name on marriage
                    partner.former_last_name = rng.choice(comm.surnames)
                if rng.random() < 0.15:  # kept their own name
                    partner.last_name = rng.choice(comm.surnames)
                hh.members.append(partner)
            elif lead_age >= 40 and rng.random() < 0.3:  # an adult child
                child_age = rng.randint(18, min(35, lead_age - 18))
                hh.members.append(maker.person(hid, comm, surname, rng.choice(("female", "male")),
                                               maker.dob_for_age(child_age, child_age), group, dis_rate,
                                               first_c, taken=tuple(m.first_name for m in hh.members)))
            elif lead_age <= 60:  # a child
                child_age = rng.randint(0, min(17, max(0, lead_age - 18)))
                hh.members.append(maker.person(hid, comm, surname, rng.choice(("female", "male")),
                                               maker.dob_for_age(child_age, child_age), group, dis_rate,
                                               first_c, taken=tuple(m.first_name for m in hh.members)))
            else:  # a lodger or housemate, unrelated
                other = nm.community(weighted(rng, nm.GROUP_COMMUNITIES["White" if rng.random() < 0.5 else group
                                                                           if group != "Mixed" else "White"]))
                hh.members.append(maker.person(hid, other, rng.choice(other.surnames), rng.choice(("female", "male")),
                                               maker.dob_for_age(18, 60), group, dis_rate))
        hh.on_benefit = rng.random() < (0.55 if tenure == "council" else 0.25 if tenure == "private_rent" else 0.06)
        stress = 0.30 if hh.on_benefit else 0.07
        if rng.random() < stress:
            hh.drift_month = rng.randint(1, MONTHS - 2)
            hh.ctr_ends = hh.on_benefit and rng.random() < 0.4
        households.append(hh)
        people.extend(hh.members)
        _records_for_household(rng, w, hh, as_of, month_ends, history)
        if progress and len(people) - last_report >= 5000:
            progress(len(people) - last_report)
            last_report = len(people)
    if progress:
        progress(len(people) - last_report)
    files = _write(out, w, people, households, seed, borough, as_of)
    return SynthResult(out, len(people), len(households), {k: len(v) for k, v in w.rows.items()}, files)


def _mixed_pair(rng: random.Random) -> tuple[str, str]:
    a, b = rng.choice(nm.MIXED_PAIRS)
    return (a, b) if rng.random() < 0.5 else (b, a)


def _month_end(as_of: dt.date, months_back: int) -> dt.date:
    y, m = as_of.year, as_of.month - months_back
    while m <= 0:
        m += 12
        y -= 1
    nxt = dt.date(y + (m // 12), m % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def _age(p: Person, as_of: dt.date) -> int:
    return (as_of - p.dob).days // 365


def _records_for_household(rng: random.Random, w: _Writer, hh: Household, as_of: dt.date,
                           month_ends: list[dt.date], history: bool) -> None:
    adults = [p for p in hh.members if _age(p, as_of) >= 18]
    children = [p for p in hh.members if _age(p, as_of) < 18]
    if not adults:
        return
    r = rng.random()
    liable = adults if r < 0.5 else adults[:2] if r < 0.85 else adults[:1]
    drift = hh.drift_month
    # ---- council tax: one account per home; movers also have their closed account at the old address
    instalment = {"A": 95, "B": 110, "C": 126, "D": 142, "E": 173, "F": 205}.get(hh.band, 126) * rng.uniform(0.9, 1.1)
    ctr_weekly = round(rng.uniform(5, 28), 2) if hh.on_benefit else 0.0
    account = f"CTA{rng.randrange(10**8):08d}"
    arrears_path = _arrears_path(rng, drift, instalment)
    ctr_path = [0.0 if (hh.ctr_ends and drift is not None and i >= drift) else ctr_weekly for i in range(MONTHS)]
    ctr_status = "ended" if hh.ctr_ends else ("awarded" if ctr_weekly else "none")
    ct_history: list[int] = []  # positions of this account's history rows, to carry a pension-age award
    for p in liable:
        rid = w.add("council_tax", p, {
            **person_fields(rng, p, hh.address, PROFILES["council_tax"], old=False),
            "account_ref": account, "band": hh.band,
            "liable_from": (as_of - dt.timedelta(days=rng.randint(40, 4000))).isoformat(),
            "ctr_status": ctr_status, "single_person_discount": "yes" if len(adults) == 1 else "no",
        })
        if history:
            ct_history.extend(range(len(w.history["council_tax"]), len(w.history["council_tax"]) + len(month_ends)))
            for i, d in enumerate(month_ends):
                balance = max(0.0, instalment * (10 - (d.month + 8) % 12 % 10)) + arrears_path[i]
                w.history["council_tax"].append((rid, d.isoformat(), _money(balance), _money(arrears_path[i]),
                                                 _money(ctr_path[i])))
    if hh.previous_address is not None:
        old_account = f"CTA{rng.randrange(10**8):08d}"
        for p in liable:
            rid = w.add("council_tax", p, {
                **person_fields(rng, p, hh.previous_address, PROFILES["council_tax"], old=True),
                "account_ref": old_account, "band": rng.choice("BCD"),
                "liable_from": (as_of - dt.timedelta(days=rng.randint(800, 4000))).isoformat(),
                "ctr_status": "none", "single_person_discount": "no",
            })
            if history:
                w.history["council_tax"].append((rid, month_ends[0].isoformat(), "0.00", "0.00", "0.00"))
    # ---- rent (council tenants)
    weekly_rent = 0.0
    if hh.tenure == "council":
        weekly_rent = round(rng.uniform(105, 185), 2)
        rent_arrears = _arrears_path(rng, drift, weekly_rent * 4.33)
        tenancy = f"TEN{rng.randrange(10**7):07d}"
        for p in liable:
            rid = w.add("rent", p, {
                **person_fields(rng, p, hh.address, PROFILES["rent"], old=False),
                "tenancy_ref": tenancy,
                "tenancy_start": (as_of - dt.timedelta(days=rng.randint(200, 9000))).isoformat(),
                "bedrooms": str(max(1, min(5, len(hh.members) - 1))),
            })
            if history:
                for i, d in enumerate(month_ends):
                    w.history["rent"].append((rid, d.isoformat(), _money(rent_arrears[i]), _money(weekly_rent)))
    # ---- housing benefit / CTR claims
    if hh.on_benefit:
        for _ in range(rng.choice((0, 0, 1, 2))):  # earlier claims, now ended
            claim = f"CLM{rng.randrange(10**7):07d}"
            for p in liable:
                rid = w.add("hb_ctr", p, {
                    **person_fields(rng, p, hh.previous_address or hh.address, PROFILES["hb_ctr"], old=True),
                    "claim_ref": claim, "claim_status": "ended", "household_size": str(len(hh.members)),
                    "children": str(len(children)),
                })
        claim = f"CLM{rng.randrange(10**7):07d}"
        hb_weekly = round(rng.uniform(40, 160), 2) if hh.tenure != "owner" else 0.0
        income = round(rng.uniform(120, 420), 2)
        status = "ended" if hh.ctr_ends else "live"
        unit = liable[:2]  # the claimant and partner
        means = None if status != "live" else entitlement_means.assessment(
            w.seed, hh.household_id, claim, unit[0].person_id, [p.dob for p in unit], [p.disabled for p in unit],
            len(adults) == 1, as_of, tenure=hh.tenure, council_rent=weekly_rent,
            council_tax=round(instalment * 10 / 52, 2))
        if means is None and status == "live" and w.scheme is not None:  # working age, on Universal Credit
            means = entitlement_means.working_age_assessment(
                w.seed, hh.household_id, claim, unit[0].person_id, len(unit) == 2, len(children),
                len(adults) - len(unit), as_of, scheme=w.scheme, tenure=hh.tenure, rent=weekly_rent,
                council_tax=round(instalment * 10 / 52, 2))
        elif means is not None:  # a pension-age claim: its awards are its means test's
            income = float(str(means[0]["state_pension_weekly"])) + float(str(means[0]["other_income_weekly"]))
            hb_weekly = float(str(means[0]["hb_in_payment_weekly"]))
        if means is not None:
            w.entitlement_truth.append(means[1].row())
            ctr_weekly = float(str(means[0]["ctr_in_payment_weekly"]))
            ctr_path = [ctr_weekly] * MONTHS
            for i in ct_history:  # the council tax account shows the same reduction
                row = w.history["council_tax"][i]
                w.history["council_tax"][i] = (*row[:4], _money(ctr_weekly))
        for p in liable:
            rid = w.add("hb_ctr", p, {
                **person_fields(rng, p, hh.address, PROFILES["hb_ctr"], old=False),
                "claim_ref": claim, "claim_status": status, "household_size": str(len(hh.members)),
                "children": str(len(children)), **(means[0] if means else {}),
            })
            if history:
                for i, d in enumerate(month_ends):
                    ended = hh.ctr_ends and drift is not None and i >= drift
                    w.history["hb_ctr"].append((rid, d.isoformat(), _money(0 if ended else hb_weekly),
                                                _money(ctr_path[i]), _money(income * (1.25 if ended else 1))))
    # ---- free school meals: one record per eligible child, made out to a parent
    if children and hh.on_benefit:
        parent = adults[0]
        for child in children:
            if _age(child, as_of) < 4:
                continue
            rid = w.add("fsm", parent, {
                **person_fields(rng, parent, hh.address, PROFILES["fsm"], old=False),
                "child_first_name": child.first_name, "child_dob": child.dob.isoformat(),
                "school": rng.choice(SCHOOLS),
                "eligible_from": (as_of - dt.timedelta(days=rng.randint(30, 1500))).isoformat(),
            })
            if history:
                w.history["fsm"].append((rid, month_ends[0].isoformat(), "1"))
                w.history["fsm"].append((rid, month_ends[6].isoformat(), "1"))
    # ---- adult social care contacts
    for p in adults:
        age = _age(p, as_of)
        chance = (0.5 if age >= 75 else 0.25 if age >= 65 else 0.05) + (0.25 if p.disabled else 0)
        if rng.random() < chance:
            for _ in range(rng.choice((1, 1, 2, 2, 3, 4, 6, 8))):
                old = hh.previous_address is not None and rng.random() < 0.3
                w.add("asc_contact", p, {
                    **person_fields(rng, p, hh.previous_address if old and hh.previous_address else hh.address,
                                     PROFILES["asc_contact"], old=old),
                    "contact_date": (as_of - dt.timedelta(days=rng.randint(0, 700))).isoformat(),
                    "reason": rng.choice(("falls", "carer breakdown", "self-neglect", "safeguarding",
                                          "hospital discharge", "mental health", "information and advice")),
                    "outcome": rng.choice(("no further action", "signposted", "assessment", "services provided")),
                })
    # ---- homelessness approaches
    chance = 0.06 if hh.tenure == "private_rent" else 0.015
    if drift is not None:
        chance *= 3
    if rng.random() < chance:
        p = adults[0]
        for _ in range(rng.choice((1, 1, 2))):
            w.add("homelessness", p, {
                **person_fields(rng, p, hh.address, PROFILES["homelessness"], old=False),
                "approach_date": (as_of - dt.timedelta(days=rng.randint(0, 365))).isoformat(),
                "reason": rng.choice(("end of private tenancy", "family or friends no longer able to accommodate",
                                      "domestic abuse", "rent arrears", "relationship breakdown", "other")),
                "duty": rng.choice(("prevention", "relief", "main duty", "none")),
            })
    # ---- concerns raised by VCS partners
    chance = 0.5 if drift is not None else 0.08
    if rng.random() < chance:
        p = rng.choice(adults)
        for _ in range(rng.choice((1, 1, 2, 3, 4))):
            on = as_of - dt.timedelta(days=rng.randint(0, 300))
            w.add("vcs_concern", p, {
                **person_fields(rng, p, hh.address, PROFILES["vcs_concern"], old=False),
                "raised_on": on.isoformat(), "raised_by": rng.choice(VCS_PARTNERS),
                "category": rng.choice(("food insecurity", "food insecurity", "fuel poverty", "debt", "isolation",
                                        "housing", "mental health", "digital exclusion")),
                "detail": "SYNTHETIC concern for testing",
            })


def _arrears_path(rng: random.Random, drift: int | None, instalment: float) -> list[float]:
    """Twelve month-end arrears: flat for most; growing after ``drift`` for households drifting into debt."""
    arrears = 0.0
    path = []
    for i in range(MONTHS):
        if drift is not None and i >= drift:
            if rng.random() < 0.8:
                arrears += instalment
        elif rng.random() < 0.04:
            arrears += instalment  # one missed payment...
        elif arrears and rng.random() < 0.6:
            arrears = max(0.0, arrears - instalment)  # ...caught up later
        path.append(round(arrears, 2))
    return path


def _write(out: Path, w: _Writer, people: list[Person], households: list[Household], seed: int,
           borough: str, as_of: dt.date) -> list[Path]:
    files: list[Path] = []
    canonical_cols = [*CANONICAL_COLUMNS, *CANONICAL_OPTIONAL, "sex", "synthetic"]
    persons_path = out / "SYNTHETIC_persons.csv"
    with persons_path.open("w", newline="", encoding="utf-8") as pf:
        pw = csv.writer(pf)
        pw.writerow(canonical_cols)
        for key, schema in SCHEMAS.items():
            cols = [f.name for f in schema.fields]
            path = out / f"SYNTHETIC_{key}.csv"
            with path.open("w", newline="", encoding="utf-8") as f:
                cw = csv.writer(f)
                cw.writerow(cols)
                for row in w.rows[key]:
                    cw.writerow([row.get(c, "") for c in cols])
                    pw.writerow([key if c == "source" else row.get(c, "") for c in canonical_cols])
            files.append(path)
            if schema.measures:
                hpath = out / f"SYNTHETIC_{key}_history.csv"
                with hpath.open("w", newline="", encoding="utf-8") as f:
                    cw = csv.writer(f)
                    cw.writerow([*(x.name for x in schema.history_fields), "synthetic"])
                    for h in w.history[key]:
                        cw.writerow([*h, SYNTHETIC])
                files.append(hpath)
    files.append(persons_path)
    truth = out / "SYNTHETIC_ground_truth.csv"
    with truth.open("w", newline="", encoding="utf-8") as f:
        cw = csv.writer(f)
        cw.writerow(["source", "record_id", "person_id", "household_id", "synthetic"])
        for t in w.truth:
            cw.writerow([*t, SYNTHETIC])
    files.append(truth)
    ent = out / "SYNTHETIC_entitlements_truth.csv"
    with ent.open("w", newline="", encoding="utf-8") as f:
        cw = csv.writer(f)
        cw.writerow([*entitlement_means.TRUTH_COLUMNS, "synthetic"])
        for truth_row in w.entitlement_truth:
            cw.writerow([*truth_row, SYNTHETIC])
    files.append(ent)
    ppl = out / "SYNTHETIC_people.csv"
    drift = {h.household_id: h.drift_month for h in households}
    home = {h.household_id: h for h in households}
    with ppl.open("w", newline="", encoding="utf-8") as f:
        cw = csv.writer(f)
        cw.writerow(["person_id", "household_id", "first_name", "last_name", "former_last_name", "sex", "dob",
                     "ethnicity", "community", "disability", "lsoa21_code", "tenure", "moved",
                     "drift_month", "synthetic"])
        for p in people:
            hh = home[p.household_id]
            d = drift[p.household_id]
            cw.writerow([p.person_id, p.household_id, p.first_name, p.last_name, p.former_last_name or "", p.sex,
                         p.dob.isoformat(), p.ethnicity, p.community, "yes" if p.disabled else "no",
                         hh.address.lsoa21_code, hh.tenure, "yes" if hh.previous_address else "no",
                         "" if d is None else str(d), SYNTHETIC])
    files.append(ppl)
    manifest = out / "SYNTHETIC_manifest.json"
    manifest.write_text(json.dumps({
        "synthetic": True,
        "notice": "SYNTHETIC data made by `boroughs support synth`: no row describes a real person.",
        "seed": seed, "borough": borough, "as_of": as_of.isoformat(),
        "residents": len(people), "households": len(households),
        "records": {k: len(v) for k, v in w.rows.items()},
        "schemas": {k: s.version for k, s in SCHEMAS.items()},
        "files": sorted(p.name for p in files),
    }, indent=2) + "\n", encoding="utf-8")
    files.append(manifest)
    return files
