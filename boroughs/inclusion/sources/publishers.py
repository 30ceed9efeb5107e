"""Where ``boroughs data fetch`` gets each inclusion dataset, and how the publisher's file becomes Boroughs'
(issue 15). Every address is the publisher's own, versioned file: gov.uk assets for the Indices of
Deprivation, Nomis bulk zips for Census 2021, ONS ``file?uri=`` addresses, ONS Open Geography Portal items and
FeatureServer layers, and GMCA's DERI repository at a fixed commit. The one exception is ONS's Census 2021
online-share workbook, fetched from the copy in Lambeth's open-data repository at a fixed commit (the copy
PROVENANCE.md names), because ONS's own file address could not be confirmed. Each folder's PROVENANCE.md
under the data directory names the same files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd

from boroughs.core.fetching import (
    ARCGIS,
    LONDON_BOROUGHS,
    Source,
    arcgis_rows,
    extra_download,
    london_borough_of,
    read_zip_csv,
    register,
    write_csv,
    write_features,
)
from boroughs.core.geography_sources import LSOA11, LSOA11_LSOA21, LSOA21, LSOA21_WARD24, MSOA21, WARDS22

NOMIS_BULK = "https://www.nomisweb.co.uk/output/census/2021"
GOVUK_2019 = "https://assets.publishing.service.gov.uk/government/uploads/system/uploads/attachment_data/file"
GOVUK_MEDIA = "https://assets.publishing.service.gov.uk/media"
ONS_FILE = "https://www.ons.gov.uk/file?uri="
GMCA_COMMIT = "d76a99d986413dc193da4f1adf265ecf33f4153f"
GMCA_RAW = f"https://raw.githubusercontent.com/GreaterManchesterODA/Digital-Exclusion-Risk-Index/{GMCA_COMMIT}/"
OPENDATA = "https://opendata.arcgis.com/datasets"
ONLINE_MIRROR = ("https://raw.githubusercontent.com/StMannyAkinso/Lambeth-Open-Data.github.io/"
                 "4755a8660be47fbb3e533043d9ed58c0321d72d5/")


def gmca(path: str) -> str:
    return GMCA_RAW + quote(path)


# ---------------------------------------------------------------- Census 2021 (Nomis bulk files)


def nomis_labels(columns: list[str]) -> dict[str, str]:
    """Nomis headers "Tenure of household: Owned: Owns outright; measures: Value" → "Owned: Owns outright"."""
    out = {}
    for c in columns:
        label = str(c).split("; measures:")[0].strip()
        if c not in ("date", "geography", "geography code") and ": " in label:
            label = label.split(": ", 1)[1]
        out[c] = label
    return out


def nomis(member: str, code: str, total: str | None, columns: tuple[str, ...], *, english: bool = False) -> Any:
    def prepare(raw: Path, target: Path, _root: Path) -> None:
        frame = read_zip_csv(raw, member)
        frame = frame.rename(columns=nomis_labels(list(frame.columns))).rename(columns={"geography code": code})
        if total is not None:
            totals = [c for c in frame.columns if str(c).startswith("Total")]
            frame = frame.rename(columns={totals[0]: total})
        frame = frame[frame["geography"].map(london_borough_of).notna()].copy()
        if english:
            main, other = columns[1], columns[2]
            frame["Proportion who cannot speak English (well)"] = (
                (frame[f"{other}: Cannot speak English well"] + frame[f"{other}: Cannot speak English"])
                / (frame[main] + frame[other]))
        write_csv(frame[list(columns)], target)
    return prepare


def prepare_rm121(raw: Path, target: Path, _root: Path) -> None:
    """Nomis RM121 (as GMCA keep it): 8 title lines, a header, then "E01011954 : Hartlepool 001A" rows."""
    frame = pd.read_csv(raw, skiprows=7, header=0, dtype=str, encoding="utf-8-sig")
    first = frame.columns[0]
    frame = frame[frame[first].fillna("").str.contains(" : ")]
    codes = frame[first].str.split(" : ", n=1, expand=True)
    out = pd.DataFrame({"lsoa21_code": codes[0].str.strip(), "lsoa21_name": codes[1].str.strip()})
    names = ["total_residents", "aged_65", "aged_66_69", "aged_70_74", "aged_75_79", "aged_80_84", "aged_85_plus"]
    for name, col in zip(names, frame.columns[1:8], strict=True):
        out[name] = pd.to_numeric(frame[col].str.replace(",", ""), errors="raise").astype(int).to_numpy()
    out["aged_65_plus"] = out[names[1:]].sum(axis=1)
    out["aged_75_plus"] = out[["aged_75_79", "aged_80_84", "aged_85_plus"]].sum(axis=1)
    out["pct_65_plus"] = (100 * out["aged_65_plus"] / out["total_residents"]).round(2)
    out["pct_75_plus"] = (100 * out["aged_75_plus"] / out["total_residents"]).round(2)
    write_csv(out, target)


def london_subset(national_path: str, code: str, *, by_name: str | None = None) -> Any:
    """The London rows of a national file Boroughs fetched just before (by name prefix or an E09 code)."""
    def prepare(raw: Path, target: Path, root: Path) -> None:
        frame = pd.read_csv(root / national_path, dtype={code: str}, keep_default_na=False, na_values=[""])
        if by_name:
            keep = frame[by_name].map(london_borough_of).notna()
        else:
            keep = frame[code].isin(_london_codes(root, code))
        write_csv(frame[keep], target)
    return prepare


def _london_codes(root: Path, column: str) -> set[str]:
    kind = "lsoa11" if "11" in column else "lsoa21"
    doc = json.loads((root / f"boundaries/london_{kind}.geojson").read_text(encoding="utf-8"))
    return {f["properties"][f"{kind}_code"] for f in doc["features"]}


# ---------------------------------------------------------------- Indices of Deprivation


def clean_name(label: str) -> str:
    """A header in snake case, as R's janitor::clean_names writes it (the names Boroughs' files use)."""
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9]+", "_", label.lower())).strip("_")


def xlsx_to_csv(sheet: str) -> Any:
    def prepare(raw: Path, target: Path, _root: Path) -> None:
        write_csv(pd.read_excel(raw, sheet_name=sheet), target)
    return prepare


FILE7_2019_SCORES = {"Index of Multiple Deprivation (IMD) Score": "imd_score", "Income Score (rate)": "income_score_pct",
                     "Employment Score (rate)": "employment_score_pct"}


def prepare_iod2019_scores(raw: Path, target: Path, _root: Path) -> None:
    frame = pd.read_csv(raw).rename(columns={"LSOA code (2011)": "lsoa11_code", **FILE7_2019_SCORES})
    frame["income_score_pct"] *= 100
    frame["employment_score_pct"] *= 100
    write_csv(frame[["lsoa11_code", "imd_score", "income_score_pct", "employment_score_pct"]], target)


def indicators(code_header: str, code: str) -> Any:
    """File 8 "underlying indicators": one sheet per domain, joined on the LSOA code, headers in snake case."""
    def prepare(raw: Path, target: Path, _root: Path) -> None:
        sheets = pd.read_excel(raw, sheet_name=None)
        joined: pd.DataFrame | None = None
        for name, frame in sheets.items():
            if code_header not in frame.columns or "notes" in name.lower():
                continue
            frame = frame.drop(columns=[c for c in frame.columns if c != code_header and
                                        re.match(r"(LSOA name|Local Authority)", str(c))])
            frame = frame.rename(columns={c: clean_name(str(c)) for c in frame.columns if c != code_header})
            if joined is None:
                joined = frame
            else:
                new = [c for c in frame.columns if c not in joined.columns]
                joined = joined.merge(frame[[code_header, *new]], on=code_header, how="outer")
        if joined is None:
            raise ValueError(f"no sheet has a {code_header!r} column")
        write_csv(joined.rename(columns={code_header: code}), target)
    return prepare


SUBDOMAIN_2019 = {"Education, Skills and Training": "Education",
                  "Children and Young People Sub-domain": "Children_and_young_people",
                  "Adult Skills Sub-domain": "Adult_skills", "Barriers to Housing and Services": "Housing_and_Access",
                  "Geographical Barriers Sub-domain": "Geographical_barriers",
                  "Wider Barriers Sub-domain": "Wider_barriers", "Living Environment": "Environment",
                  "Indoors Sub-domain": "Indoors", "Outdoors Sub-domain": "Outdoors"}


def _measure_names(columns: Any, labels: dict[str, str],
                   measures: tuple[str, ...] = ("Score", "Rank", "Decile")) -> dict[Any, str]:
    """Boroughs' names (``<short>_score``, ``<short>_rank``, ``<short>_decile``) for the publisher's
    ``<label> Score …``, ``<label> Rank …`` and ``<label> Decile …`` columns."""
    names: dict[Any, str] = {}
    for c in columns:
        for label, short in labels.items():
            for measure in measures:
                if str(c).startswith(f"{label} {measure}"):
                    names[c] = f"{short}_{measure.lower()}"
    return names


def prepare_iod2019_subdomains(raw: Path, target: Path, _root: Path) -> None:
    """File 4 (sheet "IoD2019 Sub-domains"): ranks and deciles, named as Boroughs' file names them."""
    frame = pd.read_excel(raw, sheet_name="IoD2019 Sub-domains")
    names = {"LSOA code (2011)": "lsoa11_code", **_measure_names(frame.columns, SUBDOMAIN_2019, ("Rank", "Decile"))}
    frame = frame.rename(columns=names)
    cols = ["lsoa11_code", *(f"{s}_{m}" for m in ("decile", "rank") for s in SUBDOMAIN_2019.values())]
    write_csv(frame[cols], target)


