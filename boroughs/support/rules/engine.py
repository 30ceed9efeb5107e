"""Explainable early-warning rules: a declarative rule language, its checks, and a vectorised evaluator.

A council's rules are data: a YAML rule file (``boroughs/support/rules/<council>.yaml`` is the demo's
starting point; the versions a council drafts, approves and runs live in ``support_rule_set``). Each rule
is a list of *conditions* over a resident's linked records and their change over time; a resident is
flagged by a rule when every condition in ``all`` holds (and at least one in ``any``, when given). Each
flag carries the rule's severity and the exact facts that made it fire (values, dates and source
records), in plain English.

Condition kinds (``docs/support/early-warning.md`` is the full reference, checked by a test):

``latest``
    the value of a measure on a record at the evaluation date: ``{source, measure, at_least | more_than |
    at_most | less_than | equals}``.
``change``
    how a measure moved over the last ``days``: ``{source, measure, days, rose_by_at_least |
    fell_by_at_least}``.
``stopped``
    a measure that was above zero ``days`` ago and is zero now (an award that ended):
    ``{source, measure, days}``.
``record``
    the resident has a record in ``source``, optionally ``where`` its fields equal given values.
``count``
    at least ``at_least`` dated records (contacts, approaches, concerns) in the last ``days``, optionally
    ``where`` their fields equal given values.
``resident``
    an attribute of the resident: ``{field: age | sex | ethnicity | disability, ...}``.

The evaluator works on pandas frames (``Frames``) built from the linked records, whatever holds them: the
database (``rules_data.frames_from_db``) or the files of ``boroughs support synth``
(``rules_data.frames_from_synth``). Each condition is computed for every resident at once, so all of a
council's rules over 300,000 residents take a few seconds (``benchmarks/support_rules.py``).

Residents who objected to proactive profiling are removed before any condition is evaluated, and once more
from the result.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml

from boroughs.core.errors import ValidationFailed
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
# the rule language


# Protected characteristics (Equality Act 2010) a rule may use only with a recorded justification (issue 17),
# and the proxies for them the rule language can reach. docs/support/early-warning.md lists the same (a test
# checks it). No dataset holds religion or belief directly.
PROTECTED_CHARACTERISTICS = {"age": "age", "sex": "sex", "ethnicity": "race (ethnic group)",
                             "disability": "disability", "religion": "religion or belief"}
PROXY_SOURCES = {"asc_contact": ("disability", "age")}  # adult social care contacts
PROXY_WHERE = {  # (source or "*", field, value or "*") -> characteristics
    ("*", "sex", "*"): ("sex",), ("*", "ethnicity", "*"): ("ethnicity",), ("*", "disability", "*"): ("disability",),
    ("asc_contact", "reason", "mental health"): ("disability",),
    ("vcs_concern", "category", "mental health"): ("disability",),
    ("homelessness", "reason", "domestic abuse"): ("sex",),
    ("fsm", "school", "*"): ("religion",),  # a school can be a faith school
}
MIN_JUSTIFICATION = 20  # characters: a reason, not a placeholder


def protected_uses(conditions: Iterable[Condition]) -> list[str]:
    """Each protected characteristic the conditions use, once, saying whether directly or via a proxy."""
    found: dict[str, str] = {}
    for c in conditions:
        if c.kind == "resident" and c.field in PROTECTED_CHARACTERISTICS:
            found[c.field] = f"{PROTECTED_CHARACTERISTICS[c.field]} (directly)"
        for ch in PROXY_SOURCES.get(c.source or "", ()):
            found.setdefault(ch, f"{PROTECTED_CHARACTERISTICS[ch]} (through {SOURCE_LABELS[c.source or '']}s, "
                                 "a proxy)")
        for k, v in c.where:
            for (src, fname, value), chars in PROXY_WHERE.items():
                if src in ("*", c.source) and fname == k and value in ("*", v):
                    for ch in chars:
                        how = "directly" if src == "*" else f"through {k.replace('_', ' ')} {v!r}, a proxy"
                        found.setdefault(ch, f"{PROTECTED_CHARACTERISTICS[ch]} ({how})")
    return [found[k] for k in PROTECTED_CHARACTERISTICS if k in found]


@dataclass(frozen=True)
class Condition:
    kind: str
    source: str | None = None
    measure: str | None = None
    field: str | None = None
    days: int | None = None
    bounds: tuple[tuple[str, float], ...] = ()  # (op, value) for latest/resident numeric
    where: tuple[tuple[str, str], ...] = ()
    at_least: int | None = None  # count
    rose_by: float | None = None
    fell_by: float | None = None
    value: Any = None  # resident choice/boolean

    def describe(self) -> str:
        """The condition in plain English (for the workbench and the ATRS record)."""
        src = SOURCE_LABELS.get(self.source or "", self.source or "")
        where = "".join(f", {k.replace('_', ' ')} {v!r}" for k, v in self.where)
        if self.kind == "latest":
            info = MEASURES[(self.source or "", self.measure or "")]
            b = " and ".join(f"{OP_WORDS[op]} {format_value(v, info.unit)}" for op, v in self.bounds)
            return f"{info.label} is {b}"
        if self.kind == "change":
            info = MEASURES[(self.source or "", self.measure or "")]
            if self.rose_by is not None:
                return f"{info.label} rose by {format_value(self.rose_by, info.unit)} or more in {self.days} days"
            return f"{info.label} fell by {format_value(self.fell_by or 0, info.unit)} or more in {self.days} days"
        if self.kind == "stopped":
            info = MEASURES[(self.source or "", self.measure or "")]
            return f"{info.label} stopped in the last {self.days} days"
        if self.kind == "record":
            return f"has a {src} record{where}"
        if self.kind == "count":
            return f"at least {self.at_least} {src} records{where} in {self.days} days"
        if self.kind == "resident":
            if self.field in SIGNALS:
                return SIGNALS[self.field].describe(self.bounds)
            if self.bounds:
                b = " and ".join(f"{OP_WORDS[op]} {v:g}" for op, v in self.bounds)
                return f"{self.field} is {b}"
            return f"{self.field} is {self.value!r}"
        return self.kind


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: str
    all: tuple[Condition, ...]
    any: tuple[Condition, ...] = ()
    description: str = ""
    justification: str = ""  # why a rule using a protected characteristic (or a proxy) is fair (issue 17)

    @property
    def conditions(self) -> tuple[Condition, ...]:
        return self.all + self.any

    @property
    def protected(self) -> list[str]:
        """The protected characteristics the rule uses, directly or through a proxy, in plain English."""
        return protected_uses(self.conditions)

    def describe(self) -> str:
        text = " and ".join(c.describe() for c in self.all)
        if self.any:
            alt = " or ".join(c.describe() for c in self.any)
            text = f"{text} and ({alt})" if text else alt
        return text[:1].upper() + text[1:] + "."


@dataclass(frozen=True)
class RuleSet:
    council: str
    title: str
    rules: tuple[Rule, ...]
    max_share: float = DEFAULT_MAX_SHARE
    disparity_threshold: float = DEFAULT_DISPARITY_THRESHOLD
    language: str = RULE_LANGUAGE_VERSION
    meta: Mapping[str, Any] = field(default_factory=dict)  # version, author, approved_by, approved_on

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)


class RuleError(ValidationFailed):
    """A rule file that cannot be used; ``problems`` lists every problem, each naming the rule and field."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("The rules cannot be used: " + " ".join(problems))


