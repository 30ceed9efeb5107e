"""ONS generalised boundaries (London) for the map layer and the MSOA name → code bridge."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from boroughs.core.datasets import Dataset, check_codes, check_columns, require_file
from boroughs.core.errors import DataError
from boroughs.inclusion.sources._base import LONDON_LSOA21, LSOA, MSOA, ONS, InputLog, dataset

GEOPORTAL = "https://geoportal.statistics.gov.uk"

LSOA21 = dataset(
    "inclusion.boundaries_lsoa21",
    "boundaries/london_lsoa21.geojson",
    "LSOA (December 2021) boundaries, super-generalised (BSC), London",
    publisher=ONS + " (contains OS data © Crown copyright and database right)",
    url=f"{GEOPORTAL}/search?q=Lower_Layer_Super_Output_Areas_December_2021_Boundaries_EW_BSC_V4",
    columns=("lsoa21_code", "lsoa21_name", "ltla24_code"),
    code_column="lsoa21_code",
    code_pattern=LSOA,
    expected_rows=LONDON_LSOA21,
)
MSOA21 = dataset(
    "inclusion.boundaries_msoa21",
    "boundaries/london_msoa21.geojson",
    "MSOA (2021) boundaries, super-generalised (BSC), London",
    publisher=ONS + " (contains OS data © Crown copyright and database right)",
    url=f"{GEOPORTAL}/search?q=MSOA_2021_EW_BSC_V2",
    columns=("msoa21_code", "msoa21_name"),
    code_column="msoa21_code",
    code_pattern=MSOA,
    expected_rows=1002,
)


_OS = ONS + " (contains OS data © Crown copyright and database right)"
LSOA11 = dataset(
    "inclusion.boundaries_lsoa11", "boundaries/london_lsoa11.geojson",
    "LSOA (December 2011) boundaries, generalised, London", publisher=_OS,
    url=f"{GEOPORTAL}/search?q=Lower_Layer_Super_Output_Areas_December_2011_Boundaries",
    columns=("lsoa11_code", "lsoa11_name", "ltla21_code"), code_column="lsoa11_code", code_pattern=LSOA,
    expected_rows=4835,
)
MSOA11 = dataset(
    "inclusion.boundaries_msoa11", "boundaries/london_msoa11.geojson",
    "MSOA (December 2011) boundaries, generalised, London", publisher=_OS,
    url=f"{GEOPORTAL}/search?q=Middle_Layer_Super_Output_Areas_December_2011_Boundaries",
    columns=("msoa11_code", "msoa11_name"), code_column="msoa11_code", code_pattern=MSOA, expected_rows=983,
)
WARDS22 = dataset(
    "inclusion.boundaries_wards22", "boundaries/london_wards22.geojson",
    "Ward (December 2022) boundaries, super-generalised (BSC), London", publisher=_OS,
    url=f"{GEOPORTAL}/search?q=Wards_December_2022_Boundaries_UK_BSC",
    columns=("ward22_code", "ward22_name"), code_column="ward22_code", code_pattern=r"E05\d{6}", expected_rows=684,
)
BOROUGHS21 = dataset(
    "inclusion.boundaries_ltla21", "boundaries/london_boroughs_ltla21.geojson",
    "Local authority district (December 2021) boundaries, London", publisher=_OS,
    url=f"{GEOPORTAL}/search?q=Local_Authority_Districts_December_2021_UK_BUC",
    columns=("ltla21_code", "ltla21_name"), code_column="ltla21_code", code_pattern=r"E09\d{6}", expected_rows=33,
)
BOROUGHS24 = dataset(
    "inclusion.boundaries_ltla24", "boundaries/london_boroughs_ltla24.geojson",
    "Local authority district (May 2024) boundaries, ultra-generalised (BUC), London", publisher=_OS,
    url=f"{GEOPORTAL}/search?q=Local_Authority_Districts_May_2024_Boundaries_UK_BUC",
    columns=("ltla24_code", "ltla24_name"), code_column="ltla24_code", code_pattern=r"E09\d{6}", expected_rows=33,
)
LAYERS = {"lsoa21": LSOA21, "msoa21": MSOA21, "lsoa11": LSOA11, "msoa11": MSOA11, "wards22": WARDS22,
          "boroughs21": BOROUGHS21, "boroughs24": BOROUGHS24}


def read_layer(ds: Dataset, data_dir: Path | None = None, log: InputLog | None = None) -> gpd.GeoDataFrame:
    path = require_file(ds, data_dir)
    try:
        frame = gpd.read_file(path)
    except Exception as exc:
        raise DataError(path, f"the boundary file cannot be read ({exc})", hint="Download it again") from exc
    check_columns(path, pd.DataFrame(frame.drop(columns="geometry")), ds.columns)
    if ds.code_column and ds.code_pattern:
        check_codes(path, pd.DataFrame(frame.drop(columns="geometry")), ds.code_column, ds.code_pattern)
    if ds.expected_rows is not None and len(frame) != ds.expected_rows:
        raise DataError(path, f"expected {ds.expected_rows:,} areas but found {len(frame):,}")
    if log is not None:
        log.record(ds, path, len(frame))
    return frame


def load_layer(name: str, data_dir: Path | None = None, log: InputLog | None = None) -> gpd.GeoDataFrame:
    """One boundary layer by short name (see ``LAYERS``), checked."""
    return read_layer(LAYERS[name], data_dir, log)


def msoa21_names(data_dir: Path | None = None, log: InputLog | None = None) -> pd.DataFrame:
    """MSOA 2021 code and name (London) without geometry."""
    frame = read_layer(MSOA21, data_dir, log)
    return pd.DataFrame(frame[["msoa21_code", "msoa21_name"]])