DOMAIN_2019 = {"Index of Multiple Deprivation (IMD)": "imd", "Income": "income", "Employment": "employment",
               "Education, Skills and Training": "education", "Health Deprivation and Disability": "health",
               "Crime": "crime", "Barriers to Housing and Services": "barriers", "Living Environment": "living_env"}
FILE6_2019 = {"Total population: mid 2015 (excluding prisoners)": "pop_total_mid2015",
              "Dependent Children aged 0-15: mid 2015 (excluding prisoners)": "pop_children_0_15_mid2015",
              "Population aged 16-59: mid 2015 (excluding prisoners)": "pop_16_59_mid2015",
              "Older population aged 60 and over: mid 2015 (excluding prisoners)": "pop_60plus_mid2015",
              "Working age population 18-59/64: for use with Employment Deprivation Domain (excluding prisoners)":
                  "pop_working_age_mid2015"}


def prepare_imd2019_london(raw: Path, target: Path, root: Path) -> None:
    """The London table, joined from the five IoD 2019 files fetched before (as PROVENANCE.md describes)."""
    d = root / "imd2019"
    file2 = pd.read_csv(d / "iod2019_file2_domains_ranks_deciles_england.csv.gz")
    names = {"LSOA code (2011)": "lsoa11_code", "LSOA name (2011)": "lsoa11_name",
             "Local Authority District code (2019)": "lad19_code", "Local Authority District name (2019)": "lad19_name",
             **_measure_names(file2.columns, DOMAIN_2019, ("Rank", "Decile"))}
    frame = file2.rename(columns=names)
    frame = frame[[*list(names.values())[:4], *(f"{s}_{m}" for s in DOMAIN_2019.values() for m in ("rank", "decile"))]]
    frame = frame[frame["lad19_code"].astype(str).str.startswith("E09")]
    scores = pd.read_csv(d / "iod2019_imd_income_employment_scores_england.csv.gz")
    file6 = pd.read_csv(d / "iod2019_file6_population_denominators_england.csv.gz").rename(
        columns={"LSOA code (2011)": "lsoa11_code", **FILE6_2019})[["lsoa11_code", *FILE6_2019.values()]]
    ind = pd.read_csv(d / "iod2019_underlying_indicators_england.csv.gz")[[
        "lsoa11_code", "income_domain_numerator", "income_deprivation_affecting_older_people_index_idaopi_numerator",
        "employment_domain_numerator", "adult_skills_and_english_language_proficiency_indicator",
        "comparative_illness_and_disability_ratio_indicator"]]
    sub = pd.read_csv(d / "iod2019_subdomains_ranks_deciles_england.csv.gz")
    sub = sub.rename(columns={c: c.lower() for c in sub.columns})[[
        "lsoa11_code", "adult_skills_rank", "adult_skills_decile", "geographical_barriers_rank",
        "geographical_barriers_decile", "wider_barriers_rank", "wider_barriers_decile"]]
    for other in (scores, file6, ind, sub):
        frame = frame.merge(other, on="lsoa11_code", how="left")
    frame["idaopi_rate_derived"] = (frame["income_deprivation_affecting_older_people_index_idaopi_numerator"]
                                    / frame["pop_60plus_mid2015"]).round(4)
    write_csv(frame, target)