def _num(problems: list[str], where: str, key: str, v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or (isinstance(v, float) and not math.isfinite(v)):
        problems.append(f"{where}: {key} must be a number, not {v!r}.")
        return None
    return float(v)


def _days(problems: list[str], where: str, v: Any) -> int | None:
    if v is None:
        problems.append(f"{where}: give days (how far back to look, in days).")
        return None
    if isinstance(v, bool) or not isinstance(v, int):
        problems.append(f"{where}: days must be a whole number, not {v!r}.")
        return None
    if v < 1 or v > MAX_DAYS:
        problems.append(f"{where}: days must be between 1 and {MAX_DAYS} (histories hold twelve months), "
                        f"not {v}; the condition could never be true.")
        return None
    return v


def _bounds_possible(bounds: Iterable[tuple[str, float]], lower: float | None, upper: float | None) -> bool:
    """Whether some value in [lower, upper] satisfies every bound."""
    lo, lo_strict = (-math.inf if lower is None else lower), False
    hi, hi_strict = (math.inf if upper is None else upper), False
    for op, v in bounds:
        if op in ("at_least", "equals") and v >= lo:
            lo, lo_strict = (v, False) if v > lo or not lo_strict else (lo, lo_strict)
        if op == "more_than" and v >= lo:
            lo, lo_strict = v, True
        if op in ("at_most", "equals") and v <= hi:
            hi, hi_strict = (v, False) if v < hi or not hi_strict else (hi, hi_strict)
        if op == "less_than" and v <= hi:
            hi, hi_strict = v, True
    if lo < hi:
        return True
    return lo == hi and not lo_strict and not hi_strict


def _where(problems: list[str], where_label: str, source: str, raw: Any) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict) or not raw:
        problems.append(f"{where_label}: where must be a list of field: value pairs.")
        return ()
    fields = record_fields(source)
    out = []
    for k, v in raw.items():
        if k not in fields:
            problems.append(f"{where_label}: {SCHEMAS[source].title.lower()} have no field {k!r}; "
                            f"use one of {', '.join(sorted(fields))}.")
            continue
        f = fields[k]
        if isinstance(v, (dict, list)):
            problems.append(f"{where_label}: {k} must be a single value, not {v!r}.")
            continue
        text = str(v).lower() if isinstance(v, bool) else str(v)
        if f.type == "choice" and text.lower() not in [c.lower() for c in f.choices]:
            problems.append(f"{where_label}: {k} is never {v!r} (it is one of {', '.join(f.choices)}), "
                            "so the condition could never be true.")
            continue
        if f.type in ("integer", "decimal"):
            try:
                float(text)
            except ValueError:
                problems.append(f"{where_label}: {k} is a number, not {v!r}.")
                continue
        out.append((k, text))
    return tuple(out)


