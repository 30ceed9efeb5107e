"""Evaluation per rule: how many flagged residents were reached, what they needed, and what happened next
(their arrears over the following 90 days) against a comparison group of residents flagged by the same rule
whom nobody has contacted yet.

The comparison is descriptive, not causal: residents are not assigned to contact at random, and officers
contact the highest-priority cases first. Read a difference as a question to ask, not as an effect.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core.csv_safety import safe_frame
from boroughs.support import rules as rl

DAYS = (0, 30, 60, 90)
ARREARS = (("council_tax", "arrears"), ("rent", "arrears"))


def arrears_at(frames: rl.Frames, residents: list[Any], when: dt.date) -> pd.Series:
    """Total council tax and rent arrears of each resident on ``when`` (latest value of each record)."""
    total = pd.Series(0.0, index=pd.Index(residents))
    ts = pd.Timestamp(when)
    for source, measure in ARREARS:
        s = frames.series(source, measure)
        s = s[s["resident_id"].isin(residents)]
        now = s[s["event_date"] <= ts].drop_duplicates("record_id", keep="last")
        total = total.add(now.groupby("resident_id")["value_num"].sum(), fill_value=0.0)
    return total


def choose_run(db: Session, organisation_id: int, frames: rl.Frames) -> Any:
    """The latest run with 90 days of history after it; else the latest run."""
    from boroughs.support.rules_models import FlagRun

    runs = list(db.scalars(select(FlagRun).where(FlagRun.organisation_id == organisation_id)
                           .order_by(FlagRun.id.desc())))
    for run in runs:
        if run.as_of + dt.timedelta(days=90) <= frames.as_of:
            return run
    return runs[0] if runs else None


def evaluate_rules(db: Session, organisation_id: int, *, frames: rl.Frames | None = None,
                   run_id: int | None = None) -> dict[str, Any]:
    from boroughs.support.outreach import CLOSING_REASONS, NEEDS
    from boroughs.support.outreach_models import CaseNeed, OutreachCase
    from boroughs.support.rules_data import frames_from_db
    from boroughs.support.rules_models import FlagRecord, FlagRun
    from boroughs.support.rules_service import live_rule_set

    frames = frames or frames_from_db(db, organisation_id)
    run = db.get(FlagRun, run_id) if run_id else choose_run(db, organisation_id, frames)
    if run is None or run.organisation_id != organisation_id:
        return {"run": None, "rules": []}
    titles: dict[str, str] = {}
    try:
        _, rs = live_rule_set(db, organisation_id)
        titles = {r.id: r.title for r in rs.rules}
    except Exception:
        pass
    flags = pd.DataFrame(db.execute(select(FlagRecord.resident_id, FlagRecord.rule_id)
                                    .where(FlagRecord.run_id == run.id)).all(), columns=["resident_id", "rule_id"])
    cases = pd.DataFrame(db.execute(select(OutreachCase.id, OutreachCase.resident_id, OutreachCase.first_contact_at,
                                           OutreachCase.reached_at, OutreachCase.closing_reason, OutreachCase.status)
                                    .where(OutreachCase.organisation_id == organisation_id)).all(),
                         columns=["case_id", "resident_id", "first_contact_at", "reached_at", "closing_reason",
                                  "status"])
    needs = pd.DataFrame(db.execute(select(CaseNeed.case_id, CaseNeed.need)
                                    .join(OutreachCase, OutreachCase.id == CaseNeed.case_id)
                                    .where(OutreachCase.organisation_id == organisation_id)).all(),
                         columns=["case_id", "need"])
    follow_days = (frames.as_of - run.as_of).days
    out_rules = []
    for rule_id, group in flags.groupby("rule_id", sort=True):
        flagged = list(group["resident_id"].unique())
        c = cases[cases["resident_id"].isin(flagged)]
        reached_ids = list(c.loc[c["reached_at"].notna(), "resident_id"].unique())
        comparison_ids = [r for r in flagged if r not in set(c.loc[c["first_contact_at"].notna(), "resident_id"])]
        n_need = needs[needs["case_id"].isin(c.loc[c["reached_at"].notna(), "case_id"])]["need"].value_counts()
        traj: dict[str, list[float | None]] = {"reached": [], "comparison": []}
        for d in DAYS:
            when = run.as_of + dt.timedelta(days=d)
            for label, ids in (("reached", reached_ids), ("comparison", comparison_ids)):
                if d > follow_days or not ids:
                    traj[label].append(None)
                else:
                    traj[label].append(round(float(arrears_at(frames, ids, when).mean()), 2))
        out_rules.append({
            "rule_id": rule_id, "title": titles.get(str(rule_id), str(rule_id)),
            "flagged": len(flagged), "cases": len(c), "contacted": int(c["first_contact_at"].notna().sum()),
            "reached": len(reached_ids), "reach_rate": (len(reached_ids) / len(flagged)) if flagged else 0.0,
            "comparison": len(comparison_ids),
            "needs": [(NEEDS.get(str(k), str(k)), int(v)) for k, v in n_need.items()],
            "closed": [(CLOSING_REASONS.get(str(k), str(k)), int(v))
                       for k, v in c["closing_reason"].dropna().value_counts().items()],
            "trajectory": traj,
        })
    return {"run": {"id": run.id, "as_of": run.as_of.isoformat(), "follow_days": follow_days},
            "days": list(DAYS), "rules": out_rules}


def evaluation_csv(result: dict[str, Any]) -> str:
    rows = []
    for r in result["rules"]:
        row: dict[str, Any] = {"rule_id": r["rule_id"], "title": r["title"], "flagged": r["flagged"],
                               "contacted": r["contacted"], "reached": r["reached"],
                               "reach_rate": round(r["reach_rate"], 4), "comparison_not_contacted": r["comparison"],
                               "needs": "; ".join(f"{k} {v}" for k, v in r["needs"]),
                               "closed": "; ".join(f"{k} {v}" for k, v in r["closed"])}
        for i, d in enumerate(result["days"]):
            row[f"reached_mean_arrears_day_{d}"] = r["trajectory"]["reached"][i]
            row[f"comparison_mean_arrears_day_{d}"] = r["trajectory"]["comparison"][i]
        rows.append(row)
    return safe_frame(pd.DataFrame(rows)).to_csv(index=False)
