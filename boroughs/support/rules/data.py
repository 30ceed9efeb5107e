"""Build the frames the early-warning rules read (``rules.Frames``) from wherever the linked records are.

* ``frames_from_db(db, organisation_id)``: a council's residents, their linked source records and their
  histories, from the support tables the linkage writes (``support_resident``, ``support_resident_record``,
  ``support_source_record``, ``support_record_event``).
* ``frames_from_synth(folder)``: the files of ``boroughs support synth``, linked by their ground truth (or by
  the ``clusters.csv`` of ``boroughs support link``). Used by tests and the benchmark.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core.errors import DataError
from boroughs.support.records.schemas import PERSON_FIELDS, SCHEMAS
from boroughs.support.rules.engine import Frames

_SKIP = {*PERSON_FIELDS, "sex", "ethnicity", "disability", "lsoa21_code", "synthetic"}
HISTORY_COLUMNS = ["resident_id", "source", "record_id", "measure", "event_date", "value_num", "value_text"]


def _ward_lookup(data_dir: Path | None) -> pd.DataFrame | None:
    from boroughs.config import get_settings

    root = data_dir or get_settings().data_dir
    path = root / "lookups" / "lookup_lsoa21_ward24_ltla24_ew.csv.gz"
    if not path.is_file():
        return None
    with gzip.open(path, "rt", encoding="utf-8") as f:
        frame = pd.read_csv(f, dtype=str, usecols=["lsoa21_code", "ward24_code", "ward24_name"])
    return frame.rename(columns={"ward24_code": "ward_code", "ward24_name": "ward_name"})


def _event_rows(source: str, recs: pd.DataFrame) -> pd.DataFrame:
    date_field = SCHEMAS[source].record_event_date
    if not date_field or date_field not in recs.columns:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    dates = pd.to_datetime(recs[date_field], errors="coerce")
    ok = dates.notna()
    return pd.DataFrame({"resident_id": recs.loc[ok, "resident_id"].to_numpy(), "source": source,
                         "record_id": recs.loc[ok, "record_id"].to_numpy(), "measure": "event",
                         "event_date": dates[ok].to_numpy(), "value_num": 1.0, "value_text": None})


def frames_from_synth(folder: Path, *, clusters: Path | None = None, data_dir: Path | None = None,
                      as_of: dt.date | None = None) -> Frames:
    """Frames from a ``boroughs support synth`` folder; residents are the ground truth's people unless a
    ``clusters.csv`` from ``boroughs support link`` is given."""
    truth_path = folder / "SYNTHETIC_ground_truth.csv"
    people_path = folder / "SYNTHETIC_people.csv"
    for p in (truth_path, people_path):
        if not p.is_file():
            raise DataError(p, "file not found", hint="Make the folder with `boroughs support synth`")
    if clusters is not None:
        link = pd.read_csv(clusters, dtype=str)[["source", "record_id", "resident_id"]]
        truth = pd.read_csv(truth_path, dtype=str)
        # a linked resident takes the attributes of the person most of its records belong to
        m = link.merge(truth[["source", "record_id", "person_id"]], on=["source", "record_id"])
        main = m.groupby("resident_id")["person_id"].agg(lambda s: s.value_counts().index[0])
    else:
        link = pd.read_csv(truth_path, dtype=str, usecols=["source", "record_id", "person_id"]).rename(
            columns={"person_id": "resident_id"})
        main = None
    people = pd.read_csv(people_path, dtype=str)
    if main is not None:
        people = people.set_index("person_id").loc[main.to_numpy()].reset_index()
        people["resident_id"] = main.index.to_numpy()
    else:
        people["resident_id"] = people["person_id"]
    people = people[people["resident_id"].isin(set(link["resident_id"]))]
    residents = pd.DataFrame({
        "dob": pd.to_datetime(people["dob"], errors="coerce").to_numpy(),
        "sex": people["sex"].to_numpy(),
        "ethnicity": people["ethnicity"].to_numpy(),
        "disability": people["disability"].map({"yes": True, "no": False}).to_numpy(),
        "lsoa21_code": people["lsoa21_code"].to_numpy(),
        "synthetic": True,
    }, index=pd.Index(people["resident_id"].to_numpy(), name="resident_id"))
    residents = _add_wards(residents, _ward_lookup(data_dir))
    owner = link.set_index(["source", "record_id"])["resident_id"]
    records: dict[str, pd.DataFrame] = {}
    history_parts: list[pd.DataFrame] = []
    latest = dt.date(1900, 1, 1)
    for key, schema in SCHEMAS.items():
        path = folder / f"SYNTHETIC_{key}.csv"
        if not path.is_file():
            continue
        own = [f.name for f in schema.fields if f.name not in _SKIP]
        recs = pd.read_csv(path, dtype=str, keep_default_na=False, usecols=["record_id", *own])
        src_owner = owner.xs(key, level="source") if key in owner.index.get_level_values(0) else pd.Series(dtype=str)
        recs["resident_id"] = recs["record_id"].map(src_owner)
        recs = recs[recs["resident_id"].notna()].reset_index(drop=True)
        records[key] = recs
        history_parts.append(_event_rows(key, recs))
        hpath = folder / f"SYNTHETIC_{key}_history.csv"
        if schema.measures and hpath.is_file():
            h = pd.read_csv(hpath, dtype={"record_id": str, "event_date": str})
            h = h.drop(columns=[c for c in ("synthetic",) if c in h.columns])
            long = h.melt(id_vars=["record_id", "event_date"], var_name="measure", value_name="value_num")
            long["event_date"] = pd.to_datetime(long["event_date"])
            long["resident_id"] = long["record_id"].map(src_owner)
            long = long[long["resident_id"].notna()]
            long["source"] = key
            long["value_text"] = None
            history_parts.append(long[HISTORY_COLUMNS])
            if len(long):
                latest = max(latest, long["event_date"].max().date())
    parts = [p for p in history_parts if len(p)]
    history = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=HISTORY_COLUMNS)
    manifest = folder / "SYNTHETIC_manifest.json"
    council = json.loads(manifest.read_text()).get("borough") if manifest.is_file() else None
    return Frames(as_of or (latest if latest.year > 1900 else dt.date.today()), residents, records, history,
                  council=council)


def _add_wards(residents: pd.DataFrame, lookup: pd.DataFrame | None) -> pd.DataFrame:
    if lookup is None:
        residents["ward_code"] = residents["lsoa21_code"]
        residents["ward_name"] = residents["lsoa21_code"]
        return residents
    lk = lookup.drop_duplicates("lsoa21_code").set_index("lsoa21_code")
    residents["ward_code"] = residents["lsoa21_code"].map(lk["ward_code"])
    residents["ward_name"] = residents["lsoa21_code"].map(lk["ward_name"])
    return residents


def _db_wards(db: Session) -> pd.DataFrame | None:
    from boroughs.core.models import Area

    rows = db.execute(select(Area.code, Area.ward_code).where(Area.kind == "lsoa21")).all()
    if not rows:
        return None
    names = dict(db.execute(select(Area.code, Area.name).where(Area.kind == "ward")).all())
    frame = pd.DataFrame(rows, columns=["lsoa21_code", "ward_code"])
    frame["ward_name"] = frame["ward_code"].map(lambda c: names.get(c, c))
    return frame


def frames_from_db(db: Session, organisation_id: int, *, as_of: dt.date | None = None) -> Frames:
    """A council's linked residents, records and histories from the support tables."""
    from boroughs.support.records.models import RecordEvent, Resident, ResidentRecord, SourceRecord

    res_q = select(Resident.id, Resident.dob, Resident.sex, Resident.ethnicity, Resident.disability,
                   Resident.lsoa21_code, Resident.synthetic).where(Resident.organisation_id == organisation_id,
                                                                      Resident.active.is_(True))
    res = pd.read_sql(res_q, db.connection())
    residents = pd.DataFrame({
        "dob": pd.to_datetime(res["dob"], errors="coerce").to_numpy(),
        "sex": res["sex"].to_numpy(), "ethnicity": res["ethnicity"].to_numpy(),
        "disability": res["disability"].astype(object).where(res["disability"].notna(), None).to_numpy(),
        "lsoa21_code": res["lsoa21_code"].to_numpy(), "synthetic": res["synthetic"].astype(bool).to_numpy(),
    }, index=pd.Index(res["id"].to_numpy(), name="resident_id"))
    residents = _add_wards(residents, _db_wards(db))
    rec_q = (select(SourceRecord.id, SourceRecord.dataset, SourceRecord.record_id, SourceRecord.attributes,
                    ResidentRecord.resident_id)
             .join(ResidentRecord, ResidentRecord.source_record_id == SourceRecord.id)
             .where(SourceRecord.organisation_id == organisation_id))
    rows = db.execute(rec_q).all()
    records: dict[str, pd.DataFrame] = {}
    history_parts: list[pd.DataFrame] = []
    by_source: dict[str, list[dict[str, Any]]] = {}
    for pk, dataset, record_id, attrs, rid in rows:
        row = {"resident_id": rid, "record_id": record_id, "_pk": pk}
        for k, v in (attrs or {}).items():
            row[k] = "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
        by_source.setdefault(dataset, []).append(row)
    for key, items in by_source.items():
        recs = pd.DataFrame(items)
        records[key] = recs.drop(columns=["_pk"])
        if key in SCHEMAS:
            history_parts.append(_event_rows(key, records[key]))
    ev_q = (select(RecordEvent.dataset, SourceRecord.record_id, ResidentRecord.resident_id, RecordEvent.measure,
                   RecordEvent.event_date, RecordEvent.value_num)
            .join(SourceRecord, SourceRecord.id == RecordEvent.source_record_id)
            .join(ResidentRecord, ResidentRecord.source_record_id == RecordEvent.source_record_id)
            .where(RecordEvent.organisation_id == organisation_id, RecordEvent.value_num.is_not(None)))
    ev = pd.read_sql(ev_q, db.connection())
    latest = dt.date.today()
    if len(ev):
        ev = ev.rename(columns={"dataset": "source"})
        ev["event_date"] = pd.to_datetime(ev["event_date"])
        ev["value_text"] = None
        history_parts.append(ev[HISTORY_COLUMNS])
        latest = ev["event_date"].max().date()
    history = pd.concat([p for p in history_parts if len(p)], ignore_index=True) if any(
        len(p) for p in history_parts) else pd.DataFrame(columns=HISTORY_COLUMNS)
    if len(history):
        history["event_date"] = pd.to_datetime(history["event_date"])
    from boroughs.core.models import Organisation

    council = db.scalar(select(Organisation.ons_code).where(Organisation.id == organisation_id))
    return Frames(as_of or latest, residents, records, history, council=council)