def _condition(problems: list[str], label: str, raw: Any) -> Condition | None:
    if not isinstance(raw, dict) or len(raw) != 1:
        problems.append(f"{label}: each condition is one of {', '.join(KINDS)} with its settings, "
                        f"for example 'latest: {{source: rent, measure: arrears, at_least: 500}}'.")
        return None
    kind, spec = next(iter(raw.items()))
    if kind not in KINDS:
        problems.append(f"{label}: unknown condition {kind!r}; use one of {', '.join(KINDS)}.")
        return None
    if not isinstance(spec, dict):
        problems.append(f"{label}: {kind} needs settings, for example {{source: ..., ...}}.")
        return None
    label = f"{label} ({kind})"
    allowed = {
        "latest": {"source", "measure", *NUMERIC_OPS},
        "change": {"source", "measure", "days", "rose_by_at_least", "fell_by_at_least"},
        "stopped": {"source", "measure", "days"},
        "record": {"source", "where"},
        "count": {"source", "where", "days", "at_least"},
        "resident": {"field", "equals", "at_least", "more_than", "at_most", "less_than"},
    }[kind]
    unknown = sorted(set(spec) - allowed)
    if unknown:
        problems.append(f"{label}: unknown setting {', '.join(map(repr, unknown))}; "
                        f"{kind} takes {', '.join(sorted(allowed))}.")
        return None
    n_before = len(problems)
    if kind == "resident":
        fname = spec.get("field")
        if fname not in RESIDENT_FIELDS:
            problems.append(f"{label}: unknown field {fname!r}; use one of {', '.join(RESIDENT_FIELDS)}.")
            return None
        ftype = RESIDENT_FIELDS[fname]
        if ftype == "number":
            bounds = []
            for op in NUMERIC_OPS:
                if op in spec:
                    v = _num(problems, label, op, spec[op])
                    if v is not None:
                        bounds.append((op, v))
            if not bounds and len(problems) == n_before:
                problems.append(f"{label}: give at least one of {', '.join(NUMERIC_OPS)} for {fname}.")
            if bounds and not _bounds_possible(bounds, *RESIDENT_RANGES.get(fname, (0, 115))):
                problems.append(f"{label}: no {fname} satisfies these limits, so the condition could never be true.")
            return Condition("resident", field=fname, bounds=tuple(bounds)) if len(problems) == n_before else None
        if set(spec) - {"field", "equals"} or "equals" not in spec:
            problems.append(f"{label}: {fname} takes only equals.")
            return None
        value = spec["equals"]
        if ftype == "boolean":
            if not isinstance(value, bool):
                problems.append(f"{label}: disability equals true or false, not {value!r}.")
                return None
        elif str(value) not in RESIDENT_CHOICES[fname]:
            problems.append(f"{label}: {fname} is never {value!r} (it is one of "
                            f"{', '.join(RESIDENT_CHOICES[fname])}), so the condition could never be true.")
            return None
        return Condition("resident", field=fname, value=value)

    source = spec.get("source")
    if source not in SCHEMAS:
        problems.append(f"{label}: unknown source {source!r}; use one of {', '.join(SCHEMAS)}.")
        return None
    if kind in ("latest", "change", "stopped"):
        measure = spec.get("measure")
        info = MEASURES.get((source, measure))  # type: ignore[arg-type]
        if info is None:
            known = sorted(m for s, m in MEASURES if s == source)
            problems.append(f"{label}: {source} has no measure {measure!r}; "
                            + (f"use one of {', '.join(known)}." if known else "it has no measures over time."))
            return None
        if kind == "latest":
            bounds = []
            for op in NUMERIC_OPS:
                if op in spec:
                    v = _num(problems, label, op, spec[op])
                    if v is not None:
                        bounds.append((op, v))
            if not bounds and len(problems) == n_before:
                problems.append(f"{label}: give at least one of {', '.join(NUMERIC_OPS)}.")
            if bounds and not _bounds_possible(bounds, info.lower, info.upper):
                problems.append(f"{label}: no {info.label} satisfies these limits"
                                + (f" (it is never below {format_value(info.lower, info.unit)})"
                                   if info.lower is not None else "")
                                + ", so the condition could never be true.")
            return Condition("latest", source, measure, bounds=tuple(bounds)) if len(problems) == n_before else None
        days = _days(problems, label, spec.get("days"))
        if kind == "stopped":
            return Condition("stopped", source, measure, days=days) if len(problems) == n_before else None
        rose = spec.get("rose_by_at_least")
        fell = spec.get("fell_by_at_least")
        if (rose is None) == (fell is None):
            problems.append(f"{label}: give exactly one of rose_by_at_least or fell_by_at_least.")
            return None
        amount = _num(problems, label, "rose_by_at_least" if rose is not None else "fell_by_at_least",
                      rose if rose is not None else fell)
        if amount is not None and amount <= 0:
            problems.append(f"{label}: the change must be more than zero, not {amount:g}.")
        if (amount is not None and info.lower is not None and info.upper is not None
                and amount > info.upper - info.lower):
            problems.append(f"{label}: {info.label} can never change by {amount:g}, so the condition could never be true.")
        if len(problems) != n_before:
            return None
        return Condition("change", source, measure, days=days,
                         rose_by=amount if rose is not None else None, fell_by=amount if fell is not None else None)
    where = _where(problems, label, source, spec.get("where"))
    if kind == "record":
        return Condition("record", source, where=where) if len(problems) == n_before else None
    if source not in event_sources():
        problems.append(f"{label}: {source} records are not dated events; count works on "
                        f"{', '.join(event_sources())}. Use record instead.")
        return None
    days = _days(problems, label, spec.get("days"))
    n = spec.get("at_least")
    if isinstance(n, bool) or not isinstance(n, int):
        problems.append(f"{label}: at_least must be a whole number, not {n!r}.")
    elif n < 1:
        problems.append(f"{label}: at_least must be 1 or more.")
    if len(problems) != n_before:
        return None
    return Condition("count", source, days=days, where=where, at_least=n)


