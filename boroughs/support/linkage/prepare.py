"""Reading records in the canonical person schema and preparing them for linkage: names folded, with
nickname and transliteration groups and metaphone codes; dates of birth, postcodes and identifiers
standardised; generational suffixes split off. Formats are *not* checked here."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jellyfish
import numpy as np
import pandas as pd

from boroughs.core.errors import DataError
from boroughs.support.records.names import first_name_key, fold
from boroughs.support.records.schemas import CANONICAL_COLUMNS, CANONICAL_OPTIONAL

# Read when present (an extension of the contract's schema): sex as recorded, f/m/other.
EXTRA_OPTIONAL = ("sex",)


# --------------------------------------------------------------------------------------------------------
# reading and preparing


def read_canonical(paths: Sequence[Path]) -> pd.DataFrame:
    """Read canonical-schema CSV files into one frame; errors name the file, row and field."""
    frames = []
    for path in paths:
        if not path.is_file():
            raise DataError(path, "file not found", hint="Check the --input path")
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        except UnicodeDecodeError as exc:
            from boroughs.support.records.ingest import read_table

            read_table(path)  # raises naming the row and field that are not UTF-8
            raise DataError(path, f"is not UTF-8 text (byte {exc.start})",
                            hint="Save the file as UTF-8 CSV") from None
        except pd.errors.EmptyDataError:
            raise DataError(path, "the file is empty", hint="Export the records again with a header row") from None
        frame.columns = [c.strip().lower() for c in frame.columns]
        if "source" not in frame.columns:
            frame["source"] = path.stem  # one source per file when the column is absent
        missing = [c for c in CANONICAL_COLUMNS if c not in frame.columns]
        if missing:
            raise DataError(path, f"missing column(s) {', '.join(missing)}", column=missing[0],
                            hint=f"The canonical person schema needs: {', '.join(CANONICAL_COLUMNS)}")
        if frame.empty:
            raise DataError(path, "the file has a header but no records")
        empty_id = frame["record_id"].str.strip() == ""
        if empty_id.any():
            raise DataError(path, "record_id is empty", column="record_id",
                            rows=[int(i) + 1 for i in frame.index[empty_id][:20]])
        dup = frame.duplicated(["source", "record_id"], keep="first")
        if dup.any():
            raise DataError(path, f"duplicated record id {frame.loc[dup, 'record_id'].iloc[0]!r}",
                            column="record_id", rows=[int(i) + 1 for i in frame.index[dup][:20]],
                            hint="Each (source, record_id) must be unique")
        for col in (*CANONICAL_OPTIONAL, *EXTRA_OPTIONAL):
            if col not in frame.columns:
                frame[col] = ""
        frames.append(frame[[*CANONICAL_COLUMNS, *CANONICAL_OPTIONAL, *EXTRA_OPTIONAL]])
    combined = pd.concat(frames, ignore_index=True)
    dup = combined.duplicated(["source", "record_id"], keep="first")
    if dup.any():
        first = combined.loc[dup].iloc[0]
        raise DataError(", ".join(str(p) for p in paths),
                        f"record {first['source']}/{first['record_id']} appears in more than one file",
                        column="record_id")
    return combined


def _map_unique(series: pd.Series, fn: Callable[[str], Any]) -> pd.Series:
    """Apply ``fn`` once per distinct value (names repeat a lot)."""
    uniques = series.dropna().unique()
    mapping = {u: fn(u) for u in uniques}
    return series.map(mapping)


def _blank_to_none(s: pd.Series) -> pd.Series:
    s = s.astype("string").str.strip()
    return s.mask(s == "", None)


def _metaphone(s: str) -> str | None:
    return jellyfish.metaphone(s) or None if s else None


def _norm_dob(s: str) -> str | None:
    s = s.strip()
    m = re.match(r"^(\d{4})-?(\d{2})-?(\d{2})", s)
    if m:
        return f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
    m = re.match(r"^(\d{1,2})/(\d{1,2})/(\d{4})$", s)
    if m:
        return f"{m.group(3)}-{int(m.group(2)):02d}-{int(m.group(1)):02d}"
    return None


def _norm_postcode(s: str) -> str | None:
    pc = re.sub(r"[^A-Z0-9]", "", s.upper())
    if not pc:
        return None
    if re.match(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$", pc):
        return pc[:-3] + " " + pc[-3:]
    return pc


_SUFFIXES = {"jr": "junior", "jnr": "junior", "junior": "junior", "snr": "senior", "sr": "senior",
             "senior": "senior", "ii": "ii", "iii": "iii", "iv": "iv"}


def _split_suffix(s: str) -> tuple[str | None, str | None]:
    """``("David", "junior")`` from ``"David Jr."``: a generational suffix is evidence, not part of the name."""
    words = s.replace(",", " ").replace(".", " ").split()
    kept = [w for w in words if w.lower() not in _SUFFIXES]
    found = [_SUFFIXES[w.lower()] for w in words if w.lower() in _SUFFIXES]
    if not kept:  # a name that *is* a suffix word is a name
        return s, None
    return " ".join(kept), (found[0] if found else None)


def prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """Standardise canonical records for Splink (one row per record, integer ``unique_id``)."""
    out = pd.DataFrame({"unique_id": np.arange(len(frame), dtype=np.int64)})
    out["source"] = frame["source"].astype(str).to_numpy()
    out["record_id"] = frame["record_id"].astype(str).to_numpy()
    first = _blank_to_none(frame["first_name"]).reset_index(drop=True)
    last = _blank_to_none(frame["last_name"]).reset_index(drop=True)
    # generational suffixes ("Jr", "Snr", "III") are taken out of the names into their own column
    first_split = _map_unique(first, _split_suffix)
    last_split = _map_unique(last, _split_suffix)
    first = first_split.map(lambda t: t[0] if isinstance(t, tuple) else None)
    last = last_split.map(lambda t: t[0] if isinstance(t, tuple) else None)
    out["suffix"] = [
        (a[1] if isinstance(a, tuple) and a[1] else None) or (b[1] if isinstance(b, tuple) and b[1] else None)
        for a, b in zip(first_split, last_split, strict=True)
    ]
    out["first_name"] = _map_unique(first, lambda s: fold(s) or None)
    out["last_name"] = _map_unique(last, lambda s: fold(s) or None)
    out["first_key"] = _map_unique(first, first_name_key)
    out["first_mp"] = _map_unique(out["first_name"], _metaphone)
    out["last_mp"] = _map_unique(out["last_name"], _metaphone)
    dob = _map_unique(_blank_to_none(frame["dob"]).reset_index(drop=True), _norm_dob)
    out["dob"] = dob
    out["dob_year"] = dob.str.slice(0, 4)
    pc = _map_unique(_blank_to_none(frame["postcode"]).reset_index(drop=True), _norm_postcode)
    out["postcode"] = pc
    addr = _blank_to_none(frame["address_line_1"]).reset_index(drop=True)
    out["address"] = _map_unique(addr, lambda s: re.sub(r"[^a-z0-9 ]", "", s.lower()).strip() or None)
    for col, fn in (
        ("uprn", lambda s: re.sub(r"\D", "", s).lstrip("0") or None),
        ("national_id", lambda s: re.sub(r"[^A-Z0-9]", "", s.upper()) or None),
        ("phone", lambda s: (re.sub(r"\D", "", s)[-10:] or None)),
        ("email", lambda s: s.strip().lower() or None),
    ):
        series = _blank_to_none(frame[col]).reset_index(drop=True) if col in frame else pd.Series([None] * len(frame))
        out[col] = _map_unique(series, fn)
    sex = _blank_to_none(frame["sex"]).reset_index(drop=True) if "sex" in frame else pd.Series([None] * len(frame))
    out["sex"] = _map_unique(sex, lambda s: {"f": "f", "m": "m"}.get(s.strip().lower()[:1]))
    for col in out.columns:
        if col != "unique_id":
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out
