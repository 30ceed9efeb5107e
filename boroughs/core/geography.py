"""London's geography: 33 boroughs, 684 wards, 1,002 MSOAs (2021), 4,994 LSOAs (2021), 4,835 LSOAs (2011).

Read from the data directory (boundaries and ONS lookups), checked for counts and codes, and loaded into
``core_area`` and ``core_lsoa_change`` by ``load_into``. Boundaries stay in their files; ``boundary_geojson``
serves them. Best-fit relationships: an LSOA 2021's ward comes from the ONS LSOA21→ward24 lookup; its MSOA
from the ONS naming convention (an LSOA is named after its MSOA plus one letter, "Camden 001A" is in
"Camden 001").
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from boroughs.config import get_settings
from boroughs.core import datasets
from boroughs.core.datasets import Dataset, check_codes, check_columns, require_file
from boroughs.core.errors import DataError
from boroughs.core.models import Area, LsoaChange, Setting

OGL = "Open Government Licence v3.0"
ONS = "Office for National Statistics (Open Geography Portal)"
GEOPORTAL = "https://geoportal.statistics.gov.uk"

BOROUGH_CODE = r"E09\d{6}"
WARD_CODE = r"E05\d{6}"
MSOA_CODE = r"E02\d{6}"
LSOA_CODE = r"E01\d{6}"

LONDON_COUNTS = {"borough": 33, "ward": 684, "msoa21": 1002, "lsoa21": 4994, "lsoa11": 4835}


@dataclass(frozen=True)
class Layer:
    kind: str
    dataset: Dataset
    code: str
    name: str
    pattern: str
    borough: str | None = None


def _prepare_boroughs(raw: Path, target: Path) -> None:
    """ONS LAD December 2021 (UK, BUC) → the 33 London boroughs with Boroughs' column names."""
    doc = json.loads(raw.read_text(encoding="utf-8"))
    feats = []
    for f in doc.get("features", []):
        p = f.get("properties") or {}
        if str(p.get("LAD21CD", "")).startswith("E09"):
            f["properties"] = {"ltla21_name": p["LAD21NM"], "ltla21_code": p["LAD21CD"]}
            feats.append(f)
    target.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")


def _prepare_lsoa11(raw: Path, target: Path) -> None:
    """ONS LSOA December 2011 (E&W, BSC) → London's LSOAs, with their borough from the borough layer
    fetched just before (an LSOA is named after its borough, "Camden 001A")."""
    boroughs = json.loads((target.parent / "london_boroughs_ltla21.geojson").read_text(encoding="utf-8"))
    code_of = {f["properties"]["ltla21_name"]: f["properties"]["ltla21_code"] for f in boroughs["features"]}
    doc = json.loads(raw.read_text(encoding="utf-8"))
    feats = []
    for f in doc.get("features", []):
        p = f.get("properties") or {}
        borough = str(p.get("LSOA11NM", "")).rsplit(" ", 1)[0]
        if borough in code_of:
            f["properties"] = {"lsoa11_name": p["LSOA11NM"], "lsoa11_code": p["LSOA11CD"],
                               "ltla21_code": code_of[borough], "ltla21_name": borough}
            feats.append(f)
    target.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")


def _prepare_lookup_11_21(raw: Path, target: Path) -> None:
    """ONS LSOA11_LSOA21_LAD22_EW_LU (CSV) → Boroughs' column names, gzipped."""
    frame = pd.read_csv(raw, dtype=str)
    renamed = frame.rename(columns={"LSOA11NM": "lsoa11_name", "LSOA11CD": "lsoa11_code", "CHGIND": "change_code",
                                    "LSOA21NM": "lsoa21_name", "LSOA21CD": "lsoa21_code", "LAD22NM": "ltla22_name",
                                    "LAD22CD": "ltla22_code"})
    check_columns(raw, renamed, ("lsoa11_code", "change_code", "lsoa21_code", "ltla22_code"))
    cols = ["lsoa11_name", "lsoa11_code", "change_code", "lsoa21_name", "lsoa21_code", "ltla22_name", "ltla22_code"]
    renamed[cols].to_csv(target, index=False, compression="gzip")


def _boundary(key: str, file: str, title: str, rows: int, code: str, pattern: str, ons_name: str,
              download: str | None = None, prepare: Callable[[Path, Path], None] | None = None) -> Dataset:
    return Dataset(
        download=download,
        prepare=prepare,
        key=key,
        path=f"boundaries/{file}",
        title=title,
        publisher=ONS,
        licence=OGL,
        url=f"{GEOPORTAL}/search?q={ons_name}",
        code_column=code,
        code_pattern=pattern,
        expected_rows=rows,
    )


