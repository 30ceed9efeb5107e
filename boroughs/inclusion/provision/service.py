"""Provision beside need, as the pages and the API show it: the sites, the reach and gap tables (computed once
per index, provision and opening-hours filter, and cached), one area's gap and a borough's."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Integer, func, select
from sqlalchemy.orm import Session

from boroughs.inclusion.map.index import MapIndex
from boroughs.inclusion.map.profile import finite, format_value, ward_name
from boroughs.inclusion.provision import gaps, reach
from boroughs.inclusion.provision.models import KINDS, Provision

__all__ = ["KINDS", "area_gap", "borough_gaps", "gap_rows", "gap_table", "sites", "sources_of"]


def sites(db: Session) -> pd.DataFrame:
    return reach.cached(("sites", reach.signature(db)), lambda: reach.sites_frame(db))  # type: ignore[no-any-return]


def gap_table(db: Session, index: MapIndex, when: str = "any") -> pd.DataFrame:
    params = reach.WalkParams.from_settings()
    key = ("gaps", index.version, str(index.out_dir), reach.signature(db), when, params)

    def build() -> pd.DataFrame:
        frame = sites(db)
        r = reach.compute(list(index.frame["code"]), frame, when=when, params=params)
        table = gaps.compute(index, r, params)
        names = dict(zip(frame["id"], frame["name"], strict=True))
        example = dict(zip(frame["id"], frame["is_example"], strict=True))
        table["nearest_name"] = [names.get(int(i), "") for i in table["nearest_id"]]
        table["nearest_example"] = [bool(example.get(int(i), False)) for i in table["nearest_id"]]
        return table

    return reach.cached(key, build)  # type: ignore[no-any-return]


def _minutes(v: Any) -> int | None:
    f = finite(v)
    return None if f is None else max(1, round(f))


def area_gap(db: Session, index: MapIndex, code: str, when: str = "any") -> dict[str, Any]:
    """One area's reach and gap, with a plain-English sentence for the profile."""
    row = index.row(code)
    table = gap_table(db, index, when)
    r = table.iloc[row]
    params = reach.WalkParams.from_settings()
    by_kind = []
    for kind, label in KINDS.items():
        km = finite(r[f"nearest_km_{kind}"])
        if km is not None:
            by_kind.append({"kind": kind, "label": label, "km": round(km, 2),
                            "minutes": _minutes(params.walk_minutes(np.array([km * 1000]))[0])})
    nearest_km = finite(r["nearest_km"])
    residents = finite(r["residents_offline"])
    n_sites = len(sites(db))
    if nearest_km is None:
        sentence = "No digital support site is recorded" + (" that is open at these times." if when != "any" else ".")
    else:
        label = KINDS.get(str(r["nearest_kind"]), "site").lower()
        sentence = (f"Nearest {label}: {r['nearest_name']}{' (example)' if r['nearest_example'] else ''}, "
                    f"{nearest_km:.1f} km, about {_minutes(r['walk_minutes'])} minutes' walk.")
    if residents is not None:
        sentence += f" About {format_value(residents, 'people')} adults likely offline here."
    borough = str(index.frame.at[row, "borough_code"])
    return {
        "code": str(r["lsoa21_code"]), "name": str(r["name"]), "borough_code": borough, "when": when,
        "sites_recorded": n_sites, "nearest_km": nearest_km, "walk_minutes": _minutes(r["walk_minutes"]),
        "nearest_kind": str(r["nearest_kind"]) or None, "nearest_name": str(r["nearest_name"]) or None,
        "nearest_is_example": bool(r["nearest_example"]), "within_walk": int(r["within_walk"]),
        "walk_limit_minutes": params.minutes, "residents_offline": residents, "score": finite(r["score"]),
        "gap_score": finite(r["gap_score"]), "gap_rank": int(r["gap_rank"]), "borough_rank": int(r["borough_rank"]),
        "areas_in_borough": int((table["borough_code"] == borough).sum()), "areas": len(table),
        "by_kind": by_kind, "sentence": sentence,
    }


def gap_rows(index: MapIndex, table: pd.DataFrame) -> list[dict[str, Any]]:
    bnames = dict(zip(index.boroughs["code"], index.boroughs["name"], strict=True))
    wards = index.frame.set_index("code")["ward_code"]
    out = []
    for r in table.itertuples():
        out.append({
            "code": r.lsoa21_code, "name": r.name, "borough_code": r.borough_code,
            "borough": bnames.get(r.borough_code, ""), "ward": ward_name(index, wards.get(r.lsoa21_code)) or "",
            "score": finite(r.score), "residents_offline": finite(r.residents_offline), "nearest_km": finite(r.nearest_km),
            "walk_minutes": _minutes(r.walk_minutes), "nearest_kind": r.nearest_kind or None,
            "nearest_name": r.nearest_name or None, "nearest_is_example": bool(r.nearest_example),
            "within_walk": int(r.within_walk), "gap_score": finite(r.gap_score), "gap_rank": int(r.gap_rank),
            "borough_rank": int(r.borough_rank),
        })
    return out


def borough_gaps(db: Session, index: MapIndex, code: str, top: int = 10, when: str = "any") -> dict[str, Any]:
    """The gap figures and the biggest gaps in a borough, for its dashboard and briefing."""
    index.borough_name(code)
    table = gap_table(db, index, when)
    frame = sites(db)
    own = frame[frame["council_code"] == code]
    counts = {label: int((own["kind"] == kind).sum()) for kind, label in KINDS.items()}
    return {
        "summary": gaps.borough_summary(table, code), "rows": gap_rows(index, gaps.ranked(table, code, top)),
        "sites": len(own), "by_kind": {k: v for k, v in counts.items() if v},
        "examples": bool(own["is_example"].any()) if len(own) else False,
        "walk_minutes": reach.WalkParams.from_settings().minutes, "when": when,
    }


def sources_of(db: Session, org_ids: set[int]) -> list[tuple[int, str, str, int, Any, bool]]:
    """Each imported source of these councils' sites: (council id, source, source kind, sites, last imported,
    whether it is the demo's example)."""
    rows = db.execute(
        select(Provision.organisation_id, Provision.source, Provision.source_kind, func.count(Provision.id),
               func.max(Provision.imported_at), func.max(Provision.is_example.cast(Integer)))
        .where(Provision.organisation_id.in_(org_ids))
        .group_by(Provision.organisation_id, Provision.source, Provision.source_kind)
        .order_by(Provision.organisation_id, Provision.source)).all()
    return [(o, src, sk, int(n), at, bool(ex)) for o, src, sk, n, at, ex in rows]
