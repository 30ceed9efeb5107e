"""London's postcodes, from the ONS Postcode Directory (ONSPD), for postcode search and for placing sites.

``boroughs data fetch --only lookups.onspd`` downloads the ONSPD (a zip of about 250 MB holding one UK-wide
CSV of 2.7 million postcodes) and :func:`prepare_onspd` keeps London's live postcodes with four columns:
``pcds`` (the postcode as written, "E16 1AA"), ``lsoa21cd`` (its 2021 LSOA), ``lat`` and ``long`` (WGS84,
the postcode's ONS grid reference). With that file in the data directory, postcode search on the map and
postcode-only provision sites work with no further setting; ``BOROUGHS_POSTCODE_LOOKUP`` still points at
another file (any CSV with a postcode column and an LSOA 2021 column) when one is set.
"""

from __future__ import annotations

import io
import re
import threading
import zipfile
from functools import lru_cache
from pathlib import Path

import pandas as pd

from boroughs.config import get_settings
from boroughs.core import datasets
from boroughs.core.datasets import Dataset
from boroughs.core.errors import DataError

LONDON_REGION = "E12000007"
COLUMNS = ("pcds", "lsoa21cd", "lat", "long")

# The ONSPD's columns have been renamed between releases (lsoa21 / lsoa21cd, rgn / rgn25cd, ...).
_ALIASES: dict[str, tuple[str, ...]] = {
    "pcds": ("pcds",),
    "lsoa21cd": ("lsoa21cd", "lsoa21"),
    "rgn": ("rgn25cd", "rgn24cd", "rgn22cd", "rgn", "rgncd"),
    "doterm": ("doterm",),
    "lat": ("lat",),
    "long": ("long",),
}


def _pick(columns: list[str], role: str, path: Path) -> str:
    lower = {c.lower(): c for c in columns}
    for alias in _ALIASES[role]:
        if alias in lower:
            return lower[alias]
    raise DataError(path, f"the ONSPD file has no {role} column (looked for {', '.join(_ALIASES[role])})",
                    hint="The file may be a different release or not the ONSPD")


def _main_csv(zf: zipfile.ZipFile, path: Path) -> str:
    """The UK-wide data file inside the ONSPD zip (``Data/ONSPD_<MON>_<YEAR>_UK.csv``)."""
    names = [n for n in zf.namelist() if n.lower().endswith(".csv") and "/multi_csv/" not in n.lower()
             and re.search(r"onspd[^/]*_uk\.csv$", n.lower())]
    if not names:
        raise DataError(path, "no Data/ONSPD_..._UK.csv inside the zip", hint="Download the ONSPD zip again")
    return max(names, key=lambda n: zf.getinfo(n).file_size)


def prepare_onspd(raw: Path, target: Path) -> None:
    """The ONSPD zip (or its UK CSV) → London's live postcodes: ``pcds, lsoa21cd, lat, long``, gzipped."""
    chunks: list[pd.DataFrame] = []

    def read(handle: io.IOBase | Path) -> None:
        reader = pd.read_csv(handle, dtype=str, chunksize=250_000, keep_default_na=False)  # type: ignore[call-overload]
        for chunk in reader:
            cols = list(chunk.columns)
            pc, ls, rg, dt_, la, lo = (_pick(cols, r, raw) for r in ("pcds", "lsoa21cd", "rgn", "doterm", "lat", "long"))
            keep = (chunk[rg] == LONDON_REGION) & (chunk[dt_].str.strip() == "") & chunk[ls].str.startswith("E01")
            part = chunk.loc[keep, [pc, ls, la, lo]]
            part.columns = list(COLUMNS)
            chunks.append(part)

    if zipfile.is_zipfile(raw):
        with zipfile.ZipFile(raw) as zf, zf.open(_main_csv(zf, raw)) as fh:
            read(io.TextIOWrapper(fh, encoding="utf-8-sig"))  # type: ignore[arg-type]
    else:
        read(raw)
    frame = pd.concat(chunks) if chunks else pd.DataFrame(columns=list(COLUMNS))
    if frame.empty:
        raise DataError(raw, "no live London postcodes found (region E12000007)", hint="Is this the UK-wide ONSPD?")
    frame.to_csv(target, index=False, compression="gzip")


ONSPD = Dataset(
    key="lookups.onspd",
    path="lookups/onspd_london_postcodes.csv.gz",
    title="ONS Postcode Directory (February 2025), London's live postcodes",
    publisher="Office for National Statistics (Open Geography Portal)",
    licence="Open Government Licence v3.0 (contains OS, Royal Mail and ONS data)",
    url="https://geoportal.statistics.gov.uk/datasets/ons::ons-postcode-directory-february-2025-for-the-uk",
    download="https://www.arcgis.com/sharing/rest/content/items/6fb8941d58e54d949f521c92dfb92f2a/data",
    prepare=prepare_onspd,
    columns=COLUMNS,
    optional="postcode search on the map and provision sites placed by postcode alone",
)
datasets.register(ONSPD)


def lookup_path(data_dir: Path | None = None) -> Path | None:
    """The postcode file in use: ``BOROUGHS_POSTCODE_LOOKUP`` if set, else the ONSPD extract if present."""
    setting = get_settings().postcode_lookup
    if setting:
        path = Path(setting)
        return path if path.is_file() else None
    path = ONSPD.full_path(data_dir)
    return path if path.is_file() else None


_lock = threading.Lock()


@lru_cache(maxsize=2)
def _coordinates(path: str, stamp: float) -> dict[str, tuple[float, float]]:
    frame = pd.read_csv(path, dtype=str)
    lower = {c.lower(): c for c in frame.columns}
    pc = next((lower[c] for c in ("pcds", "pcd", "pcd7", "pcd8", "postcode") if c in lower), None)
    if pc is None or "lat" not in lower or "long" not in lower:
        return {}
    lat = pd.to_numeric(frame[lower["lat"]], errors="coerce")
    lon = pd.to_numeric(frame[lower["long"]], errors="coerce")
    ok = lat.notna() & lon.notna() & (lat.abs() < 90)  # the ONSPD gives 99.999999 where it has no grid reference
    keys = frame.loc[ok, pc].str.replace(r"\s+", "", regex=True).str.upper()
    return dict(zip(keys, zip(lat[ok].astype(float), lon[ok].astype(float), strict=True), strict=True))


def coordinates(data_dir: Path | None = None) -> dict[str, tuple[float, float]]:
    """Postcode (upper case, no spaces) → (latitude, longitude), from the postcode file in use ({} if none)."""
    path = lookup_path(data_dir)
    if path is None:
        return {}
    with _lock:
        return _coordinates(str(path), path.stat().st_mtime)


def normalise(postcode: str) -> str:
    return re.sub(r"\s+", "", postcode or "").upper()
