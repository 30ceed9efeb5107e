"""A registry of the open datasets Boroughs reads from the data directory.

Each area registers its datasets (``register``) with the publisher's download address, licence and the
checks to run. ``boroughs data check`` reports on every registered dataset; ``boroughs data fetch``
downloads them (or copies them from a local mirror with ``--from``). Loaders call ``read_csv`` so every
file is checked the same way and errors name the file, column and rows.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pandas as pd

from boroughs.config import get_settings
from boroughs.core.errors import BoroughsError, DataError


@dataclass(frozen=True)
class Dataset:
    """One file in the data directory."""

    key: str
    path: str  # relative to the data directory, e.g. "boundaries/london_lsoa21.geojson"
    title: str
    publisher: str
    licence: str
    url: str  # the official publisher's download address (or landing page when there is no direct file)
    columns: tuple[str, ...] = ()
    code_column: str | None = None
    code_pattern: str | None = None  # a regex every code must match, e.g. r"E01\d{6}"
    expected_rows: int | None = None  # rows in the file (London subset where the file is London only)
    area: str = "core"
    provenance: str = field(default="PROVENANCE.md")
    # A direct download address of the publisher's own file, when it has one. ``url`` may then be its
    # landing page. ``prepare`` turns the downloaded file into the file Boroughs reads (for example the
    # London rows of a national file, with Boroughs' column names); without it the file is used as is.
    download: str | None = None
    prepare: Callable[[Path, Path], None] | None = field(default=None, compare=False)
    # An optional dataset turns a feature on when present (e.g. the postcode directory: postcode search);
    # ``data check`` reports it missing without failing, and says what it would enable.
    optional: str | None = None

    def full_path(self, data_dir: Path | None = None) -> Path:
        return (data_dir or get_settings().data_dir) / self.path


REGISTRY: dict[str, Dataset] = {}


def register(*datasets: Dataset) -> None:
    for ds in datasets:
        REGISTRY[ds.key] = ds


def get(key: str) -> Dataset:
    try:
        return REGISTRY[key]
    except KeyError:
        raise KeyError(f"no dataset registered as {key!r}; known: {', '.join(sorted(REGISTRY))}") from None


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def require_file(ds: Dataset, data_dir: Path | None = None) -> Path:
    path = ds.full_path(data_dir)
    root = data_dir or get_settings().data_dir
    if not root.is_dir():
        raise DataError(
            root,
            "the data directory does not exist",
            hint="Set BOROUGHS_DATA_DIR to the folder holding the open data, or run `boroughs data fetch`",
        )
    if not path.is_file():
        raise DataError(
            path,
            f"{ds.title} is missing",
            hint=f"Run `boroughs data fetch --only {ds.key}` or download it from {ds.url}",
        )
    return path


def check_columns(path: Path, frame: pd.DataFrame, columns: Iterable[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            path,
            f"expected column(s) {', '.join(repr(c) for c in missing)} not found "
            f"(the file has {', '.join(repr(c) for c in list(frame.columns)[:12])})",
            column=missing[0],
            hint="The file may be a different release, or a column was renamed",
        )


def check_codes(path: Path, frame: pd.DataFrame, column: str, pattern: str, *, unique: bool = True) -> None:
    codes = frame[column].astype("string")
    bad = ~codes.fillna("").str.fullmatch(pattern)
    if bad.any():
        rows = [int(i) + 1 for i in frame.index[bad.to_numpy()][:20]]
        example = codes[bad].iloc[0]
        raise DataError(path, f"unexpected code {example!r} (expected {pattern})", column=column, rows=rows)
    if unique:
        dup = codes.duplicated(keep="first")
        if dup.any():
            rows = [int(i) + 1 for i in frame.index[dup.to_numpy()][:20]]
            raise DataError(path, f"duplicated code {codes[dup].iloc[0]!r}", column=column, rows=rows)


def check_numeric(path: Path, frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """Convert columns to numbers, naming the first rows that are not numbers."""
    out = frame.copy()
    for col in columns:
        converted = pd.to_numeric(out[col], errors="coerce")
        bad = converted.isna() & out[col].notna() & (out[col].astype("string").str.strip() != "")
        if bad.any():
            rows = [int(i) + 1 for i in out.index[bad.to_numpy()][:20]]
            raise DataError(
                path, f"non-numeric value {out[col][bad].iloc[0]!r}", column=col, rows=rows
            )
        out[col] = converted
    return out


def read_csv(ds: Dataset, data_dir: Path | None = None, **kwargs: object) -> pd.DataFrame:
    """Read a registered CSV (plain or gzipped), checking columns, codes and row count."""
    path = require_file(ds, data_dir)
    try:
        options: dict[str, object] = {"dtype": {ds.code_column: "string"} if ds.code_column else None}
        options.update(kwargs)
        frame = pd.read_csv(path, **options)  # type: ignore[call-overload]
    except (EOFError, gzip.BadGzipFile, OSError) as exc:
        raise DataError(path, f"the file is truncated or corrupted ({exc})", hint="Download it again") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataError(path, f"the file cannot be read as CSV ({exc})", hint="Download it again") from exc
    check_columns(path, frame, ds.columns)
    if ds.code_column and ds.code_pattern:
        check_codes(path, frame, ds.code_column, ds.code_pattern)
    if ds.expected_rows is not None and len(frame) != ds.expected_rows:
        raise DataError(
            path,
            f"expected {ds.expected_rows:,} rows but found {len(frame):,}",
            hint="The file may be truncated or a different release; download it again",
        )
    return frame


_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")


class FetchFailed(BoroughsError):
    """A dataset could not be fetched; the message says how to get it by hand."""


def fetch(ds: Dataset, data_dir: Path, client: httpx.Client, *, mirror: Path | None = None,
          on_bytes: Callable[[int, int | None], None] | None = None) -> Path:
    """Put one dataset into ``data_dir``: copied from a local ``mirror`` (laid out like the data directory),
    or downloaded from its publisher and prepared. The file is written beside its target and moved into
    place only when complete, so a failed fetch never leaves a half-written dataset behind."""
    target = ds.full_path(data_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    raw = target.with_name(target.name + ".download")
    try:
        if mirror is not None:
            src = mirror / ds.path
            if not src.is_file():
                raise FetchFailed(f"{src} is not in the mirror {mirror}")
            shutil.copyfile(src, part)
            prov = src.parent / ds.provenance
            if prov.is_file():
                shutil.copyfile(prov, target.parent / ds.provenance)
        else:
            if not ds.download:
                raise FetchFailed(
                    f"{ds.title} has no direct download: get it from {ds.url} and save it as {target}, "
                    "or use --from with a local copy"
                )
            try:
                with client.stream("GET", ds.download, follow_redirects=True, timeout=120) as r:
                    r.raise_for_status()
                    total = int(r.headers.get("content-length", 0)) or None
                    with raw.open("wb") as f:
                        for chunk in r.iter_bytes():
                            f.write(chunk)
                            if on_bytes:
                                on_bytes(len(chunk), total)
            except httpx.HTTPError as exc:
                raise FetchFailed(
                    f"could not download {ds.title} from {ds.download} ({exc}); use --from with a local copy"
                ) from exc
            if ds.prepare is not None:
                ds.prepare(raw, part)
            else:
                raw.replace(part)
        part.replace(target)
    finally:
        part.unlink(missing_ok=True)
        raw.unlink(missing_ok=True)
    return target