BOROUGHS = _boundary("boundaries.boroughs", "london_boroughs_ltla21.geojson", "London borough boundaries (LAD Dec 2021)",
                     33, "ltla21_code", BOROUGH_CODE, "Local_Authority_Districts_December_2021_UK_BUC",
                     "https://opendata.arcgis.com/datasets/ac4ad96a586b4e4bab306dd59eb09401_0.geojson",
                     _prepare_boroughs)
WARDS = _boundary("boundaries.wards22", "london_wards22.geojson", "London ward boundaries (Dec 2022)",
                  684, "ward22_code", WARD_CODE, "Wards_December_2022_Boundaries_UK_BSC")
MSOA21 = _boundary("boundaries.msoa21", "london_msoa21.geojson", "London MSOA 2021 boundaries",
                   1002, "msoa21_code", MSOA_CODE, "MSOA_2021_EW_BSC_V2")
LSOA21 = _boundary("boundaries.lsoa21", "london_lsoa21.geojson", "London LSOA 2021 boundaries",
                   4994, "lsoa21_code", LSOA_CODE, "Lower_Layer_Super_Output_Areas_December_2021_Boundaries_EW_BSC_V4")
LSOA11 = _boundary("boundaries.lsoa11", "london_lsoa11.geojson", "London LSOA 2011 boundaries",
                   4835, "lsoa11_code", LSOA_CODE, "Lower_Layer_Super_Output_Areas_December_2011_Boundaries_EW_BSC",
                   "https://opendata.arcgis.com/datasets/e9d10c36ebed4ff3865c4389c2c98827_0.geojson", _prepare_lsoa11)
LOOKUP_11_21 = Dataset(
    key="lookups.lsoa11_lsoa21",
    path="lookups/lookup_lsoa11_lsoa21_ltla22_ew.csv.gz",
    title="LSOA 2011 to LSOA 2021 to LAD 2022 lookup (England and Wales)",
    publisher=ONS,
    licence=OGL,
    url=f"{GEOPORTAL}/datasets/lsoa-2011-to-lsoa-2021-to-local-authority-district-2022-lookup-for-england-and-wales-version-2/about",
    download="https://www.arcgis.com/sharing/rest/content/items/5fc4ff82228846c2b893e3beba0e3751/data",
    prepare=_prepare_lookup_11_21,
    columns=("lsoa11_code", "change_code", "lsoa21_code", "ltla22_code"),
    expected_rows=35795,
)
LOOKUP_21_WARD = Dataset(
    key="lookups.lsoa21_ward24",
    path="lookups/lookup_lsoa21_ward24_ltla24_ew.csv.gz",
    title="LSOA 2021 to ward 2024 to LAD 2024 best-fit lookup (England and Wales)",
    publisher=ONS,
    licence=OGL,
    url=f"{GEOPORTAL}/search?q=LSOA21_WD24_LAD24_EW_LU",
    columns=("lsoa21_code", "ward24_code", "ward24_name", "ltla24_code"),
    code_column="lsoa21_code",
    code_pattern=r"[EW]01\d{6}",
    expected_rows=35672,
)
datasets.register(BOROUGHS, WARDS, MSOA21, LSOA21, LSOA11, LOOKUP_11_21, LOOKUP_21_WARD)

LAYERS = {
    "borough": Layer("borough", BOROUGHS, "ltla21_code", "ltla21_name", BOROUGH_CODE),
    "ward": Layer("ward", WARDS, "ward22_code", "ward22_name", WARD_CODE),
    "msoa21": Layer("msoa21", MSOA21, "msoa21_code", "msoa21_name", MSOA_CODE),
    "lsoa21": Layer("lsoa21", LSOA21, "lsoa21_code", "lsoa21_name", LSOA_CODE, "ltla24_code"),
    "lsoa11": Layer("lsoa11", LSOA11, "lsoa11_code", "lsoa11_name", LSOA_CODE, "ltla21_code"),
}


def read_geojson(ds: Dataset, data_dir: Path | None = None) -> dict[str, Any]:
    path = require_file(ds, data_dir)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(path, f"the file is not valid GeoJSON ({exc})", hint="It may be truncated; download it again") from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise DataError(path, "the file is not a GeoJSON FeatureCollection")
    return doc


