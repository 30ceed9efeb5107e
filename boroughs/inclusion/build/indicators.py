"""Compute the catalogue's indicators on 2021 LSOAs, plus the inputs the other steps need (population by
age for the estimates, observed behaviour for validation, DERI and IMD for comparison)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from boroughs.core.errors import DataError
from boroughs.inclusion.build.catalogue import Catalogue, load_catalogue
from boroughs.inclusion.build.convert import to_lsoa21
from boroughs.inclusion.sources import (
    boundaries,
    census,
    deri,
    imd,
    lookups,
    online_share,
    ons_internet,
    population,
)
from boroughs.inclusion.sources._base import InputLog

AREAS = ("london", "england")
LONDON_REGION = "E12000007"
AGE_BANDS = ("16_24", "25_34", "35_44", "45_54", "55_64", "65_74", "75_plus")


@dataclass
class Inputs:
    """Everything a build reads, on one row per 2021 LSOA (``geo`` order)."""

    area: str
    geo: pd.DataFrame  # lsoa21_code, lsoa21_name, ward24_code/name, msoa21_code/name, ltla24_code/name
    values: pd.DataFrame  # index lsoa21_code, one column per indicator id (raw values)
    truth: pd.DataFrame  # index lsoa21_code: offline_share (1 - online share; NaN where none), paper_first
    comparators: pd.DataFrame  # index lsoa21_code: deri_score, imd2019_score, imd2025_score
    people: pd.DataFrame  # index lsoa21_code: residents, adults by band, disabled share (London only)
    catalogue: Catalogue
    log: InputLog = field(default_factory=InputLog)
    notes: list[str] = field(default_factory=list)
    #: London only: the observed share, DERI and IMD 2019 on their own 2011 areas, and the 2011→2021 bridge,
    #: so validation can also be reported on the areas those indices were published for.
    lsoa11: pd.DataFrame | None = None
    bridge: pd.DataFrame | None = None
    #: London only: ONS *Internet users 2020* tables (national non-use rates; sub-region totals)
    internet: ons_internet.InternetUseTables | None = None
    #: London only, filled by :mod:`boroughs.inclusion.build.cache`: each LSOA's boundary as GeoJSON text
    boundary_json: dict[str, str] | None = None


def _share(num: pd.Series, den: pd.Series) -> pd.Series:
    return num.astype(float) / den.replace(0, np.nan).astype(float)


def _truth(
    online: pd.DataFrame, lk: pd.DataFrame, weights: pd.Series, codes: list[str]
) -> pd.DataFrame:
    """Offline share (1 − online share) on 2021 LSOAs, leaving out paper-first areas.

    A 2021 area gets a value only when every 2011 parent has one (withheld or paper-first parents
    leave it blank); ``paper_first`` marks areas with any paper-first parent."""
    ok = online[~online["paper_first"]].assign(offline_share=lambda f: 1.0 - f["online_share"])
    truth = to_lsoa21(ok, lk, rates=["offline_share"], parent_weight=weights, lsoa21=codes).set_index("lsoa21_code")
    pf = online[online["paper_first"]]["lsoa11_code"]
    children = set(lk[lk["lsoa11_code"].isin(set(pf))]["lsoa21_code"])
    truth["paper_first"] = truth.index.isin(children)
    truth.loc[truth["paper_first"], "offline_share"] = np.nan
    return truth


def load_inputs(
    data_dir: Path | None = None, area: str = "london", catalogue: Catalogue | None = None
) -> Inputs:
    if area not in AREAS:
        raise ValueError(f"area must be one of {', '.join(AREAS)}, not {area!r}")
    catalogue = catalogue or load_catalogue()
    if area == "england":
        return _england(data_dir, catalogue)
    return _london(data_dir, catalogue)


def _london(data_dir: Path | None, catalogue: Catalogue) -> Inputs:
    log = InputLog()
    geo = lookups.london_lsoa21(data_dir, log)
    lk_all = lookups.load_lsoa11_lsoa21(data_dir, log)
    codes = list(geo["lsoa21_code"])
    k21 = set(codes)
    lk = lk_all[lk_all["lsoa21_code"].isin(k21)]
    k11 = set(lk["lsoa11_code"])
    msoa = boundaries.msoa21_names(data_dir, log)
    geo = geo.merge(msoa, on="msoa21_name", how="left", validate="many_to_one")
    if geo["msoa21_code"].isna().any():
        bad = geo[geo["msoa21_code"].isna()]
        raise DataError(boundaries.MSOA21.full_path(data_dir),
                        f"no MSOA named {bad['msoa21_name'].iloc[0]!r} (from LSOA {bad['lsoa21_code'].iloc[0]})",
                        column="msoa21_name")

    def tbl(name: str) -> pd.DataFrame:
        return census.load_table(name, data_dir, log, known21=k21, known11=k11).set_index("lsoa21_code").reindex(codes)

    age = census.load_age(data_dir, log, known21=k21, known11=k11).set_index("lsoa21_code").reindex(codes)
    dis, ten, dep = tbl("disability"), tbl("tenure"), tbl("household_deprivation")
    # Read (and check) the remaining census tables even if no indicator uses them today.
    tbl("ethnicity")
    tbl("accommodation")
    eng = census.load_english(data_dir, log).merge(msoa, on="msoa21_code", how="left")
    lang_cols = [c for c in census.ENGLISH_COLS[1:] if ":" not in c]
    cannot = [c for c in census.ENGLISH_COLS if "Cannot speak" in c]
    eng["no_english"] = _share(eng[cannot].sum(axis=1), eng[lang_cols].sum(axis=1))
    no_english = geo[["lsoa21_code", "msoa21_name"]].merge(
        eng[["msoa21_name", "no_english"]], on="msoa21_name", how="left"
    ).set_index("lsoa21_code")["no_english"].reindex(codes)

    i25 = imd.load_imd2025_london(data_dir, log, known21=k21, known11=k11).set_index("lsoa21_code").reindex(codes)
    extra = imd.load_iod2025_extra(data_dir, log).set_index("lsoa21_code").reindex(codes)
    i19 = imd.load_imd2019_london(data_dir, log, known11=k11)
    pop = population.load_population(data_dir, log, known11=k11)
    weights = pop.set_index("lsoa11_code")["pop_total_2020"]
    pop_cols = [c for c in pop.columns if c.startswith("pop_")]
    pop21 = to_lsoa21(pop, lk, counts=pop_cols, child_weight=age["total_residents"], lsoa21=codes).set_index("lsoa21_code")
    i19_21 = to_lsoa21(i19, lk, rates=["imd_score", "adult_skills_and_english_language_proficiency_indicator"],
                       parent_weight=weights, lsoa21=codes).set_index("lsoa21_code")
    d = deri.load_deri(data_dir, log, known11=k11)
    d21 = to_lsoa21(d, lk, rates=list(deri.COLS[1:]), parent_weight=weights, lsoa21=codes).set_index("lsoa21_code")

    social = ten["Social rented: Other social rented"] + ten["Social rented: Rents from council or Local Authority"]
    private = ten["Private rented: Other private rented"] + ten["Private rented: Private landlord or letting agency"]
    dep2 = (
        dep["Household is deprived in two dimensions"]
        + dep["Household is deprived in three dimensions"]
        + dep["Household is deprived in four dimensions"]
    )
    computed: dict[str, Callable[[], pd.Series]] = {
        **_iod_and_age(i25, extra, age),
        "ofcom_broadband": lambda: d21["broadband_comp_national"],
        "household_deprivation": lambda: _share(dep2, dep["total_households"]),
        "social_renting": lambda: _share(social, ten["total_households"]),
        "adult_skills_2019": lambda: i19_21["adult_skills_and_english_language_proficiency_indicator"],
        "deri_demography": lambda: d21["demography_comp_national"],
        "no_english": lambda: no_english,
        "disability": lambda: _share(dis["Disabled under the Equality Act"], dis["total_residents"]),
        "aged_55_64": lambda: _share(pop21["pop_55_64_2020"], pop21["pop_total_2020"]),
        "owner_outright": lambda: _share(ten["Owned: Owns outright"], ten["total_households"]),
        "private_renting": lambda: _share(private, ten["total_households"]),
        "aged_25_44": lambda: _share(pop21["pop_25_34_2020"] + pop21["pop_35_44_2020"], pop21["pop_total_2020"]),
        "any_household_deprivation": lambda: 1.0 - _share(dep["Household is not deprived in any dimension"],
                                                           dep["total_households"]),
        "household_size": lambda: _share(age["total_residents"], ten["total_households"]),
        "age_disability": lambda: _age_disability(people, internet),
    }

    # Adults by ONS age band: under-65 bands from mid-2020 shares applied to Census 2021 residents;
    # 65–74 and 75+ straight from Census 2021.
    people = pd.DataFrame(index=pd.Index(codes, name="lsoa21_code"))
    people["residents"] = age["total_residents"].astype(float)
    for band in AGE_BANDS[:5]:
        people[f"adults_{band}"] = _share(pop21[f"pop_{band}_2020"], pop21["pop_total_2020"]) * people["residents"]
    people["adults_65_74"] = (age["aged_65"] + age["aged_66_69"] + age["aged_70_74"]).astype(float)
    people["adults_75_plus"] = age["aged_75_plus"].astype(float)
    people["disabled_share"] = _share(dis["Disabled under the Equality Act"], dis["total_residents"])
    internet = ons_internet.load_internet_use(data_dir, log) if "age_disability" in catalogue.ids else None
    values = _values(catalogue, computed, codes)

    online = online_share.load_online_share(data_dir, log, known11=k11)
    truth = _truth(online, lk, weights, codes)
    comparators = pd.DataFrame(
        {
            "deri_score": d21["deri_score_national"],
            "imd2019_score": i19_21["imd_score"],
            "imd2025_score": i25["IMD_score"],
        },
        index=pd.Index(codes, name="lsoa21_code"),
    )
    notes = [
        f"{int(truth['offline_share'].notna().sum()):,} of {len(codes):,} London LSOAs have an observed online "
        f"share ({int(truth['paper_first'].sum())} paper-first areas left out; the rest are withheld or missing)."
    ]
    on11 = online[~online["paper_first"]].assign(offline_share=lambda f: 1.0 - f["online_share"])
    lsoa11 = (
        d[["lsoa11_code", "deri_score_national"]]
        .merge(i19[["lsoa11_code", "imd_score"]], on="lsoa11_code")
        .merge(on11[["lsoa11_code", "offline_share"]], on="lsoa11_code", how="left")
        .merge(pop[["lsoa11_code", "pop_total_2020"]], on="lsoa11_code")
    )
    return Inputs("london", geo, values, truth, comparators, people, catalogue, log, notes, lsoa11,
                  lk[["lsoa11_code", "lsoa21_code", "change_code"]], internet)


def _iod_and_age(scores: pd.DataFrame, extra: pd.DataFrame, age: pd.DataFrame) -> dict[str, Callable[[], pd.Series]]:
    """The indicators from the IoD 2025 and Census 2021 ages, in London and in England: ``scores`` holds the
    domain scores and the published indicators, ``extra`` the sub-domain indicators (for London a second
    file, for England the same table)."""
    return {
        "broadband_speed": lambda: scores["digital_connectivity_broadband_download_and_upload_speeds"],
        "geographical_barriers": lambda: extra["geographical_barriers_score"],
        "income_deprivation": lambda: scores["Income_score"],
        "older_income_deprivation": lambda: _share(
            scores["income_deprivation_affecting_older_people_index_idaopi_numerator"], age["aged_65_plus"]
        ),
        "overcrowding": lambda: extra["household_overcrowding_indicator_rooms"],
        "employment_deprivation": lambda: scores["Employment_score"],
        "adult_skills": lambda: scores["adult_skills_and_english_language_proficiency_indicator"],
        "education_deprivation": lambda: scores["Education_score"],
        "health_deprivation": lambda: scores["Health_score"],
        "illness_disability_ratio": lambda: extra["comparative_illness_and_disability_ratio_indicator"],
        "mental_health": lambda: extra["mental_health_indicator"],
        "aged_65_plus": lambda: _share(age["aged_65_plus"], age["total_residents"]),
        "aged_75_plus": lambda: _share(age["aged_75_plus"], age["total_residents"]),
        "aged_85_plus": lambda: _share(age["aged_85_plus"], age["total_residents"]),
        "living_environment": lambda: scores["Environment_score"],
        "poor_housing": lambda: extra["indoors_score"],
        "housing_barriers": lambda: extra["wider_barriers_score"],
        "older_poor_count": lambda: scores["income_deprivation_affecting_older_people_index_idaopi_numerator"],
        "workless_count": lambda: extra["employment_domain_numerator"],
    }


def _age_disability(people: pd.DataFrame, internet: ons_internet.InternetUseTables | None) -> pd.Series:
    """Expected share of adults offline from the area's age × disability mix at ONS's national rates."""
    from boroughs.inclusion.build.estimate import expected_offline

    assert internet is not None
    base = expected_offline(people, internet)
    return _share(base["offline_expected_raw"], base["adults"])


def _values(catalogue: Catalogue, computed: dict[str, Callable[[], pd.Series]], codes: list[str]) -> pd.DataFrame:
    unknown = [i for i in catalogue.ids if i not in computed]
    if unknown:
        raise DataError(catalogue.path, f"no computation for indicator(s) {', '.join(unknown)}",
                        hint="Add them to boroughs/inclusion/build/indicators.py")
    values = pd.DataFrame(index=pd.Index(codes, name="lsoa21_code"))
    for ind in catalogue.ids:
        values[ind] = pd.to_numeric(computed[ind](), errors="coerce").reindex(codes).to_numpy(dtype=float)
    return values


def _england(data_dir: Path | None, catalogue: Catalogue) -> Inputs:
    log = InputLog()
    cat = catalogue.subset([i.id for i in catalogue.indicators if i.england])
    geo = lookups.england_lsoa21(data_dir, log)
    codes = list(geo["lsoa21_code"])
    k21 = set(codes)
    lk_all = lookups.load_lsoa11_lsoa21(data_dir, log)
    lk = lk_all[lk_all["lsoa21_code"].isin(k21)]
    k11 = set(lk["lsoa11_code"])
    geo["msoa21_code"] = pd.NA
    age = census.load_age_england(data_dir, log, known21=k21, known11=k11).set_index("lsoa21_code").reindex(codes)
    iod = imd.load_iod2025_england(data_dir, log).set_index("lsoa21_code").reindex(codes)
    computed = _iod_and_age(iod, iod, age)
    values = _values(cat, computed, codes)
    pop15 = imd.load_population_2015_england(data_dir, log).set_index("lsoa11_code")["pop_2015"]
    online = online_share.load_online_share(data_dir, log, england=True)
    online = online[online["lsoa11_code"].isin(k11)]
    truth = _truth(online, lk, pop15, codes)
    london = geo["region24_code"].eq(LONDON_REGION).to_numpy()
    truth["london"] = london
    d = deri.load_deri(data_dir, log, england=True)
    d21 = to_lsoa21(d, lk, rates=["deri_score_national"], parent_weight=pop15, lsoa21=codes).set_index("lsoa21_code")
    i19 = imd.load_imd2019_england(data_dir, log)
    i19_21 = to_lsoa21(i19, lk, rates=["imd_score"], parent_weight=pop15, lsoa21=codes).set_index("lsoa21_code")
    comparators = pd.DataFrame(
        {"deri_score": d21["deri_score_national"], "imd2019_score": i19_21["imd_score"],
         "imd2025_score": iod["IMD_score"]},
        index=pd.Index(codes, name="lsoa21_code"),
    )
    people = pd.DataFrame({"residents": age["total_residents"].astype(float)}, index=pd.Index(codes, name="lsoa21_code"))
    geo = geo.rename(columns={"region24_code": "region_code", "region24_name": "region_name"})
    notes = ["England mode: indicators that exist nationally (IoD2025, Census 2021 age); validated outside London."]
    return Inputs("england", geo, values, truth, comparators, people, cat, log, notes)
