"""ONS geography lookups: LSOA 2011 → 2021, LSOA 2021 → ward and borough, borough → region."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from boroughs.core.errors import DataError
from boroughs.inclusion.sources._base import BOROUGH, LSOA, LSOA_EW, ONS, InputLog, dataset, load

GEOPORTAL = "https://geoportal.statistics.gov.uk"

LSOA11_LSOA21 = dataset(
    "inclusion.lookup_lsoa11_lsoa21",
    "lookups/lookup_lsoa11_lsoa21_ltla22_ew.csv.gz",
    "LSOA (2011) to LSOA (2021) to Local Authority District (2022) lookup, England and Wales",
    publisher=ONS,
    url=f"{GEOPORTAL}/datasets/ons::lsoa-2011-to-lsoa-2021-to-local-authority-district-2022-lookup-for-england-and-wales",
    columns=("lsoa11_code", "change_code", "lsoa21_code", "lsoa21_name", "ltla22_code"),
    expected_rows=35795,
)
LSOA21_WARD = dataset(
    "inclusion.lookup_lsoa21_ward24",
    "lookups/lookup_lsoa21_ward24_ltla24_ew.csv.gz",
    "LSOA (2021) to electoral ward (2024) to LAD (2024) best-fit lookup, England and Wales",
    publisher=ONS,
    url=f"{GEOPORTAL}/search?q=LSOA21_WD24_LAD24_EW_LU",
    columns=("lsoa21_code", "lsoa21_name", "ward24_code", "ward24_name", "ltla24_code", "ltla24_name"),
    code_column="lsoa21_code",
    code_pattern=LSOA_EW,
    expected_rows=35672,
)
LTLA_REGION = dataset(
    "inclusion.lookup_ltla24_region24",
    "lookups/lookup_ltla24_region24_england.csv",
    "Local Authority District (2024) to region lookup, England",
    publisher=ONS,
    url=f"{GEOPORTAL}/search?q=LAD24_RGN24_EN_LU",
    columns=("ltla24_code", "ltla24_name", "region24_code", "region24_name"),
    code_column="ltla24_code",
    code_pattern=r"E0[6-9]\d{6}",
    expected_rows=296,
)

LSOA11_LTLA21 = dataset(
    "inclusion.lookup_lsoa11_ltla21",
    "lookups/lookup_lsoa11_ltla21_ew.csv.gz",
    "LSOA (2011) to Local Authority District (2021) lookup, England and Wales",
    publisher=ONS,
    url=f"{GEOPORTAL}/search?q=LSOA11_LAD21_EW_LU",
    columns=("lsoa11_code", "lsoa11_name", "ltla21_code", "ltla21_name"),
    code_column="lsoa11_code",
    code_pattern=LSOA_EW,
    expected_rows=34753,
)
LSOA11_MSOA11 = dataset(
    "inclusion.lookup_lsoa11_msoa11",
    "lookups/lookup_lsoa11_msoa11_gb.csv.gz",
    "LSOA (2011) to MSOA (2011) lookup (Great Britain; data zones to intermediate zones in Scotland)",
    publisher=ONS,
    url=f"{GEOPORTAL}/search?q=LSOA11_MSOA11_EW_LU",
    columns=("lsoa11_code", "lsoa11_name", "msoa11_code", "msoa11_name"),
    code_column="lsoa11_code",
    code_pattern=r"[EWS]0[01]\d{6}",
    expected_rows=41729,
)
RUC21 = dataset(
    "inclusion.ruc21",
    "lookups/ruc21_lsoa21_ew.csv.gz",
    "Rural-Urban Classification (2021) of LSOAs, England and Wales",
    publisher=ONS,
    url=f"{GEOPORTAL}/search?q=RUC21_LSOA21_EW",
    columns=("lsoa21_code", "ruc21_code", "classification", "ruc"),
    code_column="lsoa21_code",
    code_pattern=LSOA_EW,
    expected_rows=35672,
)
OA11_OAC = dataset(
    "inclusion.oa11_lookup_oac",
    "lookups/london_oa11_lsoa11_msoa11_lad17_oac11.csv.gz",
    "Output Area (2011) to LSOA, MSOA and LAD (2017) with the 2011 Output Area Classification, London",
    publisher=ONS,
    url=f"{GEOPORTAL}/search?q=OA11_LSOA11_MSOA11_LAD17_EW_LUv2",
    columns=("OA11CD", "OAC11CD", "OAC11NM", "LSOA11CD", "SOAC11CD", "SOAC11NM", "MSOA11CD", "LAD17CD"),
    code_column="OA11CD",
    code_pattern=r"E00\d{6}",
    expected_rows=25053,
)

CHANGE_CODES = {"U", "S", "M", "X"}
LONDON_REGION = "E12000007"


def load_lsoa11_lsoa21(data_dir: Path | None = None, log: InputLog | None = None) -> pd.DataFrame:
    """The 2011→2021 bridge: one row per (LSOA 2011, LSOA 2021) pair, with ONS's change code."""
    frame = load(LSOA11_LSOA21, data_dir, log, dtype={"lsoa11_code": "string", "lsoa21_code": "string"})
    path = LSOA11_LSOA21.full_path(data_dir)
    bad = ~frame["change_code"].isin(CHANGE_CODES)
    if bad.any():
        raise DataError(
            path,
            f"unknown change code {frame['change_code'][bad].iloc[0]!r} (expected U, S, M or X)",
            column="change_code",
            rows=[int(i) + 1 for i in frame.index[bad][:20]],
        )
    for col in ("lsoa11_code", "lsoa21_code"):
        badc = ~frame[col].fillna("").str.fullmatch(LSOA_EW)
        if badc.any():
            raise DataError(
                path,
                f"unexpected code {frame[col][badc].iloc[0]!r}",
                column=col,
                rows=[int(i) + 1 for i in frame.index[badc][:20]],
            )
    dup = frame.duplicated(["lsoa11_code", "lsoa21_code"])
    if dup.any():
        raise DataError(path, "duplicated LSOA pair", column="lsoa11_code", rows=[int(i) + 1 for i in frame.index[dup][:20]])
    return frame


