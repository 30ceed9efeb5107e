"""Census 2021 tables (ONS, via Nomis): age, disability, ethnic group, tenure, accommodation, household
deprivation (London LSOA 2021) and proficiency in English (London MSOA 2021)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from boroughs.core.datasets import Dataset
from boroughs.inclusion.sources._base import (
    ENGLAND_LSOA21,
    LONDON_LSOA21,
    LSOA,
    LSOA_EW,
    MSOA,
    ONS,
    InputLog,
    check_known_codes,
    dataset,
    load,
)

NOMIS = "https://www.nomisweb.co.uk/sources/census_2021_bulk"

AGE_COLUMNS = (
    "lsoa21_code",
    "total_residents",
    "aged_65",
    "aged_66_69",
    "aged_70_74",
    "aged_75_79",
    "aged_80_84",
    "aged_85_plus",
    "aged_65_plus",
    "aged_75_plus",
)
AGE_LONDON = dataset(
    "inclusion.census_age_london",
    "census2021/rm121_age65plus_london_lsoa21.csv",
    "Census 2021 RM121 sex by age (65 and over), London LSOA 2021",
    publisher=ONS,
    url="https://www.nomisweb.co.uk/datasets/c2021rm121",
    columns=AGE_COLUMNS,
    code_column="lsoa21_code",
    code_pattern=LSOA,
    expected_rows=LONDON_LSOA21,
)
AGE_EW = dataset(
    "inclusion.census_age_ew",
    "census2021/rm121_age65plus_lsoa21_ew.csv.gz",
    "Census 2021 RM121 sex by age (65 and over), England and Wales LSOA 2021",
    publisher=ONS,
    url="https://www.nomisweb.co.uk/datasets/c2021rm121",
    columns=AGE_COLUMNS,
    code_column="lsoa21_code",
    code_pattern=LSOA_EW,
    expected_rows=35672,
)
DISABILITY = dataset(
    "inclusion.census_disability",
    "census2021/ts038_disability_london_lsoa21.csv",
    "Census 2021 TS038 disability, London LSOA 2021",
    publisher=ONS,
    url=f"{NOMIS}/census2021-ts038.zip",
    columns=("lsoa21_code", "total_residents", "Disabled under the Equality Act", "Not disabled under the Equality Act"),
    code_column="lsoa21_code",
    code_pattern=LSOA,
    expected_rows=LONDON_LSOA21,
)
ETHNICITY_COLS = (
    "lsoa21_code",
    "total_residents",
    "Asian, Asian British or Asian Welsh",
    "Black, Black British, Black Welsh, Caribbean or African",
    "Mixed or Multiple ethnic groups",
    "Other ethnic group",
    "White",
)
ETHNICITY = dataset(
    "inclusion.census_ethnicity",
    "census2021/ts021_ethnic_group_london_lsoa21.csv",
    "Census 2021 TS021 ethnic group, London LSOA 2021",
    publisher=ONS,
    url=f"{NOMIS}/census2021-ts021.zip",
    columns=ETHNICITY_COLS,
    code_column="lsoa21_code",
    code_pattern=LSOA,
    expected_rows=LONDON_LSOA21,
)
TENURE_COLS = (
    "lsoa21_code",
    "total_households",
    "Lives rent free",
    "Owned: Owns outright",
    "Owned: Owns with a mortgage or loan",
    "Private rented: Other private rented",
    "Private rented: Private landlord or letting agency",
    "Shared ownership: Shared ownership",
    "Social rented: Other social rented",
    "Social rented: Rents from council or Local Authority",
)
TENURE = dataset(
    "inclusion.census_tenure",
    "census2021/ts054_tenure_london_lsoa21.csv",
    "Census 2021 TS054 tenure, London LSOA 2021",
    publisher=ONS,
    url=f"{NOMIS}/census2021-ts054.zip",
    columns=TENURE_COLS,
    code_column="lsoa21_code",
    code_pattern=LSOA,
    expected_rows=LONDON_LSOA21,
)
ACCOMMODATION_COLS = (
    "lsoa21_code",
    "total_households",
    "A caravan or other mobile or temporary structure",
    "Detached",
    "In a commercial building, for example, in an office building, hotel or over a shop",
    "In a purpose-built block of flats or tenement",
    "Part of a converted or shared house, including bedsits",
    "Part of another converted building, for example, former school, church or warehouse",
    "Semi-detached",
    "Terraced",
)
ACCOMMODATION = dataset(
    "inclusion.census_accommodation",
    "census2021/ts044_accommodation_type_london_lsoa21.csv",
    "Census 2021 TS044 accommodation type, London LSOA 2021",
    publisher=ONS,
    url=f"{NOMIS}/census2021-ts044.zip",
    columns=ACCOMMODATION_COLS,
    code_column="lsoa21_code",
    code_pattern=LSOA,
    expected_rows=LONDON_LSOA21,
)
DEPRIVATION_COLS = (
    "lsoa21_code",
    "total_households",
    "Household is deprived in four dimensions",
    "Household is deprived in one dimension",
    "Household is deprived in three dimensions",
    "Household is deprived in two dimensions",
    "Household is not deprived in any dimension",
)
HOUSEHOLD_DEPRIVATION = dataset(
    "inclusion.census_household_deprivation",
    "census2021/ts011_household_deprivation_london_lsoa21.csv",
    "Census 2021 TS011 households by deprivation dimensions, London LSOA 2021",
    publisher=ONS,
    url=f"{NOMIS}/census2021-ts011.zip",
    columns=DEPRIVATION_COLS,
    code_column="lsoa21_code",
    code_pattern=LSOA,
    expected_rows=LONDON_LSOA21,
)
ENGLISH_COLS = (
    "msoa21_code",
    "Main language is English (English or Welsh in Wales)",
    "Main language is not English (English or Welsh in Wales)",
    "Main language is not English (English or Welsh in Wales): Can speak English very well",
    "Main language is not English (English or Welsh in Wales): Can speak English well",
    "Main language is not English (English or Welsh in Wales): Cannot speak English well",
    "Main language is not English (English or Welsh in Wales): Cannot speak English",
)
ENGLISH = dataset(
    "inclusion.census_english_msoa",
    "census2021/ts029_english_proficiency_london_msoa21.csv",
    "Census 2021 TS029 proficiency in English, London MSOA 2021",
    publisher=ONS,
    url=f"{NOMIS}/census2021-ts029.zip",
    columns=ENGLISH_COLS,
    code_column="msoa21_code",
    code_pattern=MSOA,
    expected_rows=1002,
)

LONDON_TABLES = {
    "disability": DISABILITY,
    "ethnicity": ETHNICITY,
    "tenure": TENURE,
    "accommodation": ACCOMMODATION,
    "household_deprivation": HOUSEHOLD_DEPRIVATION,
}


def _checked(ds, data_dir, log, known21, known11):  # type: ignore[no-untyped-def]
    frame = load(ds, data_dir, log, numeric=[c for c in ds.columns if c != ds.code_column])
    _check_known(ds, data_dir, frame, known21, known11)
    return frame


def _check_known(ds: Dataset, data_dir: Path | None, frame: pd.DataFrame, known21: set[str] | None,
                 known11: set[str] | None) -> None:
    """Every LSOA 2021 of ``known21`` is there, and no other (an LSOA 2011 code is named as such)."""
    if known21 is not None:
        check_known_codes(
            ds, data_dir, frame, "lsoa21_code", known21, what="LSOA 2021", other_vintage=known11,
            other_name="LSOA 2011", require_all=True,
        )


def load_age(
    data_dir: Path | None = None,
    log: InputLog | None = None,
    *,
    known21: set[str] | None = None,
    known11: set[str] | None = None,
) -> pd.DataFrame:
    """Census 2021 age 65+ counts for London LSOAs (2021)."""
    frame: pd.DataFrame = _checked(AGE_LONDON, data_dir, log, known21, known11)
    return frame


def load_age_england(
    data_dir: Path | None = None,
    log: InputLog | None = None,
    *,
    known21: set[str] | None = None,
    known11: set[str] | None = None,
) -> pd.DataFrame:
    """Census 2021 age 65+ counts for England LSOAs (2021): the E&W file without Wales."""
    frame = load(AGE_EW, data_dir, log, numeric=[c for c in AGE_COLUMNS if c != "lsoa21_code"])
    frame = frame[frame["lsoa21_code"].str.startswith("E")].reset_index(drop=True)
    _check_known(AGE_EW, data_dir, frame, known21, known11)
    if len(frame) != ENGLAND_LSOA21:  # pragma: no cover - guarded by the row count above
        raise ValueError("unexpected number of English LSOAs")
    return frame


def load_table(
    name: str,
    data_dir: Path | None = None,
    log: InputLog | None = None,
    *,
    known21: set[str] | None = None,
    known11: set[str] | None = None,
) -> pd.DataFrame:
    """One of the London LSOA 2021 census tables by short name (see ``LONDON_TABLES``)."""
    frame: pd.DataFrame = _checked(LONDON_TABLES[name], data_dir, log, known21, known11)
    return frame


def load_english(data_dir: Path | None = None, log: InputLog | None = None) -> pd.DataFrame:
    """Proficiency in English by London MSOA 2021 (usual residents aged 3 and over)."""
    return load(ENGLISH, data_dir, log, numeric=ENGLISH_COLS[1:])