DOMAIN_2025 = {"Index of Multiple Deprivation (IMD)": "IMD", "Income": "Income", "Employment": "Employment",
               "Education, Skills and Training": "Education", "Health Deprivation and Disability": "Health",
               "Crime": "Crime", "Barriers to Housing and Services": "Housing_and_Services",
               "Living Environment": "Environment"}


def file7_2025_names(columns: list[str]) -> dict[str, str]:
    """File 7 (2025) headers → Boroughs' names: "Income Score (rate)" → "Income_score", ... """
    return {"LSOA code (2021)": "lsoa21_code", **_measure_names(columns, DOMAIN_2025)}


def prepare_iod2025_scores(raw: Path, target: Path, _root: Path) -> None:
    frame = pd.read_csv(raw)
    frame = frame.rename(columns=file7_2025_names(list(frame.columns)))
    cols = ["lsoa21_code", *(f"{d}_{m}" for m in ("decile", "rank", "score") for d in DOMAIN_2025.values())]
    write_csv(frame[cols], target)


SUBDOMAIN_2025 = {"Children and Young People Sub-domain": "children_and_young_people",
                  "Adult Skills Sub-domain": "adult_skills", "Geographical Barriers Sub-domain": "geographical_barriers",
                  "Wider Barriers Sub-domain": "wider_barriers", "Indoors Sub-domain": "indoors",
                  "Outdoors Sub-domain": "outdoors"}


