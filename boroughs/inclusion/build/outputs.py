"""The files a build writes besides ``lsoa21.csv`` and the manifest: the roll-ups (ward, MSOA, borough,
region), the map's GeoJSON layer and the data dictionary; and the output folder itself, written whole in a
temporary folder and moved into place (only over an empty folder or an earlier build)."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from boroughs.inclusion.build.catalogue import Catalogue
from boroughs.inclusion.build.indicators import Inputs
from boroughs.inclusion.sources import boundaries

PRODUCT = "Boroughs digital exclusion index"


def check_replaceable(out_dir: Path) -> None:
    """Only an empty folder or an earlier build may be replaced: never someone's other files."""
    if not out_dir.exists():
        return
    from boroughs.core.errors import ValidationFailed

    if not out_dir.is_dir():
        raise ValidationFailed(f"{out_dir} is a file; choose a folder for --out")
    if not any(out_dir.iterdir()):
        return
    manifest = out_dir / "manifest.json"
    try:
        product = json.loads(manifest.read_text()).get("product")
    except (OSError, ValueError):
        product = None
    if product != PRODUCT:
        raise ValidationFailed(
            f"{out_dir} already holds files that are not a built index; choose an empty or new folder for --out"
        )


def atomic_dir(out_dir: Path) -> Path:
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))


