"""Which column of the built index means what, for the map (an adapter over the build's outputs).

The build's contract (``docs/inclusion/``) fixes ``lsoa21_code``, ``score`` and one column per need type;
everything else (estimates, rank intervals, area types, indicators) is found by name here, with the
manifest's metadata (names, descriptions, weights) when it gives them. Comparison layers the build did not
write (DERI v1.6, the Census online-return share) are read from the open data with the inclusion
sources and moved to 2021 LSOAs with :func:`boroughs.inclusion.build.convert.to_lsoa21`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from boroughs.inclusion.map.index import CATEGORICAL, LayerInfo, NeedType


@dataclass
class Schema:
    frame: pd.DataFrame
    need_types: list[NeedType]
    layers: list[LayerInfo]
    area_types: dict[str, dict[str, str]]
    columns: dict[str, str | None]


ROLES: dict[str, tuple[str, ...]] = {
    "score": ("score",),
    "rank": ("rank", "score_rank"),
    "rank_low": ("rank_low", "rank_lo", "rank_p05", "rank_p5", "rank_lower", "rank_interval_low", "rank_min"),
    "rank_high": ("rank_high", "rank_hi", "rank_p95", "rank_upper", "rank_interval_high", "rank_max"),
    "decile": ("decile", "score_decile"),
    "decile_unstable": ("unstable", "decile_unstable", "decile_flag", "unstable_decile", "decile_changes"),
    "estimate": ("offline_estimate", "est_offline", "estimated_offline", "offline_adults", "est_non_users", "estimate", "est_residents",
                 "non_users"),
    "estimate_low": ("offline_low", "est_offline_low", "estimated_offline_low", "offline_adults_low", "est_non_users_low",
                     "estimate_low", "est_residents_low", "non_users_low"),
    "estimate_high": ("offline_high", "est_offline_high", "estimated_offline_high", "offline_adults_high", "est_non_users_high",
                      "estimate_high", "est_residents_high", "non_users_high"),
    "estimate_rate": ("offline_rate", "est_offline_rate", "estimated_offline_rate", "offline_rate", "est_non_users_rate",
                      "non_users_rate"),
    "adults": ("adults", "population_adults", "adult_population", "pop_adults", "adults_16_plus"),
    "population": ("population", "total_residents", "residents", "usual_residents"),
    "area_type": ("area_type", "type", "area_type_id", "typology"),
    "area_type_name": ("area_type_name", "type_name", "typology_name"),
    "deri": ("deri_score", "deri_v1_6", "deri", "deri_score_national"),
    "online_share": ("online_share", "census_online_share", "online_return_share"),
    "observed_offline": ("observed_offline_share",),
    "main_need": ("main_need_name",),
}


def _find(columns: list[str], role: str) -> str | None:
    for c in ROLES[role]:
        if c in columns:
            return c
    return None


def _meta_list(manifest: dict[str, Any], *keys: str) -> list[Any]:
    for key in keys:
        value = manifest.get(key)
        if isinstance(value, list):
            return value
        if isinstance(value, dict):
            return [{"id": k, **v} if isinstance(v, dict) else {"id": k, "name": v} if isinstance(v, str)
                    else {"id": k, "weight": v} for k, v in value.items()]
    params = manifest.get("parameters")
    if isinstance(params, dict):
        return _meta_list(params, *keys)
    return []


def _weights(manifest: dict[str, Any]) -> dict[str, float]:
    for holder in (manifest, manifest.get("parameters") or {}):
        if isinstance(holder, dict):
            for key in ("weights", "need_type_weights", "default_weights"):
                value = holder.get(key)
                if isinstance(value, dict):
                    return {str(k): float(v) for k, v in value.items() if isinstance(v, int | float)}
    return {}


def _need_types(raw: pd.DataFrame, manifest: dict[str, Any]) -> list[NeedType]:
    columns = list(raw.columns)
    weights = _weights(manifest)
    found: list[NeedType] = []
    for item in _meta_list(manifest, "need_types", "needs"):
        if isinstance(item, str):
            item = {"id": item}
        if not isinstance(item, dict):
            continue
        ident = str(item.get("id") or item.get("key") or item.get("column") or "")
        column = str(item.get("column") or ident)
        if column not in columns and f"need_{ident}" in columns:
            column = f"need_{ident}"
        if not ident or column not in columns:
            continue
        weight = item.get("weight", weights.get(ident, weights.get(column, 1.0)))
        contrib = f"contrib_{ident}" if f"contrib_{ident}" in columns else None
        found.append(NeedType(ident, str(item.get("name") or _humanise(ident)), column, float(weight),
                              str(item.get("description") or ""), contrib))
    if found:
        return found
    for column in columns:
        if column.startswith("need_") and not re.search(r"_(low|high|lo|hi|rank|decile)$", column):
            ident = column[len("need_"):]
            contrib = f"contrib_{ident}" if f"contrib_{ident}" in columns else None
            found.append(NeedType(ident, _humanise(ident), column, float(weights.get(ident, weights.get(column, 1.0))),
                                  "", contrib))
    return found


def _humanise(text: str) -> str:
    for prefix in ("need_", "ind_", "indicator_"):
        if text.startswith(prefix):
            text = text[len(prefix):]
    return text.replace("_", " ").strip().capitalize()


def _indicators(raw: pd.DataFrame, manifest: dict[str, Any], need_types: list[NeedType]) -> list[LayerInfo]:
    columns = list(raw.columns)
    by_need = {t.id: t.name for t in need_types}
    layers: list[LayerInfo] = []
    seen: set[str] = set()
    for item in _meta_list(manifest, "indicators"):
        if not isinstance(item, dict):
            continue
        ident = str(item.get("id") or "")
        column = next((c for c in (item.get("column"), ident, f"ind_{ident}", f"indicator_{ident}") if c in columns),
                      None)
        if not ident or column is None or column in seen:
            continue
        seen.add(column)
        need = by_need.get(str(item.get("need_type") or ""), "")
        desc = str(item.get("description") or "")
        if need:
            desc = f"{desc} Type of need: {need}.".strip()
        layers.append(LayerInfo(f"indicator:{ident}", str(item.get("name") or _humanise(ident)), "Indicator",
                                "indicator", column, desc, str(item.get("unit") or ""),
                                str(item.get("direction", "higher")).startswith("higher")
                                if not isinstance(item.get("direction"), int | float)
                                else float(item["direction"]) > 0))
    if layers:
        return layers
    for column in columns:
        if column.startswith(("ind_", "indicator_")):
            ident = column.split("_", 1)[1]
            layers.append(LayerInfo(f"indicator:{ident}", _humanise(ident), "Indicator", "indicator", column))
    return layers


def _area_types(raw: pd.DataFrame, manifest: dict[str, Any], column: str | None,
                name_column: str | None, directory: Path) -> dict[str, dict[str, str]]:
    if column is None:
        return {}
    names: dict[str, dict[str, str]] = {}
    path = directory / "area_types.json"
    if path.is_file():
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            doc = {}
        for item in doc.get("types", []) if isinstance(doc, dict) else []:
            if isinstance(item, dict) and item.get("area_type") is not None:
                names[_type_id(item["area_type"])] = {"name": str(item.get("name") or item["area_type"]),
                                                       "description": str(item.get("description") or "")}
    for item in _meta_list(manifest, "area_types", "typology", "types"):
        if isinstance(item, dict) and item.get("id") is not None and str(item["id"]) not in names:
            names[str(item["id"])] = {"name": str(item.get("name") or item["id"]),
                                      "description": str(item.get("description") or "")}
    if name_column is not None:
        for ident, name in raw[[column, name_column]].dropna().drop_duplicates().itertuples(index=False):
            names.setdefault(_type_id(ident), {"name": str(name), "description": ""})
    ids = sorted({_type_id(v) for v in raw[column].dropna()}, key=lambda s: (len(s), s))
    out: dict[str, dict[str, str]] = {}
    for i, ident in enumerate(ids):
        meta = names.get(ident, {"name": f"Type {ident}", "description": ""})
        out[ident] = {**meta, "colour": CATEGORICAL[i % len(CATEGORICAL)]}
    return out


def _type_id(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _comparisons(raw: pd.DataFrame, data_dir: Path | None) -> pd.DataFrame:
    """DERI v1.6 and the Census online-return share on 2021 LSOAs, when the build did not write them."""
    from boroughs.inclusion.build import convert
    from boroughs.inclusion.sources import deri, lookups, online_share, population

    out = pd.DataFrame({"lsoa21_code": raw["lsoa21_code"]})
    lookup = lookups.load_lsoa11_lsoa21(data_dir)
    try:
        pop = population.load_population(data_dir)
        weight = pop.set_index("lsoa11_code")["total_population"]
    except Exception:  # the population only weights merges; fall back to equal weights
        weight = None
    d = deri.load_deri(data_dir)
    conv = convert.to_lsoa21(d[["lsoa11_code", "deri_score_national"]], lookup, rates=["deri_score_national"],
                             parent_weight=weight, lsoa21=list(raw["lsoa21_code"]))
    out["deri_score"] = conv["deri_score_national"].to_numpy()
    o = online_share.load_online_share(data_dir)
    o = o[~o["paper_first"]]
    conv = convert.to_lsoa21(o[["lsoa11_code", "online_share"]], lookup, rates=["online_share"],
                             parent_weight=weight, lsoa21=list(raw["lsoa21_code"]))
    out["online_share"] = conv["online_share"].to_numpy()
    return out


def schema(raw: pd.DataFrame, manifest: dict[str, Any], directory: Path,
           data_dir: Path | None = None) -> Schema:
    if "lsoa21_code" not in raw.columns or "score" not in raw.columns:
        raise ValueError(f"{directory / 'lsoa21.csv'} lacks the contract columns lsoa21_code and score.")
    raw = raw.copy()
    raw["lsoa21_code"] = raw["lsoa21_code"].astype(str)
    indicators = directory / "indicators_lsoa21.csv"
    if indicators.is_file():
        values = pd.read_csv(indicators, dtype={"lsoa21_code": str}).set_index("lsoa21_code")
        values.columns = [f"ind_{c}" for c in values.columns]
        raw = raw.join(values, on="lsoa21_code")
    columns = list(raw.columns)
    roles: dict[str, str | None] = {role: _find(columns, role) for role in ROLES}

    if roles["online_share"] is None and roles["observed_offline"] is not None:
        raw["map_online_share"] = 1.0 - raw[roles["observed_offline"]].astype(float)
        roles["online_share"] = "map_online_share"

    if roles["deri"] is None or roles["online_share"] is None:
        try:
            extra = _comparisons(raw, data_dir)
        except Exception:  # comparison layers are optional: the map works without them
            extra = None
        if extra is not None:
            for role, column in (("deri", "deri_score"), ("online_share", "online_share")):
                if roles[role] is None:
                    raw[f"cmp_{column}"] = extra[column].to_numpy()
                    roles[role] = f"cmp_{column}"

    if roles["population"] is None:
        try:
            from boroughs.inclusion.sources import census

            age = census.load_age(data_dir).set_index("lsoa21_code")["total_residents"]
            raw["map_population"] = raw["lsoa21_code"].map(age).to_numpy(dtype=float)
            roles["population"] = "map_population"
        except Exception:  # residents only feed shares and rates; the map works without them
            pass

    if roles["estimate_rate"] is None and roles["estimate"] is not None:
        denom = roles["adults"] or roles["population"]
        if denom is not None:
            with np.errstate(invalid="ignore", divide="ignore"):
                raw["map_estimate_rate"] = raw[roles["estimate"]] / raw[denom]
            roles["estimate_rate"] = "map_estimate_rate"
    elif roles["estimate_rate"] is not None and raw[roles["estimate_rate"]].max() > 1.5:
        raw["map_estimate_rate"] = raw[roles["estimate_rate"]] / 100.0  # a percentage; the map uses shares
        roles["estimate_rate"] = "map_estimate_rate"

    need_types = _need_types(raw, manifest)
    area_types = _area_types(raw, manifest, roles["area_type"], roles["area_type_name"], directory)
    if roles["area_type"] is not None:
        raw["map_area_type"] = raw[roles["area_type"]].map(lambda v: None if pd.isna(v) else _type_id(v))
        roles["area_type"] = "map_area_type"

    layers = [LayerInfo("score", "Overall risk of digital exclusion", "Overall", "score", roles["score"] or "score",
                        "The overall score: higher means a greater risk that residents are digitally excluded. "
                        "Moves with the weights.")]
    for t in need_types:
        layers.append(LayerInfo(f"need:{t.id}", t.name, "Type of need", "need", t.column,
                                t.description or f"The score for {t.name.lower()}: higher means greater need."))
    layers.extend(_indicators(raw, manifest, need_types))
    if roles["area_type"] is not None and area_types:
        layers.append(LayerInfo("area_type", "Area type", "Area type", "category", roles["area_type"],
                                "Groups of areas with a similar mix of needs.", palette="categorical"))
    if roles["estimate"] is not None:
        layers.append(LayerInfo("residents", "Estimated residents offline (number)", "Residents", "count",
                                roles["estimate"], "Estimated adults who have not used the internet recently.",
                                "people"))
    if roles["estimate_rate"] is not None:
        layers.append(LayerInfo("residents_rate", "Estimated residents offline (share of adults)", "Residents",
                                "rate", roles["estimate_rate"],
                                "Estimated adults who have not used the internet recently, as a share of adults.", "%"))
    if roles["deri"] is not None:
        layers.append(LayerInfo("deri", "DERI v1.6 (Greater Manchester's index)", "Comparison", "compare",
                                roles["deri"], "The Digital Exclusion Risk Index v1.6 (nation-level scores), "
                                "moved to 2021 areas. Higher means greater risk."))
    if roles["online_share"] is not None:
        layers.append(LayerInfo("online_share", "Census 2021 returns made online", "Comparison", "compare",
                                roles["online_share"], "Share of Census 2021 household returns made online "
                                "(not in paper-first areas; some boroughs' figures are withheld). Lower means "
                                "more people who did not go online.", "%", higher_is_worse=False))
    return Schema(raw, need_types, layers, area_types, roles)