def prepare_iod2025_subdomains(raw: Path, target: Path, _root: Path) -> None:
    """File 7 (2025) carries the sub-domains too: ``<name> Sub-domain Score/Rank/Decile`` columns."""
    frame = pd.read_csv(raw)
    frame = frame.rename(columns={"LSOA code (2021)": "lsoa21_code", **_measure_names(frame.columns, SUBDOMAIN_2025)})
    cols = ["lsoa21_code", *(f"{s}_{m}" for s in SUBDOMAIN_2025.values() for m in ("score", "rank", "decile"))]
    write_csv(frame[cols], target)


def prepare_imd2025_london(raw: Path, target: Path, root: Path) -> None:
    scores = pd.read_csv(root / "imd2025/iod2025_scores_ranks_deciles_england.csv.gz")
    ind = pd.read_csv(root / "imd2025/iod2025_underlying_indicators_england.csv.gz")
    keep = ["lsoa21_code", "income_deprivation_affecting_older_people_index_idaopi_numerator",
            "adult_skills_and_english_language_proficiency_indicator",
            "digital_connectivity_broadband_download_and_upload_speeds"]
    frame = scores.merge(ind[keep], on="lsoa21_code", how="left")
    write_csv(frame[frame["lsoa21_code"].isin(_london_codes(root, "lsoa21_code"))], target)


# ---------------------------------------------------------------- DERI and the Census online share

DERI_NATIONAL = {"lsoa code": "lsoa11_code", "broadband component (national": "broadband_comp_national",
                 "demography component (national": "demography_comp_national",
                 "deprivation component (national": "deprivation_comp_national",
                 "deri score (national": "deri_score_national"}


