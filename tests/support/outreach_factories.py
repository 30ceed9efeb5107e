"""Builders for the early-warning and outreach tests: small hand-made frames, councils, people, a synthetic borough."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from boroughs.core.models import Membership, Organisation, OrgKind, Role, User
from boroughs.support.rules.data import HISTORY_COLUMNS
from boroughs.support.rules.engine import Frames

AS_OF = dt.date(2026, 9, 30)


def frames(residents: dict[Any, dict[str, Any]], history: list[tuple[Any, str, str, str, str, float]] = (),
           records: dict[str, list[dict[str, Any]]] | None = None, as_of: dt.date = AS_OF) -> Frames:
    """``residents``: id → attributes; ``history``: (resident, source, record, measure, ISO date, value)."""
    res = pd.DataFrame({
        "dob": pd.to_datetime([r.get("dob", "1980-01-01") for r in residents.values()]),
        "sex": [r.get("sex", "female") for r in residents.values()],
        "ethnicity": [r.get("ethnicity", "White") for r in residents.values()],
        "disability": [r.get("disability", False) for r in residents.values()],
        "lsoa21_code": [r.get("lsoa21_code", "E01000001") for r in residents.values()],
        "ward_code": [r.get("ward", "W1") for r in residents.values()],
        "ward_name": [r.get("ward", "Ward One") for r in residents.values()],
        "synthetic": True,
    }, index=pd.Index(list(residents), name="resident_id"))
    h = pd.DataFrame([{"resident_id": r, "source": s, "record_id": rec, "measure": m,
                       "event_date": pd.Timestamp(d), "value_num": float(v), "value_text": None}
                      for r, s, rec, m, d, v in history], columns=HISTORY_COLUMNS)
    recs = {k: pd.DataFrame(v) for k, v in (records or {}).items()}
    from boroughs.support.rules.data import _event_rows

    parts = [h] + [_event_rows(k, f) for k, f in recs.items()]
    parts = [p for p in parts if len(p)]
    hist = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=HISTORY_COLUMNS)
    hist["event_date"] = pd.to_datetime(hist["event_date"])
    return Frames(as_of, res, recs, hist)


def council(session: Session, slug: str = "newham", ons: str = "E09000025") -> Organisation:
    o = Organisation(slug=slug, name=f"London Borough of {slug.title()}", kind=OrgKind.COUNCIL.value, ons_code=ons)
    session.add(o)
    session.flush()
    return o


def person(session: Session, email: str, name: str, *roles: tuple[Organisation, Role]) -> User:
    u = User(email=email, name=name)
    session.add(u)
    session.flush()
    for o, r in roles:
        session.add(Membership(user_id=u.id, organisation_id=o.id, role=r.value))
    session.flush()
    session.refresh(u)
    return u


def synth_folder(tmp: Path, residents: int = 1500, seed: int = 7) -> Path:
    from boroughs.support.synth.population import synthesise

    out = tmp / f"synth-{residents}-{seed}"
    if not (out / "SYNTHETIC_people.csv").is_file():
        synthesise(residents, seed, out)
    return out
