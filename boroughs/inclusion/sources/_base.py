"""Shared helpers for the inclusion area's source loaders.

Every loader reads one registered file through :func:`boroughs.core.datasets.read_csv` (columns, code
pattern, duplicates, row count), then checks types and, where it matters, that the area codes are the
geography it expects. Each load is recorded in an :class:`InputLog` with the file's SHA-256 checksum so the
build's ``manifest.json`` can name exactly what it read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from boroughs.core import datasets
from boroughs.core.datasets import Dataset, check_numeric, read_csv, sha256
from boroughs.core.errors import DataError

OGL = "Open Government Licence v3.0"
ONS = "Office for National Statistics"
MHCLG = "Ministry of Housing, Communities and Local Government"
LSOA = r"E01\d{6}"
LSOA_EW = r"[EW]01\d{6}"
MSOA = r"E02\d{6}"
BOROUGH = r"E09\d{6}"

LONDON_LSOA21 = 4994
LONDON_LSOA11 = 4835
ENGLAND_LSOA21 = 33755
ENGLAND_LSOA11 = 32844


@dataclass
class InputLog:
    """The files a build read, with their checksums (for the manifest)."""

    entries: dict[str, dict[str, object]] = field(default_factory=dict)

    def record(self, ds: Dataset, path: Path, rows: int) -> None:
        if ds.key in self.entries:
            return
        self.entries[ds.key] = {
            "key": ds.key,
            "path": ds.path,
            "title": ds.title,
            "publisher": ds.publisher,
            "licence": ds.licence,
            "url": ds.url,
            "sha256": sha256(path),
            "bytes": path.stat().st_size,
            "rows": rows,
        }

    def as_list(self) -> list[dict[str, object]]:
        return [self.entries[k] for k in sorted(self.entries)]


def dataset(
    key: str,
    path: str,
    title: str,
    *,
    publisher: str,
    url: str,
    columns: Sequence[str] = (),
    code_column: str | None = None,
    code_pattern: str | None = None,
    expected_rows: int | None = None,
    licence: str = OGL,
) -> Dataset:
    """Create and register one inclusion dataset."""
    ds = Dataset(
        key=key,
        path=path,
        title=title,
        publisher=publisher,
        licence=licence,
        url=url,
        columns=tuple(columns),
        code_column=code_column,
        code_pattern=code_pattern,
        expected_rows=expected_rows,
        area="inclusion",
    )
    datasets.register(ds)
    return ds


def load(
    ds: Dataset,
    data_dir: Path | None,
    log: InputLog | None,
    *,
    numeric: Iterable[str] = (),
    usecols: Sequence[str] | None = None,
    dtype: dict[str, str] | None = None,
    allow_missing: Iterable[str] = (),
    encoding: str | None = None,
) -> pd.DataFrame:
    """Read a registered CSV with all the checks, convert ``numeric`` columns and log the checksum.

    Only an empty cell counts as missing (so "n/a" or "-" is reported as a non-numeric value), and a
    numeric column may have empty cells only if it is in ``allow_missing`` (for example suppressed counts).
    """
    path = ds.full_path(data_dir)
    kwargs: dict[str, object] = {"keep_default_na": False, "na_values": [""]}
    if encoding:
        kwargs["encoding"] = encoding
    if dtype:
        base = {ds.code_column: "string"} if ds.code_column else {}
        kwargs["dtype"] = {**base, **dtype}
    frame = read_csv(ds, data_dir, **kwargs)
    if usecols is not None:
        frame = frame[list(usecols)]
    # Columns pandas already read as numbers cannot hold text; check (and convert) the others.
    to_check = [c for c in numeric if not pd.api.types.is_numeric_dtype(frame[c])]
    frame = check_numeric(path, frame, to_check)
    optional = set(allow_missing)
    for col in numeric:
        blank = frame[col].isna()
        if col not in optional and blank.any():
            raise DataError(path, "missing value", column=col, rows=[int(i) + 1 for i in frame.index[blank][:20]],
                            hint="Every area needs a value in this column")
    if log is not None:
        log.record(ds, path, len(frame))
    return frame


def check_known_codes(
    ds: Dataset,
    data_dir: Path | None,
    frame: pd.DataFrame,
    column: str,
    known: set[str],
    *,
    what: str,
    other_vintage: set[str] | None = None,
    other_name: str = "",
    require_all: bool = False,
) -> None:
    """Every code in ``column`` must be in ``known``; name a code from the other LSOA vintage as such."""
    path = ds.full_path(data_dir)
    codes = frame[column].astype("string")
    bad = ~codes.isin(known)
    if bad.any():
        rows = [int(i) + 1 for i in frame.index[bad.to_numpy()][:20]]
        example = str(codes[bad].iloc[0])
        if other_vintage is not None and example in other_vintage:
            problem = (
                f"code {example!r} is a {other_name} code, not a {what} code "
                f"(it changed between the 2011 and 2021 censuses)"
            )
            hint = "This file looks like it uses the other LSOA vintage; use the release on the expected geography"
        else:
            problem = f"unknown {what} code {example!r}"
            hint = "Check the file is the right release and geography"
        raise DataError(path, problem, column=column, rows=rows, hint=hint)
    if require_all:
        missing = known - set(codes.dropna())
        if missing:
            raise DataError(
                path,
                f"{len(missing):,} {what} area(s) are missing, for example {sorted(missing)[0]!r}",
                column=column,
                hint="The file may be truncated; download it again",
            )


def check_range(
    ds: Dataset, data_dir: Path | None, frame: pd.DataFrame, column: str, low: float, high: float
) -> None:
    path = ds.full_path(data_dir)
    values = frame[column]
    bad = values.notna() & ((values < low) | (values > high))
    if bad.any():
        rows = [int(i) + 1 for i in frame.index[bad.to_numpy()][:20]]
        raise DataError(
            path, f"value {values[bad].iloc[0]!r} is outside {low}..{high}", column=column, rows=rows
        )