def prepare_deri_england(raw: Path, target: Path, _root: Path) -> None:
    """GMCA's nation-level v1.6 scores (min-max within each nation, England's IMD): England's rows, the four
    scores humaniverse's DEPAHRI also takes from this file, under the same names."""
    frame = pd.read_csv(raw, dtype=str)
    names: dict[str, str] = {}
    for c in frame.columns:
        for prefix, name in DERI_NATIONAL.items():
            if str(c).strip().lower().startswith(prefix) and name not in names.values():
                names[c] = name
    missing = set(DERI_NATIONAL.values()) - set(names.values())
    if missing:
        raise KeyError(f"no column for {sorted(missing)}")
    frame = frame.rename(columns=names)[list(DERI_NATIONAL.values())]
    write_csv(frame[frame["lsoa11_code"].str.startswith("E01")], target)


ONLINE_SHEET = "Online_Share_England&Wales"
ONLINE_EW_PATH = "census2021_online_response/census2021_online_share_lsoa11_ew.csv.gz"


def prepare_online_share(raw: Path, target: Path, _root: Path) -> None:
    """ONS's workbook: the sheet's table (below any notes), empty columns dropped, as PROVENANCE.md describes."""
    sheet = pd.read_excel(raw, sheet_name=ONLINE_SHEET, header=None, dtype=object)
    at = sheet.index[sheet.apply(lambda row: row.astype(str).str.strip().eq("LSOA Code").any(), axis=1)]
    if len(at) == 0:
        raise KeyError(f"sheet {ONLINE_SHEET!r} has no 'LSOA Code' header")
    frame = sheet.iloc[at[0] + 1:].copy()
    frame.columns = [str(c).strip() for c in sheet.iloc[at[0]]]
    frame = frame.loc[:, [c != "nan" for c in frame.columns]].dropna(axis=1, how="all")
    frame = frame[frame["LSOA Code"].notna()]
    write_csv(frame, target)


def prepare_online_share_london(raw: Path, target: Path, root: Path) -> None:
    frame = pd.read_csv(root / ONLINE_EW_PATH, dtype={"Local Authority Code": str, "LSOA Code": str})
    write_csv(frame[frame["Local Authority Code"].str.startswith("E09")], target)


# ---------------------------------------------------------------- geography the inclusion area adds


def prepare_msoa11(raw: Path, target: Path, _root: Path) -> None:
    write_features(raw, target, lambda p: {"msoa11_code": p["MSOA11CD"], "msoa11_name": p["MSOA11NM"]}
                   if london_borough_of(p.get("MSOA11NM", "")) else None)


def prepare_ltla24(raw: Path, target: Path, _root: Path) -> None:
    write_features(raw, target, lambda p: {"ltla24_code": p["LAD24CD"], "ltla24_name": p["LAD24NM"]})


def prepare_region(raw: Path, target: Path, _root: Path) -> None:
    frame = arcgis_rows(raw).rename(columns={"LAD24NM": "ltla24_name", "LAD24CD": "ltla24_code",
                                             "RGN24NM": "region24_name", "RGN24CD": "region24_code"})
    write_csv(frame[["ltla24_name", "ltla24_code", "region24_name", "region24_code"]], target)


def prepare_ruc21(raw: Path, target: Path, _root: Path) -> None:
    frame = arcgis_rows(raw).rename(columns={"LSOA21CD": "lsoa21_code", "RUC21CD": "ruc21_code",
                                             "RUC21NM": "classification", "Urban_rural_flag": "ruc"})
    write_csv(frame[["lsoa21_code", "ruc21_code", "classification", "ruc"]], target)


def prepare_lsoa11_ltla21(raw: Path, target: Path, _root: Path) -> None:
    frame = pd.read_excel(raw).rename(columns={"LSOA11NM": "lsoa11_name", "LSOA11CD": "lsoa11_code",
                                               "LAD21NM": "ltla21_name", "LAD21CD": "ltla21_code"})
    write_csv(frame[["lsoa11_name", "lsoa11_code", "ltla21_name", "ltla21_code"]].drop_duplicates(), target)


