"""The vectorised evaluator of early-warning rules (the language is in :mod:`boroughs.support.rules.language`).

The evaluator works on pandas frames (``Frames``) built from the linked records, whatever holds them: the
database (``rules_data.frames_from_db``) or the files of ``boroughs support synth``
(``rules_data.frames_from_synth``). Each condition is computed for every resident at once, so all of a
council's rules over 300,000 residents take a few seconds (``benchmarks/support_rules.py``).

Residents who objected to proactive profiling are removed before any condition is evaluated, and once more
from the result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from boroughs.support.rules.language import Condition, Rule, RuleSet
from boroughs.support.rules.vocabulary import (
    MEASURES,
    SEVERITY_RANK,
    SIGNALS,
    SOURCE_LABELS,
    format_date,
    format_value,
)

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
    council: str | None = None  # the council's ONS code, for signals that depend on its own schemes
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
            res = res.copy()
            res.attrs["council"] = f.council
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