def parse_rules(text: str, *, council: str | None = None) -> RuleSet:
    """Read and check a rule file; raises ``RuleError`` listing every problem in plain English."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise RuleError([f"The rule file is not valid YAML{where}: {getattr(exc, 'problem', exc)}."]) from None
    if not isinstance(raw, dict):
        raise RuleError(["The rule file must start with council:, title: and rules:."])
    problems: list[str] = []
    unknown = sorted(set(raw) - {"council", "title", "language", "settings", "rules", "version", "author",
                                 "approved_by", "approved_on", "synthetic_demo"})
    if unknown:
        problems.append(f"Unknown top-level setting {', '.join(map(repr, unknown))}.")
    code = str(raw.get("council") or council or "")
    if council and code and code != council:
        problems.append(f"The file is for council {code}, not {council}.")
    settings = raw.get("settings") or {}
    if not isinstance(settings, dict):
        problems.append("settings must be a list of name: value pairs.")
        settings = {}
    bad = sorted(set(settings) - {"max_share", "disparity_threshold"})
    if bad:
        problems.append(f"Unknown setting {', '.join(map(repr, bad))}; use max_share or disparity_threshold.")
    max_share = settings.get("max_share", DEFAULT_MAX_SHARE)
    if isinstance(max_share, bool) or not isinstance(max_share, (int, float)) or not 0 < max_share <= 1:
        problems.append(f"settings: max_share is the largest share of residents one rule may flag, between 0 "
                        f"and 1 (0.05 is 5%), not {max_share!r}.")
        max_share = DEFAULT_MAX_SHARE
    threshold = settings.get("disparity_threshold", DEFAULT_DISPARITY_THRESHOLD)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or threshold <= 1:
        problems.append(f"settings: disparity_threshold is a ratio above 1 (1.5 highlights groups flagged 1.5 "
                        f"times as often as the borough, or two-thirds as often), not {threshold!r}.")
        threshold = DEFAULT_DISPARITY_THRESHOLD
    rules_raw = raw.get("rules")
    if not isinstance(rules_raw, list) or not rules_raw:
        problems.append("Give at least one rule under rules:.")
        rules_raw = []
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, r in enumerate(rules_raw, start=1):
        if not isinstance(r, dict):
            problems.append(f"Rule {i}: each rule needs id, title, severity and all:.")
            continue
        rid = r.get("id")
        label = f"Rule {rid!r}" if rid else f"Rule {i}"
        n_before = len(problems)
        if not isinstance(rid, str) or not RULE_ID.match(rid):
            problems.append(f"{label}: id must be 2 to 63 lower-case letters, digits and hyphens.")
        elif rid in seen:
            problems.append(f"{label}: the id is used twice.")
        seen.add(str(rid))
        extra = sorted(set(r) - {"id", "title", "severity", "description", "all", "any", "justification"})
        if extra:
            problems.append(f"{label}: unknown setting {', '.join(map(repr, extra))}.")
        title = r.get("title")
        if not isinstance(title, str) or not title.strip():
            problems.append(f"{label}: give a title in plain English.")
        severity = r.get("severity")
        if severity not in SEVERITIES:
            problems.append(f"{label}: severity must be one of {', '.join(SEVERITIES)}, not {severity!r}.")
        conds: dict[str, list[Condition]] = {"all": [], "any": []}
        for part in ("all", "any"):
            items = r.get(part) or []
            if not isinstance(items, list):
                problems.append(f"{label}: {part} must be a list of conditions.")
                continue
            for j, c in enumerate(items, start=1):
                cond = _condition(problems, f"{label}, {part} condition {j}", c)
                if cond is not None:
                    conds[part].append(cond)
        if not r.get("all") and not r.get("any"):
            problems.append(f"{label}: give its conditions under all: (every one must hold).")
        # contradictions across conditions of the same measure
        merged: dict[tuple[str, str], list[tuple[str, float]]] = {}
        for c in conds["all"]:
            if c.kind == "latest":
                merged.setdefault((c.source or "", c.measure or ""), []).extend(c.bounds)
        for key, bounds in merged.items():
            info = MEASURES[key]
            if not _bounds_possible(bounds, info.lower, info.upper):
                problems.append(f"{label}: its conditions on {info.label} contradict each other, so the rule could "
                                "never flag anyone.")
        ages = [b for c in conds["all"] if c.kind == "resident" and c.field == "age" for b in c.bounds]
        if ages and not _bounds_possible(ages, 0, 115):
            problems.append(f"{label}: its conditions on age contradict each other, so the rule could never flag anyone.")
        uses = protected_uses(conds["all"] + conds["any"])
        justification = str(r.get("justification") or "").strip()
        if uses and len(justification) < MIN_JUSTIFICATION:
            problems.append(f"{label}: it uses a protected characteristic ({'; '.join(uses)}). Give a "
                            "justification: saying why using it is fair and needed for this rule's purpose; it is "
                            "recorded with the version and shown in the fairness monitor and the ATRS record.")
        if len(problems) == n_before:
            rules.append(Rule(str(rid), str(title).strip(), str(severity), tuple(conds["all"]), tuple(conds["any"]),
                              str(r.get("description") or "").strip(), justification))
    if problems:
        raise RuleError(problems)
    meta = {k: raw[k] for k in ("version", "author", "approved_by", "approved_on") if k in raw}
    return RuleSet(code, str(raw.get("title") or f"Early-warning rules for {code}"), tuple(rules),
                   float(max_share), float(threshold), str(raw.get("language") or RULE_LANGUAGE_VERSION), meta)


def load_rule_file(path: Path, *, council: str | None = None) -> RuleSet:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RuleError([f"{path}: file not found."]) from None
    return parse_rules(text, council=council)


def default_rules_text(slug: str) -> str:
    """The shipped starting rules for a council (``rules/<slug>.yaml``, else ``rules/default.yaml``)."""
    path = RULES_DIR / f"{slug}.yaml"
    if not path.is_file():
        path = RULES_DIR / "default.yaml"
    return path.read_text(encoding="utf-8")


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


# --------------------------------------------------------------------------------------------------------
# the data the rules read


@dataclass
class Frames:
    """A council's linked records as frames.

    ``residents``: indexed by ``resident_id``; columns ``dob`` (datetime64), ``sex``, ``ethnicity``,
    ``disability`` (True/False/None), ``lsoa21_code``, ``ward_code``, ``ward_name``, ``synthetic``.
    ``records``: per source, one row per record: ``resident_id``, ``record_id`` and the source's own fields
    (as text).
    ``history``: one row per dated value: ``resident_id``, ``source``, ``record_id``, ``measure``,
    ``event_date`` (datetime64), ``value_num`` (float) and ``value_text``; record-event datasets (contacts,
    approaches, concerns) have one row per record with ``measure`` ``"event"``.
    """

    as_of: dt.date
    residents: pd.DataFrame
    records: dict[str, pd.DataFrame]
    history: pd.DataFrame
    _series: dict[tuple[str, str], pd.DataFrame] = field(default_factory=dict, repr=False)

    _slices: dict[tuple[str, str], np.ndarray] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        """Index the history once: sorted by source, measure, record and date, with an integer record key
        (``rec``) and the row positions of each (source, measure), so conditions slice instead of scanning."""
        h = self.history
        if len(h):
            src_codes = pd.factorize(h["source"])[0]
            meas_codes = pd.factorize(h["measure"])[0]
            rec = pd.factorize(h["record_id"])[0]
            order = np.lexsort((h["event_date"].to_numpy(), rec, meas_codes, src_codes))
            h = h.iloc[order].reset_index(drop=True)
            h["rec"] = rec[order]
            self.history = h
            # rows of one (source, measure) are contiguous: keep where each run starts and stops
            src = h["source"].to_numpy()
            meas = h["measure"].to_numpy()
            change = np.flatnonzero((src[1:] != src[:-1]) | (meas[1:] != meas[:-1])) + 1
            starts = np.r_[0, change]
            stops = np.r_[change, len(h)]
            self._slices = {(str(src[a]), str(meas[a])): np.array([a, b]) for a, b in zip(starts, stops, strict=True)}
        else:
            h = h.copy()
            h["rec"] = pd.Series(dtype="int64")
            self.history = h

    def series(self, source: str, measure: str) -> pd.DataFrame:
        """The history of one measure (derived measures computed on the fly), sorted by record and date."""
        key = (source, measure)
        if key in self._series:
            return self._series[key]
        info = MEASURES.get(key)
        if info is not None and info.derived_from:
            num, den = (self.series(source, m) for m in info.derived_from)
            both = num.merge(den[["rec", "event_date", "value_num"]], on=["rec", "event_date"],
                             suffixes=("", "_den"))
            with np.errstate(divide="ignore", invalid="ignore"):
                both["value_num"] = np.where(both["value_num_den"] > 0, both["value_num"] / both["value_num_den"],
                                             np.nan)
            out = both.drop(columns=["value_num_den"])
        else:
            bounds = self._slices.get(key)
            a, b = (int(bounds[0]), int(bounds[1])) if bounds is not None else (0, 0)
            out = self.history.iloc[a:b][["resident_id", "record_id", "rec", "event_date", "value_num"]]
        out = out.reset_index(drop=True)
        self._series[key] = out
        return out

    def events(self, source: str) -> pd.DataFrame:
        """Dated records of an event dataset with their fields: ``resident_id``, ``record_id``, ``event_date``..."""
        key = (source, "event")
        if key in self._series:
            return self._series[key]
        ev = self.series(source, "event")[["resident_id", "record_id", "event_date"]]
        recs = self.records.get(source)
        if recs is not None and len(recs):
            ev = ev.merge(recs.drop(columns=["resident_id"]), on="record_id", how="left")
        self._series[key] = ev
        return ev


# --------------------------------------------------------------------------------------------------------
# evaluation


@dataclass
class Flag:
    resident_id: Any
    rule_id: str
    severity: str
    explanation: str
    facts: list[dict[str, Any]]


@dataclass
class Evaluation:
    as_of: dt.date
    rule_set: RuleSet
    flags: pd.DataFrame  # resident_id, rule_id, severity, explanation, facts (list of dicts)
    residents: int
    opted_out: int
    per_rule: dict[str, int]
    seconds: float = 0.0

    def flag_objects(self) -> list[Flag]:
        return [Flag(r.resident_id, r.rule_id, r.severity, r.explanation, r.facts)
                for r in self.flags.itertuples(index=False)]


def _at(series: pd.DataFrame, when: pd.Timestamp) -> pd.DataFrame:
    """Per record: the latest value on or before ``when`` (record_id, resident_id, event_date, value_num).

    ``series`` is sorted by record and date (``Frames`` sorts the history once), so the last row of each
    record among those on or before ``when`` is found with one comparison of neighbours."""
    keep = series["event_date"].to_numpy() <= when.to_datetime64()
    rec = series["rec"].to_numpy()[keep]
    if len(rec) == 0:
        return series.iloc[0:0]
    last = np.empty(len(rec), dtype=bool)
    last[:-1] = rec[1:] != rec[:-1]
    last[-1] = True
    return series.iloc[np.flatnonzero(keep)[last]]


def _where_mask(frame: pd.DataFrame, where: tuple[tuple[str, str], ...]) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for k, v in where:
        if k not in frame.columns:
            return pd.Series(False, index=frame.index)
        col = frame[k].astype("string").str.lower()
        if v.lower() in ("true", "false"):
            truthy = col.isin(["true", "yes", "y", "1"])
            mask &= truthy if v.lower() == "true" else ~truthy & col.notna()
        else:
            mask &= col == v.lower()
    return mask.fillna(False)


def _best(frame: pd.DataFrame, by: str, ascending: bool = False) -> pd.DataFrame:
    """One row per resident: the record with the most telling value (largest by default)."""
    return frame.sort_values([by, "record_id"], ascending=[ascending, True]).drop_duplicates("resident_id")


def _ops_mask(values: pd.Series, bounds: tuple[tuple[str, float], ...]) -> pd.Series:
    m = values.notna()
    for op, v in bounds:
        if op == "at_least":
            m &= values >= v
        elif op == "more_than":
            m &= values > v
        elif op == "at_most":
            m &= values <= v
        elif op == "less_than":
            m &= values < v
        else:
            m &= np.isclose(values.astype(float), v)
    return m.fillna(False)


def _condition_facts(c: Condition, f: Frames, as_of: pd.Timestamp, allowed: pd.Index) -> pd.DataFrame:
    """Residents (index) for whom ``c`` holds, with fact columns; only residents in ``allowed`` are kept."""
    if c.kind in ("latest", "change", "stopped"):
        s = f.series(c.source or "", c.measure or "")
        now = _at(s, as_of)
        if c.kind == "latest":
            hit = now[_ops_mask(now["value_num"], c.bounds)]
            ascending = all(op in ("at_most", "less_than") for op, _ in c.bounds)
            best = _best(hit, "value_num", ascending=ascending)
            out = pd.DataFrame({"record_id": best["record_id"].to_numpy(), "to_date": best["event_date"].to_numpy(),
                                "to_value": best["value_num"].to_numpy()}, index=best["resident_id"].to_numpy())
        else:
            start = as_of - pd.Timedelta(days=c.days or 0)
            then = _at(s, start)[["rec", "event_date", "value_num"]]
            both = now.merge(then, on="rec", suffixes=("", "_then"))
            both["delta"] = both["value_num"] - both["value_num_then"]
            if c.kind == "change":
                if c.rose_by is not None:
                    hit = both[both["delta"] >= c.rose_by - 1e-9]
                    best = _best(hit, "delta")
                else:
                    hit = both[-both["delta"] >= (c.fell_by or 0) - 1e-9]
                    best = _best(hit, "delta", ascending=True)
            else:
                hit = both[(both["value_num_then"] > 0) & (both["value_num"].abs() < 1e-9)]
                best = _best(hit, "value_num_then")
            out = pd.DataFrame({
                "record_id": best["record_id"].to_numpy(),
                "from_date": best["event_date_then"].to_numpy(), "from_value": best["value_num_then"].to_numpy(),
                "to_date": best["event_date"].to_numpy(), "to_value": best["value_num"].to_numpy(),
            }, index=best["resident_id"].to_numpy())
    elif c.kind == "record":
        recs = f.records.get(c.source or "")
        if recs is None or recs.empty:
            out = pd.DataFrame({"record_id": pd.Series(dtype=object)})
        else:
            hit = recs[_where_mask(recs, c.where)].sort_values("record_id").drop_duplicates("resident_id")
            out = pd.DataFrame({"record_id": hit["record_id"].to_numpy()}, index=hit["resident_id"].to_numpy())
    elif c.kind == "count":
        ev = f.events(c.source or "")
        start = as_of - pd.Timedelta(days=c.days or 0)
        ev = ev[(ev["event_date"] > start) & (ev["event_date"] <= as_of)]
        ev = ev[_where_mask(ev, c.where)]
        counts = ev.groupby("resident_id", sort=False).size()
        keep = counts[counts >= (c.at_least or 1)].index
        ev = ev[ev["resident_id"].isin(keep.intersection(allowed))].sort_values(["resident_id", "event_date",
                                                                                   "record_id"])
        grouped = ev.groupby("resident_id", sort=False)
        out = pd.DataFrame({"records": grouped["record_id"].agg(list),
                            "dates": grouped["event_date"].agg(list)})
    else:  # resident
        res = f.residents.loc[f.residents.index.intersection(allowed)]
        if c.field == "age":
            dob = res["dob"]
            years = as_of.year - dob.dt.year - ((dob.dt.month > as_of.month) |
                                                ((dob.dt.month == as_of.month) & (dob.dt.day > as_of.day)))
            age = years.astype("float")
            m = _ops_mask(age, c.bounds)
            out = pd.DataFrame({"value": age[m], "dob": dob[m]})
        elif c.field in SIGNALS:
            values = SIGNALS[c.field].compute(f.records, res, as_of.date())
            m = _ops_mask(values, c.bounds) & (values > 0)
            out = pd.DataFrame({"value": values[m]})
        else:
            col = res[c.field or ""]
            m = (col == c.value).fillna(False).astype(bool)
            out = pd.DataFrame({"value": col[m]})
    out.index.name = "resident_id"
    return out[out.index.isin(allowed)]


def _fact(c: Condition, row: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The plain-English sentence and the structured fact for one resident and one condition."""
    src = SOURCE_LABELS.get(c.source or "", c.source or "")
    if c.kind in ("latest", "change", "stopped"):
        info = MEASURES[(c.source or "", c.measure or "")]
        to_d = pd.Timestamp(row["to_date"]).date()
        fact: dict[str, Any] = {"kind": c.kind, "source": c.source, "measure": c.measure,
                                "record_id": str(row["record_id"]), "to_date": to_d.isoformat(),
                                "to_value": round(float(row["to_value"]), 4)}
        ref = f"({src} record {row['record_id']})"
        if c.kind == "latest":
            text = (f"{info.label[:1].upper()}{info.label[1:]} was {format_value(row['to_value'], info.unit)} "
                    f"on {format_date(to_d)} {ref}")
            return text, fact
        from_d = pd.Timestamp(row["from_date"]).date()
        fact.update(from_date=from_d.isoformat(), from_value=round(float(row["from_value"]), 4))
        delta = float(row["to_value"]) - float(row["from_value"])
        fact["change"] = round(delta, 4)
        if c.kind == "change":
            verb = "rose" if delta >= 0 else "fell"
            text = (f"{info.label[:1].upper()}{info.label[1:]} {verb} by {format_value(abs(delta), info.unit)}, "
                    f"from {format_value(row['from_value'], info.unit)} on {format_date(from_d)} to "
                    f"{format_value(row['to_value'], info.unit)} on {format_date(to_d)} {ref}")
        else:
            text = (f"{info.label[:1].upper()}{info.label[1:]} stopped: "
                    f"{format_value(row['from_value'], info.unit)} on {format_date(from_d)}, "
                    f"{format_value(row['to_value'], info.unit)} on {format_date(to_d)} {ref}")
        return text, fact
    if c.kind == "record":
        where = " and ".join(f"{k.replace('_', ' ')} {v}" for k, v in c.where)
        fact = {"kind": "record", "source": c.source, "record_id": str(row["record_id"]),
                "where": dict(c.where)}
        text = f"Has a {src} record {row['record_id']}" + (f" with {where}" if where else "")
        return text, fact
    if c.kind == "count":
        dates = [pd.Timestamp(d).date() for d in row["dates"]]
        recs = [str(r) for r in row["records"]]
        where = " and ".join(f"{v}" for _, v in c.where)
        fact = {"kind": "count", "source": c.source, "where": dict(c.where), "days": c.days,
                "records": recs, "dates": [d.isoformat() for d in dates]}
        listed = ", ".join(f"{r} on {format_date(d)}" for r, d in zip(recs, dates, strict=True))
        noun = f"{src} records" + (f" about {where}" if where else "")
        return f"{len(recs)} {noun} in the {c.days} days to the evaluation date: {listed}", fact
    # resident
    if c.field == "age":
        age = int(row["value"])
        dob = pd.Timestamp(row["dob"]).date()
        return f"Aged {age} (born {format_date(dob)})", {"kind": "resident", "field": "age", "value": age,
                                                          "dob": dob.isoformat()}
    if c.field in SIGNALS:
        value = round(float(row["value"]), 2)
        return SIGNALS[c.field].explain(value), {"kind": "resident", "field": c.field, "value": value}
    value = row["value"]
    shown = ("yes" if value else "no") if isinstance(value, (bool, np.bool_)) else str(value)
    return (f"{c.field[:1].upper()}{c.field[1:]} recorded as {shown}" if c.field else shown,
            {"kind": "resident", "field": c.field, "value": value if not isinstance(value, np.bool_) else bool(value)})


