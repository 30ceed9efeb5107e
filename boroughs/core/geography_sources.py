"""Where ``boroughs data fetch`` gets the core geography (issue 15): the ONS Open Geography Portal.

Boundaries come from ONS's ArcGIS FeatureServer layers (named with their vintage and version, e.g.
``..._BSC_V4``) or its ArcGIS Hub files; London is asked for where the layer has a borough code, otherwise
kept by the borough at the start of each area's name ("Camden 001A").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from boroughs.core import geography
from boroughs.core.fetching import (
    ARCGIS,
    LONDON_BOROUGHS,
    Source,
    arcgis_rows,
    london_borough_of,
    register,
    write_csv,
    write_features,
)

LSOA21_LAYER = f"{ARCGIS}/Lower_layer_Super_Output_Areas_December_2021_Boundaries_EW_BSC_V4/FeatureServer/0"
MSOA21_LAYER = f"{ARCGIS}/MSOA_2021_EW_BSC_V2/FeatureServer/0"
WARDS22_LAYER = f"{ARCGIS}/Wards_December_2022_Boundaries_UK_BSC/FeatureServer/0"
LSOA21_WARD24_LAYER = f"{ARCGIS}/LSOA21_WD24_LAD24_EW_LU/FeatureServer/0"


def prepare_lsoa21(raw: Path, target: Path, _root: Path) -> None:
    def props(p: dict[str, Any]) -> dict[str, Any] | None:
        code = london_borough_of(p.get("LSOA21NM", ""))
        if code is None:
            return None
        return {"lsoa21_code": p["LSOA21CD"], "lsoa21_name": p["LSOA21NM"], "ltla24_code": code,
                "ltla24_name": LONDON_BOROUGHS[code]}
    write_features(raw, target, props)


def prepare_msoa21(raw: Path, target: Path, _root: Path) -> None:
    write_features(raw, target, lambda p: {"msoa21_code": p["MSOA21CD"], "msoa21_name": p["MSOA21NM"]}
                   if london_borough_of(p.get("MSOA21NM", "")) else None)


def prepare_wards22(raw: Path, target: Path, _root: Path) -> None:
    write_features(raw, target, lambda p: {"ward22_code": p["WD22CD"], "ward22_name": p["WD22NM"]})


def prepare_lsoa21_ward24(raw: Path, target: Path, _root: Path) -> None:
    frame = arcgis_rows(raw).rename(columns={"LSOA21NM": "lsoa21_name", "LSOA21CD": "lsoa21_code",
                                             "WD24NM": "ward24_name", "WD24CD": "ward24_code",
                                             "LAD24NM": "ltla24_name", "LAD24CD": "ltla24_code"})
    cols = ["lsoa21_name", "lsoa21_code", "ward24_name", "ward24_code", "ltla24_name", "ltla24_code"]
    write_csv(frame[cols].drop_duplicates(), target)


def _legacy(prepare: Any) -> Any:
    return lambda raw, target, _root: prepare(raw, target)


LSOA21 = Source(LSOA21_LAYER, kind="arcgis", out_fields="LSOA21CD,LSOA21NM", prepare=prepare_lsoa21)
MSOA21 = Source(MSOA21_LAYER, kind="arcgis", out_fields="MSOA21CD,MSOA21NM", prepare=prepare_msoa21)
WARDS22 = Source(WARDS22_LAYER, kind="arcgis", where="LAD22CD LIKE 'E09%'", out_fields="WD22CD,WD22NM,LAD22CD",
                 prepare=prepare_wards22)
LSOA21_WARD24 = Source(LSOA21_WARD24_LAYER, kind="arcgis", geometry=False,
                       out_fields="LSOA21CD,LSOA21NM,WD24CD,WD24NM,LAD24CD,LAD24NM", prepare=prepare_lsoa21_ward24)
# The three the core registrations already carry (ArcGIS Hub items), with their preparations
BOROUGHS21 = Source(geography.BOROUGHS.download or "", prepare=_legacy(geography._prepare_boroughs))
LSOA11 = Source(geography.LSOA11.download or "", prepare=_legacy(geography._prepare_lsoa11),
                after=("boundaries.boroughs",))
LSOA11_LSOA21 = Source(geography.LOOKUP_11_21.download or "", prepare=_legacy(geography._prepare_lookup_11_21))

register("boundaries.boroughs", BOROUGHS21)
register("boundaries.lsoa11", LSOA11)
register("boundaries.lsoa21", LSOA21)
register("boundaries.msoa21", MSOA21)
register("boundaries.wards22", WARDS22)
register("lookups.lsoa11_lsoa21", LSOA11_LSOA21)
register("lookups.lsoa21_ward24", LSOA21_WARD24)
