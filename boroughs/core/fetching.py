"""Fetching every registered dataset from its publisher (issue 15): ``boroughs data fetch`` and ``--plan``.

Each dataset key has a ``Source``: the publisher's direct, versioned file address (a gov.uk asset, a Nomis
bulk zip, an ONS ``file?uri=`` address, an ArcGIS item or a FeatureServer layer of the ONS Open Geography
Portal, a file in GMCA's GitHub repository at a fixed commit), what to check (a SHA-256 when Boroughs uses the
publisher's file unchanged, otherwise the dataset's own shape checks: columns, codes, row count) and how to
turn it into the file Boroughs reads (``prepare``: the London rows of a national file, Boroughs' column names).

- Downloads are resumed: an interrupted download stays as ``<name>.partial`` in ``<data dir>/.downloads`` and
  the next run asks the publisher for the rest (HTTP ``Range``), starting again if the server ignores it.
- Writes are atomic: the prepared file is written and checked in ``<data dir>/.staging`` and moved into
  place only when every check passed, so a failed fetch never leaves a partial or unchecked dataset.
- ArcGIS FeatureServer layers are read page by page (``resultOffset``) into one file.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pandas as pd

from boroughs.core import datasets
from boroughs.core.datasets import Dataset, FetchFailed, check_codes, check_columns, sha256
from boroughs.core.errors import BoroughsError, DataError

OnBytes = Callable[[int, int | None], None]
# prepare(raw download, target file to write, data directory holding the datasets fetched before)
Prepare = Callable[[Path, Path, Path], None]

ARCGIS = "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services"  # ONS's ArcGIS organisation
ARCGIS_PAGE = 2000  # the ONS services' maximum record count

# The 33 London boroughs (LAD codes unchanged from 2019 to 2024); LSOA and MSOA names start with them.
LONDON_BOROUGHS = {
    "E09000001": "City of London", "E09000002": "Barking and Dagenham", "E09000003": "Barnet",
    "E09000004": "Bexley", "E09000005": "Brent", "E09000006": "Bromley", "E09000007": "Camden",
    "E09000008": "Croydon", "E09000009": "Ealing", "E09000010": "Enfield", "E09000011": "Greenwich",
    "E09000012": "Hackney", "E09000013": "Hammersmith and Fulham", "E09000014": "Haringey",
    "E09000015": "Harrow", "E09000016": "Havering", "E09000017": "Hillingdon", "E09000018": "Hounslow",
    "E09000019": "Islington", "E09000020": "Kensington and Chelsea", "E09000021": "Kingston upon Thames",
    "E09000022": "Lambeth", "E09000023": "Lewisham", "E09000024": "Merton", "E09000025": "Newham",
    "E09000026": "Redbridge", "E09000027": "Richmond upon Thames", "E09000028": "Southwark",
    "E09000029": "Sutton", "E09000030": "Tower Hamlets", "E09000031": "Waltham Forest",
    "E09000032": "Wandsworth", "E09000033": "Westminster",
}
BOROUGH_BY_NAME = {v: k for k, v in LONDON_BOROUGHS.items()}


def london_borough_of(area_name: str) -> str | None:
    """The London borough code of an LSOA or MSOA named "<borough> 001A" / "<borough> 001", else None."""
    return BOROUGH_BY_NAME.get(str(area_name).rsplit(" ", 1)[0])


@dataclass(frozen=True)
class Source:
    """Where and how one dataset is fetched."""

    url: str  # the publisher's direct file address (``--plan`` prints it)
    kind: str = "file"  # "file", or "arcgis" for an ONS FeatureServer layer read page by page
    sha256: str | None = None  # of the publisher's file, when Boroughs uses it unchanged
    prepare: Prepare | None = None
    after: tuple[str, ...] = ()  # dataset keys whose files ``prepare`` reads (fetched first)
    where: str = "1=1"  # arcgis: the rows to ask for (e.g. London only)
    out_fields: str = "*"  # arcgis
    geometry: bool = True  # arcgis: GeoJSON features, or attributes only (a lookup table)
    extra: tuple[str, ...] = ()  # more publisher files ``prepare`` reads (``extra_download`` finds them)

    def address(self) -> str:
        if self.kind != "arcgis":
            return self.url
        return self.url + "/query?" + urlencode(self._params(0))

    def _params(self, offset: int) -> dict[str, str]:
        params = {"where": self.where, "outFields": self.out_fields, "resultOffset": str(offset), "resultRecordCount": str(ARCGIS_PAGE)}
        if self.geometry:
            params.update({"outSR": "4326", "f": "geojson"})
        else:
            params.update({"returnGeometry": "false", "f": "json"})
        return params


SOURCES: dict[str, Source] = {}


def register(key: str, source: Source) -> None:
    SOURCES[key] = source


def source_for(ds: Dataset) -> Source | None:
    if ds.key in SOURCES:
        return SOURCES[ds.key]
    if ds.download:  # a registration that carries its own direct address
        legacy = ds.prepare
        prep: Prepare | None = (lambda raw, target, _root: legacy(raw, target)) if legacy else None
        return Source(ds.download, prepare=prep)
    return None


def plan(chosen: Iterable[Dataset]) -> list[tuple[str, str]]:
    """Each dataset key with the address ``fetch`` would download (``-`` when there is none); a dataset built
    from several publisher files has one line per file."""
    out = []
    for ds in chosen:
        src = source_for(ds)
        out.append((ds.key, src.address() if src else "-"))
        out.extend((ds.key, url) for url in (src.extra if src else ()))  # one line per file
    return out


def order(chosen: Iterable[Dataset]) -> list[Dataset]:
    """Datasets in an order where each comes after the ones its preparation reads; one per file."""
    by_key = {d.key: d for d in datasets.REGISTRY.values()}
    done: list[Dataset] = []
    seen: set[str] = set()

    def visit(ds: Dataset) -> None:
        if ds.key in seen:
            return
        seen.add(ds.key)
        src = source_for(ds)
        for dep in src.after if src else ():
            if dep in by_key:
                visit(by_key[dep])
        done.append(ds)

    for ds in chosen:
        visit(ds)
    return done


# ---------------------------------------------------------------- downloading


def download(client: httpx.Client, url: str, dest: Path, *, on_bytes: OnBytes | None = None) -> Path:
    """Download ``url`` to ``dest``, resuming from ``dest.partial`` if an earlier run was interrupted."""
    partial = dest.with_name(dest.name + ".partial")
    dest.parent.mkdir(parents=True, exist_ok=True)
    have = partial.stat().st_size if partial.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    try:
        with client.stream("GET", url, headers=headers, follow_redirects=True, timeout=300) as r:
            if r.status_code == 416 and have:  # nothing left to send: the partial file is complete
                partial.replace(dest)
                return dest
            r.raise_for_status()
            if r.status_code == 206 and have:
                start = _range_start(r.headers.get("content-range", ""))
                if start != have:
                    raise FetchFailed(f"{url} answered with bytes from {start}, not {have}; delete {partial}")
                mode = "ab"
            else:
                mode, have = "wb", 0  # the server sent the whole file
            length = r.headers.get("content-length")
            total = have + int(length) if length and length.isdigit() else None
            if on_bytes and have:
                on_bytes(have, total)
            with partial.open(mode) as f:
                for chunk in r.iter_bytes():
                    f.write(chunk)
                    if on_bytes:
                        on_bytes(len(chunk), total)
            if total is not None and partial.stat().st_size != total:
                raise FetchFailed(f"the download of {url} stopped at {partial.stat().st_size:,} of {total:,} bytes; "
                                  "run the same command again to resume it")
    except httpx.HTTPError as exc:
        raise FetchFailed(f"could not download {url} ({exc}); run the same command again to resume, or use "
                          "--from with a local copy") from exc
    partial.replace(dest)
    return dest


def _range_start(content_range: str) -> int:
    try:
        return int(content_range.split()[1].split("-")[0])
    except (IndexError, ValueError):
        return -1


def download_arcgis(client: httpx.Client, src: Source, dest: Path) -> Path:
    """Read an ArcGIS FeatureServer layer page by page into one GeoJSON (or JSON rows) file."""
    rows: list[dict[str, Any]] = []
    offset = 0
    while True:
        try:
            r = client.get(src.url + "/query", params=src._params(offset), follow_redirects=True, timeout=300)
            r.raise_for_status()
            page = r.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise FetchFailed(f"could not read {src.url} at record {offset:,} ({exc}); try again later") from exc
        if "error" in page:
            raise FetchFailed(f"{src.url} answered with an error: {page['error']}")
        got = page.get("features") or []
        rows.extend(got if src.geometry else [f.get("attributes") or {} for f in got])
        more = page.get("exceededTransferLimit") or (page.get("properties") or {}).get("exceededTransferLimit")
        if not got or not more:
            break
        offset += len(got)
    doc: dict[str, Any] = {"type": "FeatureCollection", "features": rows} if src.geometry else {"rows": rows}
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".partial")
    tmp.write_text(json.dumps(doc), encoding="utf-8")
    tmp.replace(dest)
    return dest


# ---------------------------------------------------------------- checking


def check_shape(ds: Dataset, root: Path) -> None:
    """The dataset's own checks (columns, codes, rows), on the file under ``root``."""
    path = ds.full_path(root)
    if path.name.endswith((".csv", ".csv.gz")):
        datasets.read_csv(ds, root)
    elif path.suffix == ".geojson":
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            features = doc["features"]
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(path, f"the file is not a GeoJSON FeatureCollection ({exc})") from exc
        frame = pd.DataFrame([f.get("properties") or {} for f in features])
        check_columns(path, frame, ds.columns or ((ds.code_column,) if ds.code_column else ()))
        if ds.code_column and ds.code_pattern:
            check_codes(path, frame, ds.code_column, ds.code_pattern)
        if ds.expected_rows is not None and len(frame) != ds.expected_rows:
            raise DataError(path, f"expected {ds.expected_rows:,} features but found {len(frame):,}",
                            hint="The publisher's file may have changed; check it before using it")
    elif path.suffix == ".xlsx":
        try:
            with zipfile.ZipFile(path) as z:
                if "xl/workbook.xml" not in z.namelist():
                    raise DataError(path, "the file is not an Excel workbook")
        except zipfile.BadZipFile as exc:
            raise DataError(path, "the file is not an Excel workbook (it may be truncated)") from exc


