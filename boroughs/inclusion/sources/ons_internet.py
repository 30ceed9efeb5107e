"""ONS *Internet users, UK: 2020* (Labour Force Survey) and *Internet access – households and individuals,
GB: 2020*: national rates of internet non-use by age and disability, and London sub-region (NUTS3) totals
with 95% confidence intervals, used to estimate and calibrate the number of residents offline."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from boroughs.core.datasets import Dataset, require_file
from boroughs.core.errors import DataError
from boroughs.inclusion.sources._base import ONS, InputLog, dataset

USERS = dataset(
    "inclusion.ons_internet_users_2020",
    "ons_internet_users/internetusers2020.xlsx",
    "Internet users, UK: 2020 (reference tables)",
    publisher=ONS,
    url=(
        "https://www.ons.gov.uk/file?uri=/businessindustryandtrade/itandinternetindustry/datasets/"
        "internetusers/current/internetusers2020.xlsx"
    ),
)
ACCESS = dataset(
    "inclusion.ons_internet_access_2020",
    "ons_internet_users/internetaccesspublicationtables2020final1.xlsx",
    "Internet access – households and individuals, Great Britain: 2020 (reference tables)",
    publisher=ONS,
    url=(
        "https://www.ons.gov.uk/peoplepopulationandcommunity/householdcharacteristics/"
        "homeinternetandsocialmediausage/datasets/internetaccesshouseholdsandindividualsreferencetables"
    ),
)

AGE_LABELS = {"16-24": "16_24", "25-34": "25_34", "35-44": "35_44", "45-54": "45_54", "55-64": "55_64",
              "65-74": "65_74", "75+": "75_plus"}
YEAR = 2020


@dataclass(frozen=True)
class InternetUseTables:
    """What the estimates need from the ONS workbook (2020, adults 16+)."""

    #: per age band: % not used in the last 3 months, for disabled and not disabled adults
    offline_pct: pd.DataFrame  # index: age band; columns: disabled, not_disabled
    #: per age band: share of adults who are Equality Act disabled (from the thousands table)
    disabled_share: pd.DataFrame  # index: age band; column: disabled_share
    #: London NUTS3 sub-regions: offline adults (thousands) with 95% interval
    nuts3: pd.DataFrame  # columns: nuts3_code, nuts3_name, lower, estimate, upper
    #: London (NUTS1 UKI) offline adults (thousands) with 95% interval
    london: tuple[float, float, float]


def _workbook(ds: Dataset, data_dir: Path | None) -> Any:
    import openpyxl

    path = require_file(ds, data_dir)
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a bad file
        raise DataError(path, f"the workbook cannot be opened ({exc})", hint="Download it again") from exc


def _sheet(ds: Dataset, data_dir: Path | None, wb: Any, name: str) -> list[tuple[Any, ...]]:
    if name not in wb.sheetnames:
        raise DataError(ds.full_path(data_dir), f"sheet {name!r} not found (sheets: {', '.join(wb.sheetnames)})",
                        hint="The workbook may be a different release")
    return [tuple(r) for r in wb[name].iter_rows(values_only=True)]


def _number(ds: Dataset, data_dir: Path | None, sheet: str, row: int, col: int, value: Any) -> float:
    if value in ("-", "..", "*"):
        return 0.0
    if isinstance(value, int | float):
        return float(value)
    raise DataError(ds.full_path(data_dir), f"non-numeric value {value!r} in sheet {sheet!r}",
                    column=f"column {col + 1}", rows=[row + 1])


def _age_disability(ds: Dataset, data_dir: Path | None, rows: list[tuple[Any, ...]], sheet: str) -> pd.DataFrame:
    """Parse table 3a/3b: the 2020 'Used in the last 3 months' column for each age × disability row."""
    head_cat = next((i for i, r in enumerate(rows) if "Used in the last 3 months" in r), None)
    if head_cat is None:
        raise DataError(ds.full_path(data_dir), f"sheet {sheet!r} has no 'Used in the last 3 months' header")
    start = rows[head_cat].index("Used in the last 3 months")
    years = rows[head_cat + 1]
    try:
        col = next(j for j in range(start, len(years)) if years[j] == YEAR)
    except StopIteration:
        raise DataError(ds.full_path(data_dir), f"sheet {sheet!r} has no {YEAR} column") from None
    out: dict[str, dict[str, float]] = {}
    age: str | None = None
    for i in range(head_cat + 2, len(rows)):
        r = rows[i]
        if r[0] is not None and str(r[0]).strip() in AGE_LABELS:
            age = AGE_LABELS[str(r[0]).strip()]
        elif r[0] is not None:
            age = None
        if age is None or r[1] is None:
            continue
        label = str(r[1])
        kind = "not_disabled" if label.startswith("Not") else "disabled"
        out.setdefault(age, {})[kind] = _number(ds, data_dir, sheet, i, col, r[col])
    missing = [a for a in AGE_LABELS.values() if a not in out or len(out[a]) != 2]
    if missing:
        raise DataError(ds.full_path(data_dir), f"sheet {sheet!r} lacks age band(s) {', '.join(missing)}")
    return pd.DataFrame.from_dict(out, orient="index").loc[list(AGE_LABELS.values())]


def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", name.replace("&", "and").replace(",", " ")).strip().lower()


def load_internet_use(data_dir: Path | None = None, log: InputLog | None = None) -> InternetUseTables:
    """Parse tables 3a, 3b and 9a of *Internet users, UK: 2020*, checking headers and values."""
    wb = _workbook(USERS, data_dir)
    try:
        pct = _age_disability(USERS, data_dir, _sheet(USERS, data_dir, wb, "3b"), "3b")
        thousands = _age_disability(USERS, data_dir, _sheet(USERS, data_dir, wb, "3a"), "3a")
        rows9 = _sheet(USERS, data_dir, wb, "9a")
    finally:
        wb.close()
    bad = (pct < 0) | (pct > 100)
    if bad.to_numpy().any():
        raise DataError(USERS.full_path(data_dir), "a percentage in sheet '3b' is outside 0..100")
    offline = 100.0 - pct
    # Share of adults disabled in each age band, from users in the last 3 months ÷ their rate
    # (table 3a gives thousands of recent users; dividing by the recent-use rate gives all adults).
    all_adults = thousands / (pct / 100.0)
    disabled_share = pd.DataFrame(
        {"disabled_share": all_adults["disabled"] / (all_adults["disabled"] + all_adults["not_disabled"])}
    )
    nuts: list[dict[str, object]] = []
    london: tuple[float, float, float] | None = None
    for i, r in enumerate(rows9):
        for off in range(len(r) - 4):
            code = r[off]
            if isinstance(code, str) and re.fullmatch(r"UKI\d{0,2}", code.strip()):
                lo, est, hi = (_number(USERS, data_dir, "9a", i, off + k, r[off + k]) for k in (2, 3, 4))
                if code.strip() == "UKI":
                    london = (lo, est, hi)
                elif len(code.strip()) == 5:
                    nuts.append({"nuts3_code": code.strip(), "nuts3_name": str(r[off + 1]), "lower": lo,
                                 "estimate": est, "upper": hi})
    if london is None or len(nuts) != 21:
        raise DataError(USERS.full_path(data_dir),
                        f"sheet '9a' should list London (UKI) and its 21 sub-regions; found {len(nuts)}")
    if log is not None:
        log.record(USERS, USERS.full_path(data_dir), len(nuts))
    return InternetUseTables(offline, disabled_share, pd.DataFrame(nuts), london)


def nuts3_for_boroughs(nuts3: pd.DataFrame, boroughs: pd.DataFrame) -> pd.DataFrame:
    """Match each borough (``ltla24_code``, ``ltla24_name``) to the London NUTS3 sub-region named after it."""
    rows = []
    for code, name in boroughs[["ltla24_code", "ltla24_name"]].drop_duplicates().itertuples(index=False):
        hits = [n for n in nuts3.itertuples(index=False) if _norm(str(name)) in _norm(str(n.nuts3_name))]
        if len(hits) != 1:
            raise DataError(USERS.path, f"borough {name!r} matches {len(hits)} London sub-regions in sheet '9a'")
        rows.append({"ltla24_code": code, "nuts3_code": hits[0].nuts3_code, "nuts3_name": hits[0].nuts3_name})
    return pd.DataFrame(rows)


def check_access_workbook(data_dir: Path | None = None, log: InputLog | None = None) -> list[str]:
    """Open the *Internet access 2020* workbook and return its sheet names (documented context only)."""
    wb = _workbook(ACCESS, data_dir)
    try:
        names = list(wb.sheetnames)
    finally:
        wb.close()
    if log is not None:
        log.record(ACCESS, ACCESS.full_path(data_dir), len(names))
    return names


def record_access_workbook(data_dir: Path | None = None, log: InputLog | None = None) -> None:
    """Check the *Internet access 2020* workbook is there and record its checksum (context for the docs)."""
    path = require_file(ACCESS, data_dir)
    if log is not None:
        log.record(ACCESS, path, 0)
