"""What early-warning rules can refer to: the measures on each source's records, the resident fields,
the signals other parts add (``register_signal``), protected characteristics, and how values and dates are
written in explanations."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from boroughs.support.records.schemas import SCHEMAS

RULE_LANGUAGE_VERSION = "1.0"
RULES_DIR = Path(__file__).resolve().parent
SEVERITIES = ("high", "medium", "low")
SEVERITY_RANK = {"high": 3, "medium": 2, "low": 1}
DEFAULT_MAX_SHARE = 0.05
DEFAULT_DISPARITY_THRESHOLD = 1.5
MAX_DAYS = 366  # histories hold twelve months: a longer window can never be seen whole
RULE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")

NUMERIC_OPS = ("at_least", "more_than", "at_most", "less_than", "equals")
OP_WORDS = {"at_least": "at least", "more_than": "more than", "at_most": "at most", "less_than": "less than",
            "equals": "exactly"}
KINDS = ("latest", "change", "stopped", "record", "count", "resident")


# --------------------------------------------------------------------------------------------------------
# what rules can refer to


@dataclass(frozen=True)
class MeasureInfo:
    source: str
    name: str
    label: str  # "council tax arrears"
    unit: Literal["gbp", "gbp_week", "weeks", "flag", "text"]
    lower: float | None = None  # the smallest value the measure can take
    upper: float | None = None
    derived_from: tuple[str, str] | None = None  # (numerator, denominator) on the same record and date


SOURCE_LABELS = {
    "council_tax": "council tax", "rent": "rent", "hb_ctr": "housing benefit and council tax reduction claim",
    "fsm": "free school meals", "asc_contact": "adult social care contact",
    "homelessness": "homelessness approach", "vcs_concern": "concern from a VCS partner",
}

_LABELS: dict[tuple[str, str], tuple[str, str]] = {
    ("council_tax", "balance"): ("council tax balance", "gbp"),
    ("council_tax", "arrears"): ("council tax arrears", "gbp"),
    ("council_tax", "ctr_award_weekly"): ("council tax reduction award", "gbp_week"),
    ("rent", "arrears"): ("rent arrears", "gbp"),
    ("rent", "weekly_rent"): ("weekly rent", "gbp_week"),
    ("hb_ctr", "hb_award_weekly"): ("housing benefit award", "gbp_week"),
    ("hb_ctr", "ctr_award_weekly"): ("council tax reduction award on the benefit claim", "gbp_week"),
    ("hb_ctr", "household_income_weekly"): ("assessed household income", "gbp_week"),
    ("fsm", "eligible"): ("free school meals eligibility", "flag"),
}


def _measures() -> dict[tuple[str, str], MeasureInfo]:
    out: dict[tuple[str, str], MeasureInfo] = {}
    for key, schema in SCHEMAS.items():
        for m in schema.measures:
            label, unit = _LABELS.get((key, m.name), (m.description.rstrip(".").lower(), "text"))
            lower = 0.0 if unit in ("gbp", "gbp_week", "flag") and m.name != "balance" else None
            upper = 1.0 if unit == "flag" else None
            out[(key, m.name)] = MeasureInfo(key, m.name, label, unit, lower, upper)  # type: ignore[arg-type]
    out[("rent", "arrears_weeks")] = MeasureInfo("rent", "arrears_weeks", "rent arrears in weeks of rent",
                                                  "weeks", 0.0, None, ("arrears", "weekly_rent"))
    return out


MEASURES = _measures()
RESIDENT_FIELDS: dict[str, str] = {"age": "number", "sex": "choice", "ethnicity": "choice", "disability": "boolean"}
RESIDENT_RANGES: dict[str, tuple[float, float | None]] = {"age": (0, 115)}


@dataclass(frozen=True)
class ResidentSignal:
    """A rule type other parts plug in: a number worked out for each resident that a rule's ``resident``
    condition can test (``resident: {field: <field>, at_least: 10}``).

    ``compute(records, residents, as_of)`` gets the evaluation's source records (by dataset key) and
    residents and returns one value per resident (0 where there is nothing to say); only residents with a
    value above 0 can meet the condition. ``describe(bounds)`` says the condition in plain English and
    ``explain(value)`` the fact an officer reads on a flag. See ``docs/examples/rule_signal.py``.
    """

    field: str
    compute: Callable[[Mapping[str, pd.DataFrame], pd.DataFrame, dt.date], pd.Series]
    describe: Callable[[tuple[tuple[str, float], ...]], str]
    explain: Callable[[float], str]
    lower: float = 0.0
    upper: float | None = None


SIGNALS: dict[str, ResidentSignal] = {}


def register_signal(signal: ResidentSignal) -> ResidentSignal:
    """Let rules test ``signal.field`` (e.g. support/entitlements' ``pension_credit_missing_weekly``)."""
    if signal.field in RESIDENT_FIELDS and signal.field not in SIGNALS:
        raise ValueError(f"{signal.field!r} is already a resident field")
    SIGNALS[signal.field] = signal
    RESIDENT_FIELDS[signal.field] = "number"
    RESIDENT_RANGES[signal.field] = (signal.lower, signal.upper)
    return signal
RESIDENT_CHOICES = {
    "sex": SCHEMAS["council_tax"].field("sex").choices,
    "ethnicity": SCHEMAS["council_tax"].field("ethnicity").choices,
}


def event_sources() -> list[str]:
    """Datasets whose every record is a dated event (``count`` works on these)."""
    return [k for k, s in SCHEMAS.items() if s.record_event_date]


def record_fields(source: str) -> dict[str, Any]:
    """The dataset's own (non-person) fields a ``where`` can test."""
    from boroughs.support.records.schemas import PERSON_FIELDS

    skip = {*PERSON_FIELDS, "record_id", "sex", "ethnicity", "disability", "lsoa21_code", "synthetic"}
    return {f.name: f for f in SCHEMAS[source].fields if f.name not in skip}



# --------------------------------------------------------------------------------------------------------
# formatting facts


def format_value(v: float | None, unit: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "nothing recorded"
    if unit == "gbp":
        return f"£{v:,.2f}"
    if unit == "gbp_week":
        return f"£{v:,.2f} a week"
    if unit == "weeks":
        return f"{v:,.1f} weeks"
    if unit == "flag":
        return "yes" if v >= 0.5 else "no"
    return f"{v:g}"


def format_date(d: dt.date | pd.Timestamp) -> str:
    return f"{d.day} {d.strftime('%B %Y')}"