def evaluate_rule(rule: Rule, frames: Frames, *, as_of: dt.date | None = None,
                  opted_out: Iterable[Any] = ()) -> pd.DataFrame:
    """Residents flagged by one rule: ``resident_id``, ``rule_id``, ``severity``, ``explanation``, ``facts``."""
    when = pd.Timestamp(as_of or frames.as_of)
    idx = frames.residents.index
    opted = list(opted_out)
    allowed = idx[~idx.isin(opted)] if opted else idx
    per_cond: list[tuple[Condition, pd.DataFrame]] = []
    hits: pd.Index | None = None
    for c in rule.all:
        facts = _condition_facts(c, frames, when, allowed if hits is None else hits)
        per_cond.append((c, facts))
        hits = facts.index if hits is None else hits.intersection(facts.index)
        if len(hits) == 0:
            break
    if rule.any and (hits is None or len(hits)):
        union = pd.Index([])
        for c in rule.any:
            facts = _condition_facts(c, frames, when, allowed if hits is None else hits)
            per_cond.append((c, facts))
            union = union.union(facts.index)
        hits = union if hits is None else hits.intersection(union)
    if hits is None or len(hits) == 0:
        return pd.DataFrame(columns=["resident_id", "rule_id", "severity", "explanation", "facts"])
    hits = hits.sort_values()
    texts: list[list[str]] = [[] for _ in range(len(hits))]
    facts_out: list[list[dict[str, Any]]] = [[] for _ in range(len(hits))]
    pos = {rid: i for i, rid in enumerate(hits)}
    for c, frame in per_cond:
        sub = frame.loc[frame.index.isin(hits)]
        for rid, row in zip(sub.index, sub.to_dict("records"), strict=True):
            text, fact = _fact(c, row)
            i = pos[rid]
            texts[i].append(text)
            facts_out[i].append(fact)
    explanations = [f"{rule.title}: " + "; and ".join(t) + "." for t in texts]
    return pd.DataFrame({"resident_id": hits, "rule_id": rule.id, "severity": rule.severity,
                         "explanation": explanations, "facts": facts_out})


