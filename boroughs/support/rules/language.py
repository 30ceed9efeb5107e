"""Explainable early-warning rules: the declarative rule language and its checks (the evaluator is in
:mod:`boroughs.support.rules.engine`).

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
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from boroughs.core.errors import ValidationFailed
from boroughs.support.records.schemas import SCHEMAS
from boroughs.support.rules.vocabulary import (
    DEFAULT_DISPARITY_THRESHOLD,
    DEFAULT_MAX_SHARE,
    KINDS,
    MAX_DAYS,
    MEASURES,
    NUMERIC_OPS,
    OP_WORDS,
    RESIDENT_CHOICES,
    RESIDENT_FIELDS,
    RESIDENT_RANGES,
    RULE_ID,
    RULE_LANGUAGE_VERSION,
    RULES_DIR,
    SEVERITIES,
    SIGNALS,
    SOURCE_LABELS,
    event_sources,
    format_value,
    record_fields,
)

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


def _bounds(problems: list[str], label: str, spec: dict[str, Any]) -> list[tuple[str, float]]:
    """The numeric limits a condition gives (``at_least`` and the rest), each checked as a number."""
    bounds = []
    for op in NUMERIC_OPS:
        if op in spec:
            v = _num(problems, label, op, spec[op])
            if v is not None:
                bounds.append((op, v))
    return bounds


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
            bounds = _bounds(problems, label, spec)
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
            bounds = _bounds(problems, label, spec)
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
