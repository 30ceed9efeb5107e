"""Benefit rates and rules as versioned data: one YAML file per benefit year in ``rates/``.

Each figure names a source declared in its file (a gov.uk page or a statutory instrument) and each file the
date it applies from. Nothing here is a figure: this module reads, validates and chooses files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from boroughs.core.errors import DataError

RATES_DIR = Path(__file__).parent / "rates"
SPA_FILE = Path(__file__).parent / "state_pension_age.yaml"


@dataclass(frozen=True)
class HousingSupportRates:
    """Pension-age Housing Benefit and England's national pensioner Council Tax Reduction scheme.

    Both use one applicable amount: the personal allowance (by whether anyone on the claim reached State
    Pension age before ``cutoff``) plus the severe disability and carer premiums (the same amounts as Pension
    Credit's additions). ``derived`` names the figures worked out by the circular's rule rather than read from
    a published table, so an explanation can say so.
    """

    allowance_before_single: float
    allowance_before_couple: float
    allowance_from_single: float
    allowance_from_couple: float
    cutoff: dt.date
    hb_taper: float
    ctr_taper: float
    ctr_maximum_share: float
    capital_limit: float
    passport: bool
    derived: frozenset[str]


@dataclass(frozen=True)
class PensionCreditRates:
    year: str
    applies_from: dt.date
    smg_single: float
    smg_couple: float
    severe_disability_each: float
    carer_each: float
    sc_threshold_single: float
    sc_threshold_couple: float
    sc_max_single: float
    sc_max_couple: float
    sc_rate: float
    sc_taper: float
    capital_disregard: float
    deemed_per: float
    deemed_weekly: float
    earnings_disregard_single: float
    earnings_disregard_couple: float
    sc_spa_before: dt.date | None
    sc_min_age: int | None
    sources: dict[str, dict[str, str]]
    historical: bool = False
    housing: HousingSupportRates | None = None

    def source_of(self, key: str) -> str:
        s = self.sources[key]
        return f"{s['title']} ({s['url']})"


def _figure(block: dict[str, Any], path: Path, key: str, *names: str, section: str = "pension_credit") -> list[Any]:
    item = block.get(key)
    if not isinstance(item, dict):
        raise DataError(path, f"{section}.{key} is missing")
    if "source" not in item:
        raise DataError(path, f"{section}.{key} names no source")
    out = []
    for n in names:
        if n not in item:
            raise DataError(path, f"{section}.{key}.{n} is missing")
        out.append(item[n])
    return out


def _housing(raw: dict[str, Any], path: Path, sources: dict[str, Any]) -> HousingSupportRates | None:
    block = raw.get("housing_support_pensioner")
    if block is None:
        return None
    section = "housing_support_pensioner"
    derived: set[str] = set()
    for key, item in block.items():
        cited = item.get("source") if isinstance(item, dict) else None
        if cited not in sources:
            raise DataError(path, f"{section}.{key} cites {cited!r}, which is not under sources")
        if sources[item["source"]].get("derived"):
            derived.update(f"{key}.{n}" for n in item if n not in ("source", "derived"))
        derived.update(f"{key}.{n}" for n in item.get("derived", ()))

    def fig(key: str, *names: str) -> list[Any]:
        return _figure(block, path, key, *names, section=section)

    before = fig("personal_allowance_before_2021", "single", "couple")
    after = fig("personal_allowance_from_2021", "single", "couple")
    if fig("premiums", "same_as")[0] != "pension_credit":
        raise DataError(path, f"{section}.premiums: only 'same_as: pension_credit' is understood")
    return HousingSupportRates(
        allowance_before_single=float(before[0]), allowance_before_couple=float(before[1]),
        allowance_from_single=float(after[0]), allowance_from_couple=float(after[1]),
        cutoff=fig("allowance_cutoff", "reached_state_pension_age_before")[0],
        hb_taper=float(fig("housing_benefit_taper", "value")[0]),
        ctr_taper=float(fig("council_tax_reduction_taper", "value")[0]),
        ctr_maximum_share=float(fig("council_tax_reduction_maximum_share", "value")[0]),
        capital_limit=float(fig("capital_limit", "value")[0]),
        passport=bool(fig("guarantee_credit_passport", "value")[0]),
        derived=frozenset(derived),
    )


def load_file(path: Path) -> PensionCreditRates:
    raw = yaml.safe_load(path.read_text())
    sources = raw.get("sources") or {}
    pc = raw.get("pension_credit") or {}
    for key, item in pc.items():
        if isinstance(item, dict) and item.get("source") not in sources:
            raise DataError(path, f"pension_credit.{key} cites {item.get('source')!r}, which is not under sources")
    smg = _figure(pc, path, "standard_minimum_guarantee", "single", "couple")
    thr = _figure(pc, path, "savings_credit_threshold", "single", "couple")
    mx = _figure(pc, path, "savings_credit_maximum", "single", "couple")
    ed = _figure(pc, path, "earnings_disregard", "single", "couple")
    deemed = _figure(pc, path, "deemed_income", "per", "weekly")
    elig = pc.get("savings_credit_eligibility") or {}
    return PensionCreditRates(
        year=str(raw["year"]), applies_from=raw["applies_from"],
        smg_single=float(smg[0]), smg_couple=float(smg[1]),
        severe_disability_each=float(_figure(pc, path, "severe_disability_addition", "each")[0]),
        carer_each=float(_figure(pc, path, "carer_addition", "each")[0]),
        sc_threshold_single=float(thr[0]), sc_threshold_couple=float(thr[1]),
        sc_max_single=float(mx[0]), sc_max_couple=float(mx[1]),
        sc_rate=float(_figure(pc, path, "savings_credit_rate", "value")[0]),
        sc_taper=float(_figure(pc, path, "savings_credit_taper", "value")[0]),
        capital_disregard=float(_figure(pc, path, "capital_disregard", "value")[0]),
        deemed_per=float(deemed[0]), deemed_weekly=float(deemed[1]),
        earnings_disregard_single=float(ed[0]), earnings_disregard_couple=float(ed[1]),
        sc_spa_before=elig.get("reached_state_pension_age_before"), sc_min_age=elig.get("minimum_age"),
        sources={k: {"title": str(v["title"]), "url": str(v["url"])} for k, v in sources.items()},
        historical=bool(raw.get("historical", False)),
        housing=_housing(raw, path, sources),
    )


@cache
def all_years() -> dict[str, PensionCreditRates]:
    return {r.year: r for r in (load_file(p) for p in sorted(RATES_DIR.glob("*.yaml")))}


def for_year(year: str) -> PensionCreditRates:
    years = all_years()
    if year not in years:
        raise KeyError(f"no rates for {year!r}; known: {', '.join(sorted(years))}")
    return years[year]


def for_date(day: dt.date) -> PensionCreditRates:
    """The current (non-historical) rates in force on ``day``."""
    current = [r for r in all_years().values() if not r.historical and r.applies_from <= day]
    if not current:
        raise KeyError(f"no rates in force on {day.isoformat()}")
    return max(current, key=lambda r: r.applies_from)


@cache
def _spa() -> dict[str, Any]:
    return dict(yaml.safe_load(SPA_FILE.read_text()))


def state_pension_age_date(dob: dt.date) -> dt.date:
    """The day someone born on ``dob`` reaches State Pension age (from the data file; born 1953-12-06 on)."""
    spa = _spa()
    if dob < spa["phased_from"]:
        years, months = int(spa["born_before_1960_04_06"]["years"]), 0
    elif dob <= spa["phased_until"]:
        years = int(spa["phased_base_years"])
        months = (dob.year - 1960) * 12 + dob.month - 4 + (0 if dob.day >= 6 else -1) + 1
    else:
        years, months = int(spa["born_after_1961_03_05"]["years"]), 0
    total = dob.year * 12 + (dob.month - 1) + years * 12 + months
    y, m = divmod(total, 12)
    day = min(dob.day, [31, 29 if y % 4 == 0 and (y % 100 or y % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31,
                        30, 31][m])
    return dt.date(y, m + 1, day)