def load_lsoa21_ward(data_dir: Path | None = None, log: InputLog | None = None) -> pd.DataFrame:
    """LSOA 2021 → ward 2024 → LAD 2024 (best fit), with the MSOA 2021 name derived from the LSOA name."""
    frame = load(LSOA21_WARD, data_dir, log)
    frame["msoa21_name"] = frame["lsoa21_name"].str[:-1]
    return frame


def load_ltla_region(data_dir: Path | None = None, log: InputLog | None = None) -> pd.DataFrame:
    return load(LTLA_REGION, data_dir, log)


def london_lsoa21(data_dir: Path | None = None, log: InputLog | None = None) -> pd.DataFrame:
    """The 4,994 London LSOAs (2021) with ward, MSOA name and borough."""
    ward = load_lsoa21_ward(data_dir, log)
    return ward[ward["ltla24_code"].str.fullmatch(BOROUGH)].reset_index(drop=True)


def england_lsoa21(data_dir: Path | None = None, log: InputLog | None = None) -> pd.DataFrame:
    """The 33,755 English LSOAs (2021), with region."""
    ward = load_lsoa21_ward(data_dir, log)
    ward = ward[ward["lsoa21_code"].str.fullmatch(LSOA)].reset_index(drop=True)
    region = load_ltla_region(data_dir, log)[["ltla24_code", "region24_code", "region24_name"]]
    return ward.merge(region, on="ltla24_code", how="left", validate="many_to_one")


def load_lsoa11_ltla21(data_dir: Path | None = None, log: InputLog | None = None) -> pd.DataFrame:
    return load(LSOA11_LTLA21, data_dir, log)


def load_lsoa11_msoa11(data_dir: Path | None = None, log: InputLog | None = None) -> pd.DataFrame:
    return load(LSOA11_MSOA11, data_dir, log)


def load_ruc21(data_dir: Path | None = None, log: InputLog | None = None) -> pd.DataFrame:
    """2021 Rural-Urban Classification (all of London is urban; used to describe England mode)."""
    return load(RUC21, data_dir, log)


def load_oa11_oac(data_dir: Path | None = None, log: InputLog | None = None) -> pd.DataFrame:
    """London output areas (2011) with their LSOA, MSOA and the 2011 Output Area Classification."""
    return load(OA11_OAC, data_dir, log)