def read_layer(kind: str, data_dir: Path | None = None) -> pd.DataFrame:
    """The attributes of one boundary layer as a table, checked for columns, codes and count."""
    layer = LAYERS[kind]
    ds = layer.dataset
    path = ds.full_path(data_dir)
    doc = read_geojson(ds, data_dir)
    frame = pd.DataFrame([f.get("properties") or {} for f in doc["features"]])
    needed = [layer.code, layer.name] + ([layer.borough] if layer.borough else [])
    check_columns(path, frame, needed)
    check_codes(path, frame, layer.code, layer.pattern)
    if layer.borough:
        check_codes(path, frame, layer.borough, BOROUGH_CODE, unique=False)
    if len(frame) != LONDON_COUNTS[kind]:
        raise DataError(path, f"expected {LONDON_COUNTS[kind]:,} London areas but found {len(frame):,}",
                        hint="The file may be truncated or not the London extract; download it again")
    return frame


def read_lookup_11_21(data_dir: Path | None = None) -> pd.DataFrame:
    """The London rows of the ONS 2011→2021 LSOA lookup."""
    frame = datasets.read_csv(LOOKUP_11_21, data_dir, dtype="string")
    path = LOOKUP_11_21.full_path(data_dir)
    check_codes(path, frame, "lsoa11_code", r"[EW]01\d{6}", unique=False)
    check_codes(path, frame, "lsoa21_code", r"[EW]01\d{6}", unique=False)
    bad = ~frame["change_code"].isin(["U", "S", "M", "X"])
    if bad.any():
        rows = [int(i) + 1 for i in frame.index[bad.to_numpy()][:20]]
        raise DataError(path, f"unknown change code {frame['change_code'][bad].iloc[0]!r} (expected U, S, M or X)",
                        column="change_code", rows=rows)
    return frame[frame["ltla22_code"].str.startswith("E09")].reset_index(drop=True)


def read_lookup_21_ward(data_dir: Path | None = None) -> pd.DataFrame:
    frame = datasets.read_csv(LOOKUP_21_WARD, data_dir, dtype="string")
    return frame[frame["ltla24_code"].str.startswith("E09")].reset_index(drop=True)


@dataclass
class Geography:
    areas: pd.DataFrame  # code, kind, name, borough_code, ward_code, msoa_code
    lsoa_changes: pd.DataFrame  # lsoa11_code, lsoa21_code, change_code

    def counts(self) -> dict[str, int]:
        return {k: int(v) for k, v in self.areas["kind"].value_counts().items()}


def read_geography(data_dir: Path | None = None) -> Geography:
    """Read and cross-check every London geography from the data directory (cached while the files are
    unchanged)."""
    root = (data_dir or get_settings().data_dir).resolve()
    stamp = tuple(
        (p.stat().st_mtime_ns, p.stat().st_size) if p.exists() else None
        for p in (ds.full_path(root) for ds in (*[lay.dataset for lay in LAYERS.values()], LOOKUP_11_21, LOOKUP_21_WARD))
    )
    return _read_geography_cached(root, stamp)


