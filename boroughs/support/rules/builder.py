"""The rule builder (issue 17): a form that writes one early-warning rule in the rule language.

Each condition row has a *signal* (a measure over time, a count of dated records, a record in a dataset or
an attribute of the resident), a *comparison*, a *window* in days where the comparison needs one, and a
*threshold*. Each row goes in a group: **all** (every condition must hold: AND) or **any** (at least one
must hold as well: OR). ``build`` turns the form into the rule's YAML and lists the problems per field;
the server's ``rules.parse_rules`` of the whole draft stays authoritative (``check_in_draft``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from boroughs.support.records.schemas import SCHEMAS
from boroughs.support.rules import language as rules_language
from boroughs.support.rules import vocabulary as rules_vocabulary

MAX_ROWS = 4
COMPARISONS = {
    "at_least": "is at least", "more_than": "is more than", "at_most": "is at most", "less_than": "is less than",
    "equals": "equals", "rose_by_at_least": "rose by at least", "fell_by_at_least": "fell by at least",
    "stopped": "stopped (was above zero, now zero)",
}
WINDOWED = ("rose_by_at_least", "fell_by_at_least", "stopped")


@dataclass(frozen=True)
class Signal:
    key: str  # "measure:rent:arrears", "count:vcs_concern", "record:fsm", "resident:age"
    label: str
    comparisons: tuple[str, ...]
    needs_window: bool = False  # always (count)


def signals() -> list[Signal]:
    out = [Signal(f"measure:{s}:{m}", f"{info.label[:1].upper()}{info.label[1:]} ({rules_vocabulary.SOURCE_LABELS[s]})",
                  ("at_least", "more_than", "at_most", "less_than", "equals", "rose_by_at_least",
                   "fell_by_at_least", "stopped") if not info.derived_from else
                  ("at_least", "more_than", "at_most", "less_than"))
           for (s, m), info in sorted(rules_vocabulary.MEASURES.items(), key=lambda kv: (kv[0][0], kv[0][1]))
           if info.unit != "text"]
    out += [Signal(f"count:{s}", f"Number of {rules_vocabulary.SOURCE_LABELS[s]}s in the window", ("at_least",), True)
            for s in rules_vocabulary.event_sources()]
    out += [Signal(f"record:{s}", f"Has a {rules_vocabulary.SOURCE_LABELS[s]} record", ("equals",)) for s in SCHEMAS]
    out += [Signal("resident:age", "Resident's age (years)", ("at_least", "more_than", "at_most", "less_than")),
            *(Signal(f"resident:{f}", f"Resident's {f}", ("equals",)) for f in ("sex", "ethnicity", "disability"))]
    return out


SIGNALS = {s.key: s for s in signals()}


@dataclass
class Row:
    signal: str = ""
    comparison: str = ""
    window: str = ""
    threshold: str = ""
    where: str = ""  # "field = value" for counts and records
    group: str = "all"

    @property
    def empty(self) -> bool:
        return not (self.signal or self.threshold or self.window or self.where)


@dataclass
class Built:
    rule: dict[str, Any] | None
    yaml: str
    errors: dict[str, str] = field(default_factory=dict)
    protected: list[str] = field(default_factory=list)


def rows_from_form(form: Any) -> list[Row]:
    rows = []
    for i in range(MAX_ROWS):
        rows.append(Row(*(str(form.get(f"c{i}_{k}") or "").strip()
                          for k in ("signal", "comparison", "window", "threshold", "where", "group"))))
        if not rows[-1].group:
            rows[-1].group = "all"
    return rows


def _number(raw: str) -> float | int | None:
    try:
        v = float(raw.replace(",", "").replace("£", ""))
    except ValueError:
        return None
    return int(v) if v.is_integer() else v


def _condition(i: int, row: Row, errors: dict[str, str]) -> dict[str, Any] | None:
    sig = SIGNALS.get(row.signal)
    if sig is None:
        errors[f"c{i}_signal"] = f"Condition {i + 1}: choose what to look at"
        return None
    kind, _, rest = row.signal.partition(":")
    comparison = row.comparison or sig.comparisons[0]
    if comparison not in sig.comparisons:
        errors[f"c{i}_comparison"] = (f"Condition {i + 1}: {sig.label.lower()} can be compared with: "
                                      + ", ".join(COMPARISONS[c] for c in sig.comparisons))
        return None
    window = None
    if sig.needs_window or comparison in WINDOWED:
        window = _number(row.window) if row.window else None
        if not isinstance(window, int) or not 1 <= window <= rules_vocabulary.MAX_DAYS:
            errors[f"c{i}_window"] = f"Condition {i + 1}: enter the window in days, a whole number from 1 to {rules_vocabulary.MAX_DAYS}"
    where: dict[str, str] = {}
    if row.where:
        if "=" not in row.where:
            errors[f"c{i}_where"] = f"Condition {i + 1}: write the filter as field = value, for example category = debt"
        else:
            k, _, v = row.where.partition("=")
            where = {k.strip(): v.strip()}
    threshold: Any = None
    if comparison != "stopped" and kind != "record":
        if kind == "resident" and rest != "age":
            threshold = {"true": True, "yes": True, "false": False, "no": False}.get(row.threshold.lower(),
                                                                                  row.threshold) \
                if rest == "disability" else row.threshold
            if threshold in ("", None):
                errors[f"c{i}_threshold"] = f"Condition {i + 1}: enter the value to compare with"
        else:
            threshold = _number(row.threshold) if row.threshold else None
            if threshold is None:
                errors[f"c{i}_threshold"] = f"Condition {i + 1}: enter the threshold as a number, for example 500"
    if any(k.startswith(f"c{i}_") for k in errors):
        return None
    if kind == "measure":
        source, _, measure = rest.partition(":")
        if comparison == "stopped":
            return {"stopped": {"source": source, "measure": measure, "days": window}}
        if comparison in ("rose_by_at_least", "fell_by_at_least"):
            return {"change": {"source": source, "measure": measure, "days": window, comparison: threshold}}
        return {"latest": {"source": source, "measure": measure, comparison: threshold}}
    if kind == "count":
        spec: dict[str, Any] = {"source": rest}
        if where:
            spec["where"] = where
        return {"count": {**spec, "days": window, "at_least": threshold}}
    if kind == "record":
        return {"record": {"source": rest, **({"where": where} if where else {})}}
    return {"resident": {"field": rest, comparison: threshold}}


def build(form: Any) -> Built:
    """The rule the form describes, its YAML, and the problems keyed by field id (checked by the rule
    language itself too, so the builder never accepts what the language refuses)."""
    errors: dict[str, str] = {}
    rid = str(form.get("rule_id") or "").strip()
    title = str(form.get("title") or "").strip()
    severity = str(form.get("severity") or "").strip()
    description = str(form.get("description") or "").strip()
    justification = str(form.get("justification") or "").strip()
    if not rules_vocabulary.RULE_ID.match(rid):
        errors["rule_id"] = "Enter an id of 2 to 63 lower-case letters, digits and hyphens, like rent-arrears-rising"
    if not title:
        errors["title"] = "Enter a title in plain English"
    if severity not in rules_vocabulary.SEVERITIES:
        errors["severity"] = "Choose how urgent a flag from this rule is"
    groups: dict[str, list[dict[str, Any]]] = {"all": [], "any": []}
    positions: dict[tuple[str, int], int] = {}  # (group, condition number in the group) -> form row
    rows = rows_from_form(form)
    for i, row in enumerate(rows):
        if row.empty:
            continue
        cond = _condition(i, row, errors)
        if cond is not None:
            group = "any" if row.group == "any" else "all"
            groups[group].append(cond)
            positions[(group, len(groups[group]))] = i
    if not groups["all"] and not groups["any"] and not any(k.startswith("c") and k[1].isdigit() for k in errors):
        errors["c0_signal"] = "Add at least one condition"
    rule: dict[str, Any] = {"id": rid, "title": title, "severity": severity}
    if description:
        rule["description"] = description
    if justification:
        rule["justification"] = justification
    if groups["all"]:
        rule["all"] = groups["all"]
    if groups["any"]:
        rule["any"] = groups["any"]
    text = yaml.safe_dump([rule], sort_keys=False, allow_unicode=True, default_flow_style=None, width=100)
    protected: list[str] = []
    if not errors:
        try:
            parsed = rules_language.parse_rules(yaml.safe_dump({"council": "builder", "title": "builder", "rules": [rule]},
                                                   sort_keys=False, allow_unicode=True))
            protected = parsed.rules[0].protected
        except rules_language.RuleError as exc:
            for p in exc.problems:
                key = "justification" if "justification:" in p else _field_for(p, positions)
                errors.setdefault(key, p)
    return Built(rule if not errors else None, text, errors, protected)


def _field_for(problem: str, positions: dict[tuple[str, int], int]) -> str:
    """Which form field a rule-language problem belongs to ("Rule 'x', all condition 2 (...)")."""
    import re

    m = re.search(r"(all|any) condition (\d+)", problem)
    if m:
        return f"c{positions.get((m.group(1), int(m.group(2))), 0)}_threshold"
    if "contradict" in problem:
        return "c0_threshold"
    return "rule_id"


def add_to_body(body: str, rule: dict[str, Any]) -> str:
    """The draft's rule file with ``rule`` appended, keeping the file's own text (and comments) when the
    rules list ends the file; otherwise the file is rewritten from its parsed form."""
    snippet = yaml.safe_dump([rule], sort_keys=False, allow_unicode=True, default_flow_style=None, width=100)
    indented = "".join(f"  {line}\n" if line else "\n" for line in snippet.splitlines())
    candidate = body.rstrip("\n") + "\n" + indented
    try:
        raw = yaml.safe_load(candidate)
        if isinstance(raw, dict) and isinstance(raw.get("rules"), list) and raw["rules"][-1] == rule:
            return candidate
    except yaml.YAMLError:
        pass
    raw = yaml.safe_load(body) or {}
    raw.setdefault("rules", []).append(rule)
    return yaml.safe_dump(raw, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100)
