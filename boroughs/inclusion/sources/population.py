"""ONS mid-2020 population estimates by single year of age, London LSOA 2011."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from boroughs.inclusion.sources._base import (
    LONDON_LSOA11,
    LSOA,
    ONS,
    InputLog,
    check_known_codes,
    dataset,
    load,
)

AGES = (*tuple(str(a) for a in range(90)), "90+")

POPULATION = dataset(
    "inclusion.population_mid2020",
    "population_mid2020/population_mid2020_syoa_london_lsoa11.csv",
    "Mid-2020 population estimates by single year of age, London LSOA 2011 (SAPE23DT2)",
    publisher=ONS,
    url=(
        "https://www.ons.gov.uk/peoplepopulationandcommunity/populationandmigration/populationestimates/"
        "datasets/lowersuperoutputareamidyearpopulationestimates"
    ),
    columns=("lsoa11_code", "total_population", *AGES),
    code_column="lsoa11_code",
    code_pattern=LSOA,
    expected_rows=LONDON_LSOA11,
)

BANDS = {
    "16_24": (16, 24),
    "25_34": (25, 34),
    "35_44": (35, 44),
    "45_54": (45, 54),
    "55_64": (55, 64),
    "65_74": (65, 74),
    "75_plus": (75, 200),
}


def load_population(
    data_dir: Path | None = None, log: InputLog | None = None, *, known11: set[str] | None = None
) -> pd.DataFrame:
    """Population by the ONS internet-use age bands (16–24 … 75+), London LSOA 2011."""
    frame = load(POPULATION, data_dir, log, numeric=["total_population", *AGES])
    if known11 is not None:
        check_known_codes(POPULATION, data_dir, frame, "lsoa11_code", known11, what="LSOA 2011", require_all=True)
    ages = frame[list(AGES)].to_numpy(dtype=float)
    out = pd.DataFrame({"lsoa11_code": frame["lsoa11_code"], "pop_total_2020": frame["total_population"]})
    for name, (lo, hi) in BANDS.items():
        out[f"pop_{name}_2020"] = ages[:, lo : min(hi, 90) + 1].sum(axis=1)
    out["pop_0_15_2020"] = ages[:, :16].sum(axis=1)
    return out
