"""Each council's own working-age Council Tax Reduction scheme, as versioned data: ``councils/<ONS code>.yaml``.

Every London borough sets its own scheme for working-age residents; pensioners are under England's national
scheme (the rates files). A file lists the scheme's figures from the date each applies, each naming its source.
The summary page shows the scheme in force, and :mod:`.working_age` estimates the working-age reduction
with it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from boroughs.core.errors import DataError

COUNCILS_DIR = Path(__file__).parent / "councils"
REQUIRED = ("maximum_share", "taper", "capital_limit", "non_dependant_deduction_highest")


@dataclass(frozen=True)
class WorkingAgeScheme:
    council: str
    name: str
    applies_from: dt.date
    maximum_share: float
    taper: float
    capital_limit: float
    non_dependant_deduction_highest: float  # a week, for one non-dependant on the highest income band
    tariff_from: float | None
    tariff_per: float | None
    sources: tuple[str, ...]  # "title (url)" of every source the figures cite

    def describe(self) -> str:
        text = (f"up to {self.maximum_share:.0%} of the bill, less {self.taper:.0%} of income above the applicable "
                f"amount; nothing with savings over £{self.capital_limit:,.0f}")
        if self.tariff_from is not None and self.tariff_per is not None:
            text += f" (£1 a week counted for every £{self.tariff_per:,.0f} over £{self.tariff_from:,.0f})"
        return text


def load_file(path: Path) -> list[WorkingAgeScheme]:
    raw = yaml.safe_load(path.read_text()) or {}
    sources = raw.get("sources") or {}
    if raw.get("council") != path.stem:
        raise DataError(path, f"council {raw.get('council')!r} does not match the file name")
    out = []
    for i, s in enumerate(raw.get("schemes") or [], start=1):
        cited = []
        for key in (*REQUIRED, "tariff_income"):
            item = s.get(key)
            if item is None and key == "tariff_income":
                continue
            if not isinstance(item, dict):
                raise DataError(path, f"schemes[{i}].{key} is missing")
            if item.get("source") not in sources:
                raise DataError(path, f"schemes[{i}].{key} cites {item.get('source')!r}, which is not under sources")
            cited.append(item["source"])
        tariff: dict[str, Any] = s.get("tariff_income") or {}
        out.append(WorkingAgeScheme(
            council=path.stem, name=str(raw.get("name", path.stem)), applies_from=s["applies_from"],
            maximum_share=float(s["maximum_share"]["value"]), taper=float(s["taper"]["value"]),
            capital_limit=float(s["capital_limit"]["value"]),
            non_dependant_deduction_highest=float(s["non_dependant_deduction_highest"]["value"]),
            tariff_from=float(tariff["from"]) if tariff else None, tariff_per=float(tariff["per"]) if tariff else None,
            sources=tuple(f"{sources[c]['title']} ({sources[c]['url']})" for c in dict.fromkeys(cited))))
    return out


@cache
def _all() -> dict[str, list[WorkingAgeScheme]]:
    return {p.stem: load_file(p) for p in sorted(COUNCILS_DIR.glob("*.yaml"))}


def working_age_scheme(ons_code: str | None, day: dt.date) -> WorkingAgeScheme | None:
    """The council's scheme in force on ``day``, or ``None`` when the project holds none for it."""
    current = [s for s in _all().get(ons_code or "", []) if s.applies_from <= day]
    return max(current, key=lambda s: s.applies_from) if current else None
