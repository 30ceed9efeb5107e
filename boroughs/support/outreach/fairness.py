"""Fairness monitor: who the rules flag and what outreach achieves, by age band, sex, ethnic group,
disability and ward, against the borough's population; and a draft Algorithmic Transparency Recording
Standard (ATRS) record for the rule set.

Disparity ratio = (share of the group that was flagged) / (share of all residents that was flagged). A ratio
at or above the council's ``disparity_threshold`` (say 1.5), or at or below its reciprocal (0.67), is
highlighted. Groups of fewer than ``MIN_GROUP`` residents are shown without a ratio: their rates are too
unstable to read.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core.csv_safety import safe_frame
from boroughs.support.rules import engine as rl

MIN_GROUP = 10


def disparity_table(groups: pd.DataFrame, flagged: set[Any], threshold: float,
                    reached: set[Any] | None = None, cases: set[Any] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Per monitoring characteristic, one row per group: residents, flagged, rate, ratio, highlight; and,
    when outreach figures are given, cases, reached and the reach rate."""
    total = len(groups)
    base = len(flagged & set(groups.index)) / total if total else 0.0
    is_flagged = groups.index.isin(list(flagged))
    out: dict[str, list[dict[str, Any]]] = {}
    for col in rl.GROUP_LABELS:
        rows = []
        frame = pd.DataFrame({"g": groups[col].to_numpy(), "f": is_flagged,
                              "c": groups.index.isin(list(cases or ())),
                              "r": groups.index.isin(list(reached or ()))})
        agg = frame.groupby("g", sort=True).agg(n=("f", "size"), flagged=("f", "sum"), cases=("c", "sum"),
                                                reached=("r", "sum"))
        for g, row in agg.iterrows():
            n, k = int(row["n"]), int(row["flagged"])
            rate = k / n if n else 0.0
            ratio = (rate / base) if (base > 0 and n >= MIN_GROUP) else None
            high = ratio is not None and (ratio >= threshold or ratio <= 1 / threshold)
            item = {"group": str(g), "residents": n, "population_share": n / total if total else 0.0,
                    "flagged": k, "rate": rate, "ratio": ratio, "highlight": high,
                    "direction": None if not high or ratio is None else ("more" if ratio > 1 else "less")}
            if cases is not None:
                c, r = int(row["cases"]), int(row["reached"])
                item.update(cases=c, reached=r, reach_rate=(r / c) if c else None)
            rows.append(item)
        out[col] = rows
    return out


def fairness_report(db: Session, organisation_id: int, *, frames: rl.Frames | None = None,
                    rule_id: str | None = None) -> dict[str, Any]:
    """The monitor for the council's latest flag run (or the live rules evaluated now, when none ran)."""
    from boroughs.support.outreach.models import OutreachCase
    from boroughs.support.rules.data import frames_from_db
    from boroughs.support.rules.service import flags_of_run, latest_run, live_rule_set

    version, rule_set = live_rule_set(db, organisation_id)
    frames = frames or frames_from_db(db, organisation_id)
    run = latest_run(db, organisation_id)
    if run is not None:
        pairs: list[tuple[Any, Any]] = [(r, rule) for r, rule, _ in flags_of_run(db, run.id)]
        as_of = run.as_of
    else:
        ev = rl.evaluate(rule_set, frames)
        pairs = [(r.resident_id, r.rule_id) for r in ev.flags.itertuples(index=False)]
        as_of = ev.as_of
    flagged = {rid for rid, rule in pairs if rule_id is None or rule == rule_id}
    case_rows = db.execute(select(OutreachCase.resident_id, OutreachCase.reached_at, OutreachCase.rule_ids)
                           .where(OutreachCase.organisation_id == organisation_id)).all()
    cases = {r for r, _, rules in case_rows if rule_id is None or rule_id in (rules or [])}
    reached = {r for r, at, rules in case_rows if at is not None and (rule_id is None or rule_id in (rules or []))}
    g = rl.groups(frames, as_of)
    return {
        "as_of": as_of.isoformat(), "run_id": run.id if run else None, "rule_set_version": version.version,
        "rule_id": rule_id, "residents": len(g), "flagged": len(flagged & set(g.index)),
        "threshold": rule_set.disparity_threshold, "min_group": MIN_GROUP,
        "rules": [(r.id, r.title) for r in rule_set.rules],
        # rules using a protected characteristic or a proxy, with their recorded justification (issue 17)
        "protected": [{"id": r.id, "title": r.title, "uses": r.protected, "justification": r.justification}
                      for r in rule_set.rules if r.protected],
        "tables": disparity_table(g, flagged, rule_set.disparity_threshold, reached=reached, cases=cases),
    }


def report_csv(report: dict[str, Any]) -> str:
    rows = []
    for col, items in report["tables"].items():
        for it in items:
            rows.append({"characteristic": rl.GROUP_LABELS[col], **{k: v for k, v in it.items()}})
    return safe_frame(pd.DataFrame(rows)).to_csv(index=False)


# --------------------------------------------------------------------------------------------------------
# Algorithmic Transparency Recording Standard


# The ATRS record is generated from the system's own state in ``boroughs.support.outreach.atrs`` (issue 17).
from boroughs.support.outreach.atrs import ATRS_NOTE, atrs_markdown, atrs_record  # noqa: E402

__all__ = ["ATRS_NOTE", "atrs_markdown", "atrs_record", "disparity_table", "fairness_report", "report_csv"]
