"""GMCA Digital Exclusion Risk Index v1.6 (nation-level scores), a reference index for validation."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from boroughs.inclusion.sources._base import (
    ENGLAND_LSOA11,
    LONDON_LSOA11,
    LSOA,
    InputLog,
    check_known_codes,
    dataset,
    load,
)

GMCA = "Greater Manchester Combined Authority (Greater Manchester Office of Data Analytics)"
URL = "https://github.com/GreaterManchesterODA/Digital-Exclusion-Risk-Index"
COLS = (
    "lsoa11_code",
    "broadband_comp_national",
    "demography_comp_national",
    "deprivation_comp_national",
    "deri_score_national",
)
DERI_LONDON = dataset(
    "inclusion.deri_london",
    "deri/deri_v1_6_depahri_national_london_lsoa11.csv",
    "Digital Exclusion Risk Index v1.6, nation-level scores, London LSOA 2011",
    publisher=GMCA,
    url=URL,
    columns=COLS,
    code_column="lsoa11_code",
    code_pattern=LSOA,
    expected_rows=LONDON_LSOA11,
)
DERI_ENGLAND = dataset(
    "inclusion.deri_england",
    "deri/deri_v1_6_depahri_national_england_lsoa11.csv.gz",
    "Digital Exclusion Risk Index v1.6, nation-level scores, England LSOA 2011",
    publisher=GMCA,
    url=URL,
    columns=COLS,
    code_column="lsoa11_code",
    code_pattern=LSOA,
    expected_rows=ENGLAND_LSOA11,
)


def load_deri(
    data_dir: Path | None = None,
    log: InputLog | None = None,
    *,
    england: bool = False,
    known11: set[str] | None = None,
) -> pd.DataFrame:
    ds = DERI_ENGLAND if england else DERI_LONDON
    frame = load(ds, data_dir, log, numeric=COLS[1:])
    if known11 is not None:
        check_known_codes(ds, data_dir, frame, "lsoa11_code", known11, what="LSOA 2011")
    return frame[list(COLS)]


SOURCES_V16 = dataset(
    "inclusion.deri_sources_v1_6",
    "deri/deri_data_sources_v1_6.csv",
    "DERI v1.6 data sources (indicator, dataset, date, publisher, URL)",
    publisher=GMCA,
    url=URL,
    columns=("Indicator", "Dataset source", "Organisation", "Source URL"),
    expected_rows=15,
)
SOURCES_V20 = dataset(
    "inclusion.deri_sources_v2_0",
    "deri/deri_indicator_data_sources_v2_0.csv",
    "DERI v2.0 (in development) indicator data sources",
    publisher=GMCA,
    url=URL,
    columns=("Indicator name", "Dataset name", "Data producer", "URL link"),
    expected_rows=8,
)


def load_deri_sources(version: str = "1.6", data_dir: Path | None = None, log: InputLog | None = None) -> pd.DataFrame:
    """GMCA's list of the data behind DERI (documentation: what DERI is built from)."""
    ds = SOURCES_V16 if version == "1.6" else SOURCES_V20
    return load(ds, data_dir, log, encoding="utf-8-sig")