@lru_cache(maxsize=4)
def _read_geography_cached(data_dir: Path, stamp: tuple[object, ...]) -> Geography:
    rows: list[pd.DataFrame] = []
    boroughs = read_layer("borough", data_dir)
    rows.append(pd.DataFrame({"code": boroughs["ltla21_code"], "kind": "borough", "name": boroughs["ltla21_name"],
                              "borough_code": boroughs["ltla21_code"], "ward_code": None, "msoa_code": None}))
    borough_codes = set(boroughs["ltla21_code"])

    ward_lookup = read_lookup_21_ward(data_dir)
    wards = read_layer("ward", data_dir)
    ward_borough = ward_lookup.drop_duplicates("ward24_code").set_index("ward24_code")["ltla24_code"]
    missing = sorted(set(wards["ward22_code"]) - set(ward_borough.index))
    if missing:
        raise DataError(WARDS.full_path(data_dir), f"ward {missing[0]} is not in the LSOA-to-ward lookup",
                        column="ward22_code")
    rows.append(pd.DataFrame({"code": wards["ward22_code"], "kind": "ward", "name": wards["ward22_name"],
                              "borough_code": wards["ward22_code"].map(ward_borough), "ward_code": None,
                              "msoa_code": None}))

    msoas = read_layer("msoa21", data_dir)
    msoa_by_name = dict(zip(msoas["msoa21_name"], msoas["msoa21_code"], strict=True))
    lsoa21 = read_layer("lsoa21", data_dir)
    foreign = sorted(set(lsoa21["ltla24_code"]) - borough_codes)
    if foreign:
        raise DataError(LSOA21.full_path(data_dir), f"borough code {foreign[0]} is not a London borough",
                        column="ltla24_code")
    msoa_codes = lsoa21["lsoa21_name"].str[:-1].map(msoa_by_name)
    if msoa_codes.isna().any():
        bad = lsoa21.index[msoa_codes.isna()].tolist()
        raise DataError(LSOA21.full_path(data_dir), "LSOA name does not match any MSOA 2021 name",
                        column="lsoa21_name", rows=[i + 1 for i in bad])
    msoa_borough = pd.Series(lsoa21["ltla24_code"].to_numpy(), index=msoa_codes).groupby(level=0).first()
    ward_of = ward_lookup.set_index("lsoa21_code")["ward24_code"]
    rows.append(pd.DataFrame({"code": msoas["msoa21_code"], "kind": "msoa21", "name": msoas["msoa21_name"],
                              "borough_code": msoas["msoa21_code"].map(msoa_borough), "ward_code": None,
                              "msoa_code": None}))
    rows.append(pd.DataFrame({"code": lsoa21["lsoa21_code"], "kind": "lsoa21", "name": lsoa21["lsoa21_name"],
                              "borough_code": lsoa21["ltla24_code"], "ward_code": lsoa21["lsoa21_code"].map(ward_of),
                              "msoa_code": msoa_codes}))
    lsoa11 = read_layer("lsoa11", data_dir)
    rows.append(pd.DataFrame({"code": lsoa11["lsoa11_code"], "kind": "lsoa11", "name": lsoa11["lsoa11_name"],
                              "borough_code": lsoa11["ltla21_code"], "ward_code": None, "msoa_code": None}))

    changes = read_lookup_11_21(data_dir)
    path = LOOKUP_11_21.full_path(data_dir)
    for col, layer_frame, code in (("lsoa11_code", lsoa11, "lsoa11_code"), ("lsoa21_code", lsoa21, "lsoa21_code")):
        gap = set(layer_frame[code]) - set(changes[col])
        if gap:
            raise DataError(path, f"{len(gap)} London areas have no row in the lookup, e.g. {sorted(gap)[0]}",
                            column=col)
    areas = pd.concat([r.astype(object) for r in rows], ignore_index=True)
    areas = areas.where(areas.notna(), None)
    return Geography(areas=areas, lsoa_changes=changes[["lsoa11_code", "lsoa21_code", "change_code"]].copy())


def load_into(db: Session, data_dir: Path | None = None) -> dict[str, int]:
    """Replace the geography tables with what is in the data directory (in the caller's transaction)."""
    geo = read_geography(data_dir)
    db.execute(delete(Area))
    db.execute(delete(LsoaChange))
    db.execute(insert(Area), geo.areas.to_dict("records"))
    db.execute(insert(LsoaChange), geo.lsoa_changes.to_dict("records"))
    db.merge(Setting(key="geography_loaded_from", value=str(data_dir or get_settings().data_dir)))
    return geo.counts()


def is_loaded(db: Session) -> bool:
    return bool(db.scalar(select(func.count()).select_from(Area).where(Area.kind == "borough")))


def boroughs(db: Session) -> list[Area]:
    return list(db.scalars(select(Area).where(Area.kind == "borough").order_by(Area.name)))


def areas_in(db: Session, kind: str, borough: str | None = None) -> list[Area]:
    q = select(Area).where(Area.kind == kind)
    if borough:
        q = q.where(Area.borough_code == borough)
    return list(db.scalars(q.order_by(Area.code)))


def area(db: Session, code: str, kind: str | None = None) -> Area | None:
    q = select(Area).where(Area.code == code)
    if kind:
        q = q.where(Area.kind == kind)
    return db.scalars(q).first()


@lru_cache(maxsize=8)
def boundary_geojson(kind: str, data_dir: str | None = None) -> bytes:
    """The raw GeoJSON of a boundary layer (cached; the files are a few MB at most)."""
    path = require_file(LAYERS[kind].dataset, Path(data_dir) if data_dir else None)
    return path.read_bytes()

from boroughs.core import postcodes as _postcodes  # noqa: E402  (registers the ONSPD dataset)

assert _postcodes