def load_synth_into_db(db: Session, organisation_id: int, folder: Path, *, limit_people: int | None = None) -> int:
    """Write a ``boroughs support synth`` folder into the support tables, linked by its ground truth.

    For tests, demos and benchmarks of the early-warning rules when linkage is not the point: one
    SYNTHETIC resident per true person, their records and histories. Returns the residents written.
    """
    from sqlalchemy import insert

    from boroughs.support.records.models import (
        ImportBatch,
        RecordEvent,
        Resident,
        ResidentRecord,
        SourceRecord,
    )

    people = pd.read_csv(folder / "SYNTHETIC_people.csv", dtype=str, keep_default_na=False)
    truth = pd.read_csv(folder / "SYNTHETIC_ground_truth.csv", dtype=str, keep_default_na=False)
    people = people[people["person_id"].isin(set(truth["person_id"]))]
    if limit_people:
        people = people.head(limit_people)
        truth = truth[truth["person_id"].isin(set(people["person_id"]))]
    res_rows = [{"organisation_id": organisation_id, "first_name": p.first_name, "last_name": p.last_name,
                 "dob": dt.date.fromisoformat(p.dob) if p.dob else None, "sex": p.sex or None,
                 "ethnicity": p.ethnicity or None, "disability": p.disability == "yes",
                 "lsoa21_code": p.lsoa21_code or None, "synthetic": True}
                for p in people.itertuples(index=False)]
    for i in range(0, len(res_rows), 5000):
        db.execute(insert(Resident), res_rows[i:i + 5000])
    db.flush()
    ids = pd.read_sql(select(Resident.id).where(Resident.organisation_id == organisation_id)
                      .order_by(Resident.id.desc()).limit(len(res_rows)), db.connection())["id"][::-1].to_numpy()
    person_to_resident = dict(zip(people["person_id"], (int(x) for x in ids), strict=True))
    owner = truth.set_index(["source", "record_id"])["person_id"]
    for key, schema in SCHEMAS.items():
        path = folder / f"SYNTHETIC_{key}.csv"
        if not path.is_file():
            continue
        recs = pd.read_csv(path, dtype=str, keep_default_na=False)
        recs["person_id"] = [owner.get((key, r), None) for r in recs["record_id"]]
        recs = recs[recs["person_id"].isin(person_to_resident.keys())]
        if recs.empty:
            continue
        batch = ImportBatch(organisation_id=organisation_id, dataset=key, schema_version=schema.version,
                            filename=path.name, checksum=f"synthetic-{key}-{len(recs)}-{organisation_id}",
                            rows=len(recs), synthetic=True)
        db.add(batch)
        db.flush()
        own = [f.name for f in schema.fields if f.name not in _SKIP]
        rows = []
        for r in recs.to_dict("records"):
            rows.append({"organisation_id": organisation_id, "dataset": key, "record_id": r["record_id"],
                         "import_id": batch.id, "first_name": r["first_name"], "last_name": r["last_name"],
                         "dob": dt.date.fromisoformat(r["dob"]) if r.get("dob") and len(r["dob"]) == 10 and
                         r["dob"][4] == "-" and _valid_date(r["dob"]) else None,
                         "address_line_1": r.get("address_line_1") or None,
                         "address_line_2": r.get("address_line_2") or None, "postcode": r.get("postcode") or None,
                         "uprn": r.get("uprn") or None, "national_id": r.get("national_id") or None,
                         "phone": r.get("phone") or None, "email": r.get("email") or None,
                         "sex": r.get("sex") or None, "ethnicity": r.get("ethnicity") or None,
                         "lsoa21_code": r.get("lsoa21_code") or None, "synthetic": True,
                         "attributes": {k: r.get(k) or None for k in own}})
        for i in range(0, len(rows), 5000):
            db.execute(insert(SourceRecord), rows[i:i + 5000])
        db.flush()
        rec_ids = dict(db.execute(select(SourceRecord.record_id, SourceRecord.id).where(
            SourceRecord.organisation_id == organisation_id, SourceRecord.dataset == key)).all())
        links = [{"source_record_id": rec_ids[r], "resident_id": person_to_resident[p]}
                 for r, p in zip(recs["record_id"], recs["person_id"], strict=True)]
        for i in range(0, len(links), 5000):
            db.execute(insert(ResidentRecord), links[i:i + 5000])
        hpath = folder / f"SYNTHETIC_{key}_history.csv"
        if schema.measures and hpath.is_file():
            h = pd.read_csv(hpath, dtype={"record_id": str, "event_date": str})
            h = h[h["record_id"].isin(rec_ids.keys())]
            events = []
            for m in schema.measures:
                for rid, day, v in zip(h["record_id"], h["event_date"], h[m.name], strict=True):
                    if pd.isna(v):
                        continue
                    events.append({"organisation_id": organisation_id, "source_record_id": rec_ids[rid],
                                   "dataset": key, "measure": m.name, "event_date": dt.date.fromisoformat(day),
                                   "value_num": float(v), "value_text": None})
            for i in range(0, len(events), 10000):
                db.execute(insert(RecordEvent), events[i:i + 10000])
    db.flush()
    return len(res_rows)


def _valid_date(s: str) -> bool:
    try:
        dt.date.fromisoformat(s)
    except ValueError:
        return False
    return True