def evaluate(rule_set: RuleSet, frames: Frames, *, as_of: dt.date | None = None,
             opted_out: Iterable[Any] = ()) -> Evaluation:
    """Every rule over every resident not opted out. Flags are sorted by severity, then rule, then resident."""
    import time

    t0 = time.perf_counter()
    opted = set(opted_out)
    parts = []
    per_rule: dict[str, int] = {}
    for rule in rule_set.rules:
        got = evaluate_rule(rule, frames, as_of=as_of, opted_out=opted)
        per_rule[rule.id] = len(got)
        parts.append(got)
    flags = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else \
        pd.DataFrame(columns=["resident_id", "rule_id", "severity", "explanation", "facts"])
    if opted and len(flags):  # belt and braces: the right to object is absolute
        flags = flags[~flags["resident_id"].isin(opted)]
    if len(flags):
        flags["_rank"] = flags["severity"].map(SEVERITY_RANK)
        flags = flags.sort_values(["_rank", "rule_id", "resident_id"], ascending=[False, True, True])
        flags = flags.drop(columns="_rank").reset_index(drop=True)
    return Evaluation(as_of or frames.as_of, rule_set, flags, len(frames.residents), len(opted), per_rule,
                      time.perf_counter() - t0)


def check_shares(evaluation: Evaluation) -> list[str]:
    """Rules that flag more than the rule set's ``max_share`` of residents (refused before approval)."""
    problems = []
    total = max(1, evaluation.residents - evaluation.opted_out)
    for rid, n in evaluation.per_rule.items():
        share = n / total
        if share > evaluation.rule_set.max_share:
            problems.append(f"Rule {rid!r} would flag {n:,} residents ({share:.1%} of the borough), more than the "
                            f"{evaluation.rule_set.max_share:.0%} the settings allow. Make its conditions stricter, "
                            "or raise max_share if the council has decided that this many residents need contact.")
    return problems


