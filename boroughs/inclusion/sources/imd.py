"""English Indices of Deprivation: IoD2025 (LSOA 2021) and IoD2019 (LSOA 2011), with indicators."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from boroughs.inclusion.sources._base import (
    ENGLAND_LSOA11,
    ENGLAND_LSOA21,
    LONDON_LSOA11,
    LONDON_LSOA21,
    LSOA,
    MHCLG,
    InputLog,
    check_known_codes,
    dataset,
    load,
)

IOD2025_URL = "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2025"
IOD2019_URL = "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019"

DOMAINS_2025 = ("IMD", "Income", "Employment", "Education", "Health", "Crime", "Housing_and_Services", "Environment")
SCORE_COLS_2025 = tuple(f"{d}_score" for d in DOMAINS_2025)

IMD2025_LONDON = dataset(
    "inclusion.imd2025_london",
    "imd2025/imd2025_london_lsoa21.csv",
    "English Indices of Deprivation 2025: scores, ranks, deciles and selected indicators, London LSOA 2021",
    publisher=MHCLG,
    url=IOD2025_URL,
    columns=(
        "lsoa21_code",
        *SCORE_COLS_2025,
        "IMD_rank",
        "income_deprivation_affecting_older_people_index_idaopi_numerator",
        "adult_skills_and_english_language_proficiency_indicator",
        "digital_connectivity_broadband_download_and_upload_speeds",
    ),
    code_column="lsoa21_code",
    code_pattern=LSOA,
    expected_rows=LONDON_LSOA21,
)
IOD2025_SCORES = dataset(
    "inclusion.iod2025_scores",
    "imd2025/iod2025_scores_ranks_deciles_england.csv.gz",
    "English Indices of Deprivation 2025: scores, ranks and deciles, England LSOA 2021",
    publisher=MHCLG,
    url=IOD2025_URL,
    columns=("lsoa21_code", *SCORE_COLS_2025, "IMD_rank"),
    code_column="lsoa21_code",
    code_pattern=LSOA,
    expected_rows=ENGLAND_LSOA21,
)
INDICATORS_2025 = (
    "income_domain_numerator",
    "income_deprivation_affecting_older_people_index_idaopi_numerator",
    "employment_domain_numerator",
    "adult_skills_and_english_language_proficiency_indicator",
    "comparative_illness_and_disability_ratio_indicator",
    "mental_health_indicator",
    "connectivity_score",
    "digital_connectivity_broadband_download_and_upload_speeds",
    "household_overcrowding_indicator_rooms",
    "patient_to_gp_ratio",
)
IOD2025_INDICATORS = dataset(
    "inclusion.iod2025_indicators",
    "imd2025/iod2025_underlying_indicators_england.csv.gz",
    "English Indices of Deprivation 2025: underlying indicators, England LSOA 2021",
    publisher=MHCLG,
    url=IOD2025_URL,
    columns=("lsoa21_code", *INDICATORS_2025),
    code_column="lsoa21_code",
    code_pattern=LSOA,
    expected_rows=ENGLAND_LSOA21,
)
# Counts the publisher suppresses (blank) for small numbers, and rates derived from them.
SUPPRESSED = (
    "income_domain_numerator",
    "employment_domain_numerator",
    "income_deprivation_affecting_older_people_index_idaopi_numerator",
    "idaopi_rate_derived",
)
SUBDOMAINS_2025 = (
    "adult_skills_score", "geographical_barriers_score", "wider_barriers_score", "indoors_score", "outdoors_score"
)
IOD2025_SUBDOMAINS = dataset(
    "inclusion.iod2025_subdomains",
    "imd2025/iod2025_subdomains_england.csv.gz",
    "English Indices of Deprivation 2025: sub-domain scores, England LSOA 2021",
    publisher=MHCLG,
    url=IOD2025_URL,
    columns=("lsoa21_code", *SUBDOMAINS_2025),
    code_column="lsoa21_code",
    code_pattern=LSOA,
    expected_rows=ENGLAND_LSOA21,
)

COLS_2019 = (
    "lsoa11_code",
    "lad19_code",
    "imd_score",
    "income_score_pct",
    "employment_score_pct",
    "pop_total_mid2015",
    "pop_60plus_mid2015",
    "adult_skills_and_english_language_proficiency_indicator",
    "comparative_illness_and_disability_ratio_indicator",
    "income_deprivation_affecting_older_people_index_idaopi_numerator",
    "idaopi_rate_derived",
)
IMD2019_LONDON = dataset(
    "inclusion.imd2019_london",
    "imd2019/imd2019_london_lsoa11.csv",
    "English Indices of Deprivation 2019: scores, ranks and indicators, London LSOA 2011",
    publisher=MHCLG,
    url=IOD2019_URL,
    columns=COLS_2019,
    code_column="lsoa11_code",
    code_pattern=LSOA,
    expected_rows=LONDON_LSOA11,
)
IOD2019_SCORES = dataset(
    "inclusion.iod2019_scores",
    "imd2019/iod2019_imd_income_employment_scores_england.csv.gz",
    "English Indices of Deprivation 2019: IMD, income and employment scores, England LSOA 2011",
    publisher=MHCLG,
    url=IOD2019_URL,
    columns=("lsoa11_code", "imd_score", "income_score_pct", "employment_score_pct"),
    code_column="lsoa11_code",
    code_pattern=LSOA,
    expected_rows=ENGLAND_LSOA11,
)
IOD2019_INDICATORS = dataset(
    "inclusion.iod2019_indicators",
    "imd2019/iod2019_underlying_indicators_england.csv.gz",
    "English Indices of Deprivation 2019: underlying indicators, England LSOA 2011",
    publisher=MHCLG,
    url=IOD2019_URL,
    columns=("lsoa11_code", "adult_skills_and_english_language_proficiency_indicator"),
    code_column="lsoa11_code",
    code_pattern=LSOA,
    expected_rows=ENGLAND_LSOA11,
)


def load_imd2025_london(
    data_dir: Path | None = None,
    log: InputLog | None = None,
    *,
    known21: set[str] | None = None,
    known11: set[str] | None = None,
) -> pd.DataFrame:
    """IoD2025 scores and the London selection of indicators, London LSOA 2021."""
    numeric = [c for c in IMD2025_LONDON.columns if c != "lsoa21_code"]
    frame = load(IMD2025_LONDON, data_dir, log, numeric=numeric, allow_missing=SUPPRESSED)
    if known21 is not None:
        check_known_codes(IMD2025_LONDON, data_dir, frame, "lsoa21_code", known21, what="LSOA 2021",
                          other_vintage=known11, other_name="LSOA 2011", require_all=True)
    return frame[["lsoa21_code", *numeric]]


def load_iod2025_england(
    data_dir: Path | None = None, log: InputLog | None = None
) -> pd.DataFrame:
    """IoD2025 scores, indicators and sub-domains for all 33,755 English LSOAs (2021)."""
    scores = load(IOD2025_SCORES, data_dir, log, numeric=[*SCORE_COLS_2025, "IMD_rank"])
    ind = load(IOD2025_INDICATORS, data_dir, log, numeric=INDICATORS_2025, allow_missing=SUPPRESSED)
    sub = load(IOD2025_SUBDOMAINS, data_dir, log, numeric=SUBDOMAINS_2025)
    out = scores[["lsoa21_code", *SCORE_COLS_2025, "IMD_rank"]]
    out = out.merge(ind[["lsoa21_code", *INDICATORS_2025]], on="lsoa21_code", validate="one_to_one")
    return out.merge(sub[["lsoa21_code", *SUBDOMAINS_2025]], on="lsoa21_code", validate="one_to_one")


def load_iod2025_extra(data_dir: Path | None = None, log: InputLog | None = None) -> pd.DataFrame:
    """Indicators and sub-domains not in the London table (read from the England files)."""
    ind = load(IOD2025_INDICATORS, data_dir, log, numeric=INDICATORS_2025, allow_missing=SUPPRESSED)
    sub = load(IOD2025_SUBDOMAINS, data_dir, log, numeric=SUBDOMAINS_2025)
    return ind[["lsoa21_code", *INDICATORS_2025]].merge(
        sub[["lsoa21_code", *SUBDOMAINS_2025]], on="lsoa21_code", validate="one_to_one"
    )


def load_imd2019_london(
    data_dir: Path | None = None, log: InputLog | None = None, *, known11: set[str] | None = None
) -> pd.DataFrame:
    """IoD2019 scores and indicators, London LSOA 2011."""
    numeric = [c for c in COLS_2019 if c not in ("lsoa11_code", "lad19_code")]
    frame = load(IMD2019_LONDON, data_dir, log, numeric=numeric, allow_missing=SUPPRESSED)
    if known11 is not None:
        check_known_codes(IMD2019_LONDON, data_dir, frame, "lsoa11_code", known11, what="LSOA 2011", require_all=True)
    return frame[list(COLS_2019)]


def load_imd2019_england(data_dir: Path | None = None, log: InputLog | None = None) -> pd.DataFrame:
    """IoD2019 IMD score, England LSOA 2011."""
    return load(IOD2019_SCORES, data_dir, log, numeric=["imd_score", "income_score_pct", "employment_score_pct"])

FILE6_POP = "Total population: mid 2015 (excluding prisoners)"
IOD2019_POPULATION = dataset(
    "inclusion.iod2019_population",
    "imd2019/iod2019_file6_population_denominators_england.csv.gz",
    "English Indices of Deprivation 2019: File 6 population denominators, England LSOA 2011",
    publisher=MHCLG,
    url=IOD2019_URL,
    columns=("LSOA code (2011)", FILE6_POP),
    code_column="LSOA code (2011)",
    code_pattern=LSOA,
    expected_rows=ENGLAND_LSOA11,
)


def load_population_2015_england(data_dir: Path | None = None, log: InputLog | None = None) -> pd.DataFrame:
    """Mid-2015 population by England LSOA 2011 (weights for merging 2011 areas)."""
    frame = load(IOD2019_POPULATION, data_dir, log, numeric=[FILE6_POP])
    return frame.rename(columns={"LSOA code (2011)": "lsoa11_code", FILE6_POP: "pop_2015"})[
        ["lsoa11_code", "pop_2015"]
    ]


IOD2019_DOMAINS = dataset(
    "inclusion.iod2019_domains",
    "imd2019/iod2019_file2_domains_ranks_deciles_england.csv.gz",
    "English Indices of Deprivation 2019: File 2, domain ranks and deciles, England LSOA 2011",
    publisher=MHCLG,
    url=IOD2019_URL,
    columns=("LSOA code (2011)", "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)"),
    code_column="LSOA code (2011)",
    code_pattern=LSOA,
    expected_rows=ENGLAND_LSOA11,
)
IOD2019_SUBDOMAINS = dataset(
    "inclusion.iod2019_subdomains",
    "imd2019/iod2019_subdomains_ranks_deciles_england.csv.gz",
    "English Indices of Deprivation 2019: sub-domain ranks and deciles, England LSOA 2011",
    publisher=MHCLG,
    url=IOD2019_URL,
    columns=("lsoa11_code", "Adult_skills_rank", "Geographical_barriers_rank", "Wider_barriers_rank"),
    code_column="lsoa11_code",
    code_pattern=LSOA,
    expected_rows=ENGLAND_LSOA11,
)


def load_iod2019_domains(data_dir: Path | None = None, log: InputLog | None = None) -> pd.DataFrame:
    """IoD2019 domain ranks and deciles (File 2), England LSOA 2011."""
    rank = "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)"
    return load(IOD2019_DOMAINS, data_dir, log, numeric=[rank])


def load_iod2019_subdomains(data_dir: Path | None = None, log: InputLog | None = None) -> pd.DataFrame:
    """IoD2019 sub-domain ranks and deciles, England LSOA 2011."""
    return load(IOD2019_SUBDOMAINS, data_dir, log,
                numeric=["Adult_skills_rank", "Geographical_barriers_rank", "Wider_barriers_rank"])


def load_iod2019_indicators(data_dir: Path | None = None, log: InputLog | None = None) -> pd.DataFrame:
    """IoD2019 underlying indicators (File 8), England LSOA 2011."""
    return load(IOD2019_INDICATORS, data_dir, log,
                numeric=["adult_skills_and_english_language_proficiency_indicator"])