# ---------------------------------------------------------------- fetching one dataset


def fetch(ds: Dataset, root: Path, client: httpx.Client, *, on_bytes: OnBytes | None = None) -> Path:
    """Download, check, prepare and atomically install one dataset from its publisher."""
    src = source_for(ds)
    if src is None:
        raise FetchFailed(f"{ds.title} has no direct download address; get it from {ds.url} or use --from")
    target = ds.full_path(root)
    downloads = root / ".downloads"
    staging = root / ".staging"
    raw = downloads / _raw_name(ds, src)
    if src.kind == "arcgis":
        download_arcgis(client, src, raw)
    elif not raw.exists():
        download(client, src.url, raw, on_bytes=on_bytes)
    for url in src.extra:
        if not extra_download(root, url).exists():
            download(client, url, extra_download(root, url), on_bytes=on_bytes)
    if src.sha256 is not None:
        got = sha256(raw)
        if got != src.sha256:
            raw.unlink()
            raise FetchFailed(f"{ds.title}: the file from {src.url} has SHA-256 {got}, not the expected {src.sha256} "
                              "(it is corrupted, or the publisher changed it). Nothing was installed.")
    staged = ds.full_path(staging)
    staged.parent.mkdir(parents=True, exist_ok=True)
    try:
        if src.prepare is not None:
            try:
                src.prepare(raw, staged, root)
            except (KeyError, ValueError, IndexError, zipfile.BadZipFile, OSError) as exc:
                raise FetchFailed(f"{ds.title}: the file from {src.url} is not in the expected form ({exc!r}). "
                                  "Nothing was installed.") from exc
        else:
            shutil.copyfile(raw, staged)
        try:
            check_shape(ds, staging)
        except DataError as exc:
            raise FetchFailed(f"{ds.title}: the prepared file failed its checks: {exc}. Nothing was installed.") from exc
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, target)
    except BoroughsError:
        staged.unlink(missing_ok=True)
        raw.unlink(missing_ok=True)  # complete but unusable: download it afresh next time
        raise
    finally:
        staged.unlink(missing_ok=True)
    raw.unlink(missing_ok=True)
    for url in src.extra:
        extra_download(root, url).unlink(missing_ok=True)
    return target