def write_flags_csv(evaluation: Evaluation, out: Path) -> Path:
    """The contract file: ``OUT/flags.csv`` with ``resident_id, rule_id, severity, explanation``."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "flags.csv"
    evaluation.flags[["resident_id", "rule_id", "severity", "explanation"]].to_csv(path, index=False)
    return path


AGE_BANDS = ((0, 17, "0 to 17"), (18, 24, "18 to 24"), (25, 34, "25 to 34"), (35, 44, "35 to 44"),
             (45, 54, "45 to 54"), (55, 64, "55 to 64"), (65, 74, "65 to 74"), (75, 200, "75 and over"))


def age_band(dob: pd.Series, as_of: dt.date) -> pd.Series:
    when = pd.Timestamp(as_of)
    years = when.year - dob.dt.year - ((dob.dt.month > when.month) |
                                       ((dob.dt.month == when.month) & (dob.dt.day > when.day)))
    bins = [-1] + [hi for _, hi, _ in AGE_BANDS]
    labels = [lab for _, _, lab in AGE_BANDS]
    return pd.cut(years, bins=bins, labels=labels).astype("string").fillna("Not known")


def groups(frames: Frames, as_of: dt.date | None = None) -> pd.DataFrame:
    """Each resident's monitoring groups: ``age_band``, ``sex``, ``ethnicity``, ``disability``, ``ward``."""
    r = frames.residents
    dis = r["disability"].map({True: "Disabled", False: "Not disabled"}).astype("string").fillna("Not known")
    return pd.DataFrame({
        "age_band": age_band(r["dob"], as_of or frames.as_of),
        "sex": r["sex"].astype("string").fillna("not known").str.capitalize(),
        "ethnicity": r["ethnicity"].astype("string").fillna("Not stated"),
        "disability": dis,
        "ward": r["ward_name"].astype("string").fillna("Not known"),
    }, index=r.index)