SIMD_2020_LOOKUP = (
    "https://www.gov.scot/binaries/content/documents/govscot/publications/statistics/2020/01/"
    "scottish-index-of-multiple-deprivation-2020-data-zone-look-up-file/documents/"
    "scottish-index-of-multiple-deprivation-data-zone-look-up/scottish-index-of-multiple-deprivation-data-zone-look-up/"
    "govscot%3Adocument/SIMD_2020_Datazone_lookup_tool.xlsx"
)


def prepare_lsoa11_msoa11(raw: Path, target: Path, root: Path) -> None:
    """England and Wales from the ONS OA lookup (one row per LSOA), Scotland's data zones from the Scottish
    Government's SIMD 2020 lookup (sheet "SIMD 2020v2 DZ lookup data")."""
    ew = pd.read_csv(raw, dtype=str).rename(columns={"LSOA11NM": "lsoa11_name", "LSOA11CD": "lsoa11_code",
                                                     "MSOA11NM": "msoa11_name", "MSOA11CD": "msoa11_code"})
    scot = pd.read_excel(extra_download(root, SIMD_2020_LOOKUP), sheet_name="SIMD 2020v2 DZ lookup data", dtype=str)
    scot = scot.rename(columns={"DZname": "lsoa11_name", "DZ": "lsoa11_code", "IZname": "msoa11_name",
                                "IZcode": "msoa11_code"})
    cols = ["lsoa11_name", "lsoa11_code", "msoa11_name", "msoa11_code"]
    write_csv(pd.concat([ew[cols], scot[cols]]).drop_duplicates(), target)


def prepare_oa11(raw: Path, target: Path, _root: Path) -> None:
    frame = pd.read_csv(raw, dtype=str)
    frame = frame[frame["RGN11CD"] == "E12000007"].drop(columns=["FID"], errors="ignore")
    write_csv(frame, target)


def prepare_population(raw: Path, target: Path, _root: Path) -> None:
    """SAPE23DT2 "Mid-2020 Persons": LSOA code, name, four LA columns, all ages, then 0 … 89, 90+."""
    frame = pd.read_excel(raw, sheet_name="Mid-2020 Persons", skiprows=4, dtype={0: str})
    code, name, total = frame.columns[0], frame.columns[1], frame.columns[6]
    ages = list(frame.columns[7:])
    frame = frame[frame[name].map(london_borough_of).notna()]
    out = pd.DataFrame({"lsoa11_name": frame[name], "lsoa11_code": frame[code], "total_population": frame[total]})
    for a in ages:
        out[str(a)] = frame[a]
    write_csv(out, target)


# ---------------------------------------------------------------- the sources

TS = {
    "inclusion.census_disability": ("ts038", "-lsoa.csv", "lsoa21_code", "total_residents"),
    "inclusion.census_ethnicity": ("ts021", "-lsoa.csv", "lsoa21_code", "total_residents"),
    "inclusion.census_tenure": ("ts054", "-lsoa.csv", "lsoa21_code", "total_households"),
    "inclusion.census_accommodation": ("ts044", "-lsoa.csv", "lsoa21_code", "total_households"),
    "inclusion.census_household_deprivation": ("ts011", "-lsoa.csv", "lsoa21_code", "total_households"),
    "inclusion.census_english_msoa": ("ts029", "-msoa.csv", "msoa21_code", None),
}