def extra_download(root: Path, url: str) -> Path:
    """Where an ``extra`` publisher file of a source is downloaded."""
    return root / ".downloads" / ("extra-" + hashlib.sha256(url.encode()).hexdigest()[:16])


def _raw_name(ds: Dataset, src: Source) -> str:
    digest = hashlib.sha256(src.address().encode()).hexdigest()[:12]
    return f"{ds.key}-{digest}"


# ---------------------------------------------------------------- helpers for ``prepare`` functions


def read_zip_csv(raw: Path, member_suffix: str, **kwargs: Any) -> pd.DataFrame:
    """A CSV inside a publisher's zip, found by the end of its name (e.g. ``-lsoa.csv``)."""
    with zipfile.ZipFile(raw) as z:
        names = [n for n in z.namelist() if n.lower().endswith(member_suffix)]
        if len(names) != 1:
            raise ValueError(f"expected one file ending {member_suffix!r} in the zip, found {names or 'none'}")
        with z.open(names[0]) as f:
            return pd.read_csv(io.BytesIO(f.read()), **kwargs)


def arcgis_rows(raw: Path) -> pd.DataFrame:
    return pd.DataFrame(json.loads(raw.read_text(encoding="utf-8"))["rows"])


def write_features(raw: Path, target: Path, props: Callable[[dict[str, Any]], dict[str, Any] | None]) -> None:
    """Keep the features ``props`` maps to new properties (``None`` drops the feature)."""
    doc = json.loads(raw.read_text(encoding="utf-8"))
    out = []
    for f in doc.get("features", []):
        new = props(f.get("properties") or {})
        if new is not None:
            out.append({"type": "Feature", "properties": new, "geometry": f.get("geometry")})
    target.write_text(json.dumps({"type": "FeatureCollection", "features": out}), encoding="utf-8")


def write_csv(frame: pd.DataFrame, target: Path) -> None:
    frame.to_csv(target, index=False, compression="gzip" if target.name.endswith(".gz") else None)
