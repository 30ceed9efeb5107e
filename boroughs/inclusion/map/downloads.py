"""The table's CSV download with every indicator beside the scores, and its data dictionary."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from boroughs.core.csv_safety import safe_frame
from boroughs.inclusion.build.catalogue import load_catalogue
from boroughs.inclusion.map.index import MapIndex

PREFIX = "indicator_"

SELECTION_COLUMNS = {
    "code": "LSOA 2021 code (ONS).",
    "name": "LSOA 2021 name.",
    "ward": "Electoral ward (2024) the LSOA best fits.",
    "borough": "Borough name.",
    "borough_code": "Borough (local authority) code.",
    "score": "Overall digital exclusion risk, percentile 0–100 (100 = highest risk), under the weights in use.",
    "rank": "Rank by score (1 = highest risk).",
    "decile": "Decile by score (1 = the 10% of areas with the highest risk).",
    "residents": "Estimated adults who have not used the internet in the last three months.",
    "residents_low": "Lower end of the 90% interval for residents.",
    "residents_high": "Upper end of the 90% interval for residents.",
    "residents_rate": "residents ÷ adults aged 16 and over.",
    "rank_low": "5th percentile of the rank over the Monte Carlo draws of weights and method.",
    "rank_high": "95th percentile of the rank over the Monte Carlo draws.",
    "area_type": "Area type: a group of areas with a similar mix of needs.",
}


def indicators(index: MapIndex) -> pd.DataFrame | None:
    """The build's raw indicator values (``indicators_lsoa21.csv``), read once per index."""
    if "_indicators" in index.cache:
        found: pd.DataFrame | None = index.cache["_indicators"]
        return found
    path = Path(index.out_dir) / "indicators_lsoa21.csv"
    frame = None
    if path.is_file():
        frame = pd.read_csv(path, dtype={"lsoa21_code": str}).set_index("lsoa21_code").add_prefix(PREFIX)
    index.cache["_indicators"] = frame
    return frame


def with_indicators(index: MapIndex, rows: pd.DataFrame) -> pd.DataFrame:
    """The selection's rows with one column per indicator (raw value, as published) appended."""
    ind = indicators(index)
    out = rows.copy()
    if ind is not None:
        out = out.join(ind, on="code")
    return safe_frame(out)


def dictionary(index: MapIndex) -> pd.DataFrame:
    """One row per column of the CSV download: column, description, and for indicators their source, year,
    need type, direction and the evidence for it."""
    rows: list[dict[str, object]] = [{"column": c, "description": d} for c, d in SELECTION_COLUMNS.items()]
    for t in index.need_types:
        rows.append({"column": f"need_{t.id}", "description": f"{t.name}: need-type score (higher means greater need)."})
    ind = indicators(index)
    if ind is not None:
        cat = load_catalogue()
        for col in ind.columns:
            i = cat.by_id(col.removeprefix(PREFIX))
            rows.append({
                "column": col, "description": f"{i.name}: {i.description}", "source": "; ".join(i.source),
                "year": i.year, "need_type": cat.need_types[i.need_type].name,
                "direction": "higher value means more risk" if i.direction > 0 else "higher value means less risk",
                "evidence": i.evidence,
            })
    return safe_frame(pd.DataFrame(rows))