def register_all() -> None:
    from boroughs.core import datasets

    for key, (table, member, code, total) in TS.items():
        cols = datasets.get(key).columns
        register(key, Source(f"{NOMIS_BULK}/census2021-{table}.zip",
                             prepare=nomis(member, code, total, cols, english=table == "ts029")))
    rm121 = gmca("Version 2.0/Data/Original/Census 2021 - Population.csv")
    register("inclusion.census_age_ew", Source(rm121, prepare=prepare_rm121))
    register("inclusion.census_age_london", Source(rm121, after=("inclusion.census_age_ew",),
                                                   prepare=london_subset("census2021/rm121_age65plus_lsoa21_ew.csv.gz",
                                                                         "lsoa21_code", by_name="lsoa21_name")))
    # Boundaries and lookups (shared with the core geography)
    register("inclusion.boundaries_lsoa21", LSOA21)
    register("inclusion.boundaries_msoa21", MSOA21)
    register("inclusion.boundaries_lsoa11", LSOA11)
    register("inclusion.boundaries_wards22", WARDS22)
    register("inclusion.boundaries_ltla21", Source(f"{OPENDATA}/ac4ad96a586b4e4bab306dd59eb09401_0.geojson",
                                                   prepare=lambda raw, t, r: write_features(
                                                       raw, t, lambda p: {"ltla21_name": p["LAD21NM"],
                                                                          "ltla21_code": p["LAD21CD"]}
                                                       if str(p.get("LAD21CD", "")).startswith("E09") else None)))
    register("inclusion.boundaries_msoa11", Source(f"{OPENDATA}/80223f1d571c405fb2fdf719c7e6da13_0.geojson",
                                                   prepare=prepare_msoa11))
    register("inclusion.boundaries_ltla24", Source(
        f"{ARCGIS}/Local_Authority_Districts_May_2024_Boundaries_UK_BUC/FeatureServer/0", kind="arcgis",
        where="LAD24CD LIKE 'E09%'", out_fields="LAD24CD,LAD24NM", prepare=prepare_ltla24))
    register("inclusion.lookup_lsoa11_lsoa21", LSOA11_LSOA21)
    register("inclusion.lookup_lsoa21_ward24", LSOA21_WARD24)
    register("inclusion.lookup_ltla24_region24", Source(f"{ARCGIS}/LAD24_RGN24_EN_LU/FeatureServer/0", kind="arcgis",
                                                        geometry=False, out_fields="LAD24CD,LAD24NM,RGN24CD,RGN24NM",
                                                        prepare=prepare_region))
    register("inclusion.lookup_lsoa11_ltla21", Source(
        "https://www.arcgis.com/sharing/rest/content/items/81bcefcd048e43acb948ad069c5e06c0/data",
        prepare=prepare_lsoa11_ltla21))
    register("inclusion.oa11_lookup_oac", Source(f"{OPENDATA}/fe6c55f0924b4734adf1cf7104a0173e_0.csv",
                                                 prepare=prepare_oa11))
    register("inclusion.lookup_lsoa11_msoa11", Source(
        f"{OPENDATA}/fe6c55f0924b4734adf1cf7104a0173e_0.csv", extra=(SIMD_2020_LOOKUP,), prepare=prepare_lsoa11_msoa11))
    register("inclusion.ruc21", Source(
        f"{ARCGIS}/LSOA21_RUC21_EW_LU/FeatureServer/0", kind="arcgis", geometry=False,
        out_fields="LSOA21CD,RUC21CD,RUC21NM,Urban_rural_flag", prepare=prepare_ruc21))
    # Indices of Deprivation 2019 (MHCLG, gov.uk)
    file7_2019 = (f"{GOVUK_MEDIA}/5dc407b440f0b6379a7acc8d/"
                  "File_7_-_All_IoD2019_Scores__Ranks__Deciles_and_Population_Denominators_3.csv")
    register("inclusion.iod2019_scores", Source(file7_2019, prepare=prepare_iod2019_scores))
    register("inclusion.iod2019_domains", Source(f"{GOVUK_2019}/833973/File_2_-_IoD2019_Domains_of_Deprivation.xlsx",
                                                 prepare=xlsx_to_csv("IoD2019 Domains")))
    register("inclusion.iod2019_population", Source(
        f"{GOVUK_2019}/833980/File_6_-_IoD2019_Population_Denominators.xlsx",
        prepare=xlsx_to_csv("Population Denominators")))
    register("inclusion.iod2019_indicators", Source(
        f"{GOVUK_2019}/833992/File_8_-_IoD2019_Underlying_Indicators.xlsx",
        prepare=indicators("LSOA code (2011)", "lsoa11_code")))
    register("inclusion.iod2019_subdomains", Source(
        f"{GOVUK_2019}/833976/File_4_-_IoD2019_Sub-domains_of_Deprivation.xlsx", prepare=prepare_iod2019_subdomains))
    register("inclusion.imd2019_london", Source(
        file7_2019, prepare=prepare_imd2019_london,
        after=("inclusion.iod2019_domains", "inclusion.iod2019_scores", "inclusion.iod2019_population",
               "inclusion.iod2019_indicators", "inclusion.iod2019_subdomains")))
    # Indices of Deprivation 2025
    file7_2025 = f"{GOVUK_MEDIA}/691ded56d140bbbaa59a2a7d/File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv"
    file8_2025 = f"{GOVUK_MEDIA}/691dec012c6b98ecdbc500d4/File_8_IoD2025_Underlying_Indicators.xlsx"
    register("inclusion.iod2025_scores", Source(file7_2025, prepare=prepare_iod2025_scores))
    register("inclusion.iod2025_indicators", Source(file8_2025, prepare=indicators("LSOA code (2021)", "lsoa21_code")))
    register("inclusion.iod2025_subdomains", Source(file7_2025, prepare=prepare_iod2025_subdomains))
    register("inclusion.imd2025_london", Source(file7_2025, prepare=prepare_imd2025_london,
                                                after=("inclusion.iod2025_scores", "inclusion.iod2025_indicators",
                                                       "boundaries.lsoa21")))
    # DERI (GMCA's repository at a fixed commit)
    deri_national = gmca("Version 1.6/LSOA calculations and scores (nation level)_v1.6.csv")
    register("inclusion.deri_england", Source(deri_national, prepare=prepare_deri_england))
    register("inclusion.deri_london", Source(deri_national, prepare=london_subset(
        "deri/deri_v1_6_depahri_national_england_lsoa11.csv.gz", "lsoa11_code"),
        after=("inclusion.deri_england", "boundaries.lsoa11")))
    register("inclusion.deri_sources_v1_6", Source(gmca("Version 1.6/Data sources_v1.6.csv")))
    register("inclusion.deri_sources_v2_0", Source(gmca("Version 2.0/Admin/Indicator data sources.csv")))
    # ONS tables used unchanged (checked by their SHA-256)
    register("inclusion.ons_internet_users_2020", Source(
        f"{ONS_FILE}/businessindustryandtrade/itandinternetindustry/datasets/internetusers/current/internetusers2020.xlsx",
        sha256="5269e8c215dc838901b7ede57d623a65eb8302a0d22cb4f5f9cb368b948deba6"))
    register("inclusion.ons_internet_access_2020", Source(
        f"{ONS_FILE}/peoplepopulationandcommunity/householdcharacteristics/homeinternetandsocialmediausage/datasets/"
        "internetaccesshouseholdsandindividualsreferencetables/current/internetaccesspublicationtables2020final1.xlsx",
        sha256="4914bc20ab0d8e314681b442c3eea2a11ad5f5ee36b26f47e96ede1054d0a098"))
    register("inclusion.population_mid2020", Source(
        f"{ONS_FILE}/peoplepopulationandcommunity/populationandmigration/populationestimates/datasets/"
        "lowersuperoutputareamidyearpopulationestimates/mid2020sape23dt2/sape23dt2mid2020lsoasyoaestimatesunformatted.xlsx",
        prepare=prepare_population))
    # ONS's workbook as Lambeth's open-data repository keeps it, at a fixed commit (ONS's own file address
    # could not be confirmed; the sheet and its columns are checked on every fetch)
    online = ONLINE_MIRROR + quote("data/Community/Internet users/lsoa_census_onlinesharesfinal.xlsx")
    register("inclusion.online_share_ew", Source(online, prepare=prepare_online_share))
    register("inclusion.online_share_london", Source(online, prepare=prepare_online_share_london,
                                                     after=("inclusion.online_share_ew",)))


register_all()
assert LONDON_BOROUGHS  # the constant the preparations above rely on