GROUP_LABELS = {"age_band": "Age band", "sex": "Sex", "ethnicity": "Ethnic group", "disability": "Disability",
                "ward": "Ward"}


def preview(rule_set: RuleSet, frames: Frames, *, opted_out: Iterable[Any] = (), examples: int = 5,
            as_of: dt.date | None = None) -> dict[str, Any]:
    """What a rule set would do before it goes live: counts per rule, by ward and group, and examples."""
    ev = evaluate(rule_set, frames, opted_out=opted_out, as_of=as_of)
    g = groups(frames, as_of)
    out: dict[str, Any] = {"as_of": (as_of or frames.as_of).isoformat(), "residents": ev.residents,
                           "opted_out": ev.opted_out, "seconds": round(ev.seconds, 3), "rules": [],
                           "share_problems": check_shares(ev),
                           "synthetic": bool(len(frames.residents)) and "synthetic" in frames.residents
                           and bool(frames.residents["synthetic"].fillna(False).astype(bool).all())}
    for rule in rule_set.rules:
        flagged = ev.flags[ev.flags["rule_id"] == rule.id]
        fg = g.loc[g.index.isin(flagged["resident_id"])]
        by: dict[str, list[tuple[str, int]]] = {}
        for col in GROUP_LABELS:
            counts = fg[col].value_counts()
            by[col] = [(str(k), int(v)) for k, v in counts.sort_index().items()]
        out["rules"].append({
            "id": rule.id, "title": rule.title, "severity": rule.severity, "describe": rule.describe(),
            "count": len(flagged), "share": len(flagged) / max(1, ev.residents - ev.opted_out),
            "by": by,
            "examples": [{"resident_id": str(r.resident_id), "explanation": r.explanation}
                         for r in flagged.head(examples).itertuples(index=False)],
        })
    return out