def move_into_place(tmp: Path, out_dir: Path) -> None:
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old-{int(time.time() * 1000)}")
        out_dir.rename(old)
        tmp.rename(out_dir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(out_dir)


def rollups(lsoa: pd.DataFrame, estimates: Any, out: Path, area: str) -> list[str]:
    from boroughs.inclusion.build import estimate as est_mod

    files = []
    levels = [("ward", "ward24_code", "ward24_name"), ("borough", "ltla24_code", "ltla24_name")]
    if area == "london":
        levels.insert(1, ("msoa21", "msoa21_code", "msoa21_name"))
    else:
        levels.append(("region", "region_code", "region_name"))
    weights = lsoa["adults"] if "adults" in lsoa else pd.Series(1.0, index=lsoa.index)
    for level, code, name in levels:
        grp = lsoa.assign(_w=weights.fillna(0), _ws=lsoa["score"] * weights.fillna(0))
        g = grp.groupby(code)
        frame = pd.DataFrame(
            {
                f"{code}": g.size().index,
                f"{name}": g[name].first().to_numpy(),
                "lsoas": g.size().to_numpy(),
                "score_mean": (g["_ws"].sum() / g["_w"].sum()).round(2).to_numpy(),
                "top_decile_lsoas": grp.assign(_top=grp["decile"].eq(1)).groupby(code)["_top"].sum().to_numpy(),
            }
        )
        for c in [c for c in lsoa.columns if c.startswith("need_")]:
            frame[c] = g[c].mean().round(2).to_numpy()
        if estimates is not None:
            keys = lsoa.set_index("lsoa21_code")[code].rename(code)
            r = est_mod.roll_up(estimates, keys).reindex(frame[code].to_numpy())
            for c in ("adults", "offline_estimate", "offline_low", "offline_high"):
                frame[c] = r[c].round(0).to_numpy()
            frame["offline_rate"] = r["offline_rate"].round(4).to_numpy()
        fname = f"{level}.csv"
        frame.to_csv(out / fname, index=False)
        files.append(fname)
    return files


MAP_COLUMNS = ("lsoa21_code", "lsoa21_name", "ltla24_name", "ward24_name", "score", "rank", "decile",
               "main_need_name", "area_type", "area_type_name", "offline_estimate", "offline_low", "offline_high",
               "rank_low", "rank_high", "unstable")


def write_geojson(lsoa: pd.DataFrame, out: Path, data_dir: Path | None, inputs: Inputs) -> str:
    """The LSOA layer (EPSG:4326, the source's 6 decimal places) with the map's columns.

    Geometries come from the boundary file as read (and cached) with the inputs; each feature is written as
    text around them, so the 30 MB of coordinates are not parsed and re-serialised on every build."""
    from boroughs.core.errors import DataError
    from boroughs.inclusion.build.cache import boundary_json

    geoms = inputs.boundary_json if inputs.boundary_json is not None else boundary_json(data_dir, inputs)
    path = boundaries.LSOA21.full_path(data_dir)
    cols = [c for c in MAP_COLUMNS if c in lsoa.columns] + [c for c in lsoa.columns if c.startswith("need_")]
    props = lsoa[cols].set_index("lsoa21_code", drop=False)
    props = props.astype(object).where(props.notna(), None)
    records = props.to_dict(orient="index")
    unknown = [c for c in geoms if c not in records]
    if unknown:
        raise DataError(path, f"boundary {unknown[0]!r} is not in the index", column="lsoa21_code")
    if len(geoms) != len(records):
        raise DataError(path, f"{len(records) - len(geoms)} areas have no boundary")
    parts = []
    for code, geom in geoms.items():
        rec = {k: (v.item() if hasattr(v, "item") else v) for k, v in records[code].items()}
        parts.append('{"type":"Feature","properties":' + json.dumps(rec, separators=(",", ":"))
                     + ',"geometry":' + geom + "}")
    (out / "lsoa21.geojson").write_text('{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}")
    return "lsoa21.geojson"


COLUMN_DOCS = {
    "lsoa21_code": "LSOA 2021 code (ONS).",
    "lsoa21_name": "LSOA 2021 name; the MSOA name plus one letter.",
    "ward24_code": "Electoral ward (2024) the LSOA best fits (ONS lookup).",
    "ward24_name": "Electoral ward name (2024).",
    "msoa21_code": "MSOA 2021 code (from the LSOA name).",
    "msoa21_name": "MSOA 2021 name.",
    "ltla24_code": "Local authority (borough) code, 2024.",
    "ltla24_name": "Local authority name.",
    "region_code": "Region code (England mode).",
    "region_name": "Region name (England mode).",
    "score": "Overall digital exclusion risk, percentile 0–100 (100 = highest risk), from the default method.",
    "score_raw": "The default method's raw score (higher = more risk); for the calibrated method, the predicted percentile of the offline share (0–1).",
    "rank": "Rank by score (1 = highest risk).",
    "decile": "Decile by score (1 = the 10% of areas with the highest risk).",
    "main_need": "The need type on which the area ranks highest (its largest need_ percentile).",
    "main_need_name": "Plain-English name of the main need type.",
    "adults": "Estimated adults aged 16 and over (Census 2021 base).",
    "offline_estimate": "Estimated adults who have not used the internet in the last three months.",
    "offline_low": "Lower end of the 90% interval for offline_estimate.",
    "offline_high": "Upper end of the 90% interval for offline_estimate.",
    "offline_rate": "offline_estimate ÷ adults.",
    "area_type": "Area type number (1 = highest average risk).",
    "area_type_name": "Plain-English name of the area type.",
    "rank_low": "5th percentile of the area's rank over the Monte Carlo draws (a high position).",
    "rank_high": "95th percentile of the area's rank over the Monte Carlo draws (a low position).",
    "decile_change_share": "Share of Monte Carlo draws in which the area's decile differs from the published one.",
    "unstable": "True when the decile changes in more than 20% of draws.",
    "observed_offline_share": "Observed share of Census 2021 household returns not made online (blank: withheld, missing or paper-first).",
    "paper_first": "True where households were sent paper questionnaires first (left out of validation).",
    "oof_score": "Out-of-fold score used for validation (for fixed-weight methods, the score itself).",
    "deri_score": "DERI v1.6 nation-level score (2011 areas converted to 2021), for comparison.",
    "imd2019_score": "IMD 2019 score (2011 areas converted to 2021), for comparison.",
    "imd2025_score": "IMD 2025 score, for comparison.",
    "lsoas": "Number of LSOAs in the area.",
    "score_mean": "Adult-weighted mean of the LSOA scores.",
    "top_decile_lsoas": "Number of LSOAs in the highest-risk decile.",
}


def write_dictionary(out: Path, lsoa: pd.DataFrame, cat: Catalogue) -> list[str]:
    rows = []
    for col in lsoa.columns:
        if col.startswith("need_"):
            t = col[5:]
            desc = f"{cat.need_types[t].name}: percentile 0–100 of the equal-weight need-type score (100 = highest need)."
        elif col.startswith("contrib_"):
            t = col[8:]
            desc = f"Contribution of {cat.need_types[t].name.lower()} to the raw score (default method)."
        else:
            desc = COLUMN_DOCS.get(col, "")
        rows.append({"file": "lsoa21.csv", "column": col, "description": desc})
    for ind in cat.indicators:
        rows.append({"file": "indicators_lsoa21.csv", "column": ind.id,
                     "description": f"{ind.name}: {ind.description} (need type: {cat.need_types[ind.need_type].name}; "
                                    f"direction {ind.direction:+d})"})
        rows.append({"file": "contributions_lsoa21.csv", "column": ind.id,
                     "description": f"Contribution of '{ind.name}' to the raw score (default method)."})
    rollups = "ward.csv, msoa21.csv, borough.csv (England: ward.csv, borough.csv, region.csv)"
    for col in ("ward24_code", "ward24_name", "msoa21_code", "msoa21_name", "ltla24_code", "ltla24_name", "lsoas",
                "score_mean", "top_decile_lsoas", "adults", "offline_estimate", "offline_low", "offline_high",
                "offline_rate"):
        rows.append({"file": rollups, "column": col, "description": COLUMN_DOCS[col]})
    for t, nt in cat.need_types.items():
        rows.append({"file": rollups, "column": f"need_{t}",
                     "description": f"Mean of the LSOAs' {nt.name.lower()} percentiles."})
    frame = pd.DataFrame(rows)
    frame.to_csv(out / "data_dictionary.csv", index=False)
    md = ["# Data dictionary", "", "| file | column | description |", "|---|---|---|"]
    md += [f"| {r['file']} | `{r['column']}` | {r['description']} |" for r in rows]
    (out / "data_dictionary.md").write_text("\n".join(md) + "\n")
    return ["data_dictionary.csv", "data_dictionary.md"]
