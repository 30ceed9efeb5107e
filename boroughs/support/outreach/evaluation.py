"""Evaluation per rule: how many flagged residents were reached, what they needed, and what happened next
(their arrears over the following 90 days) against a comparison group of residents flagged by the same rule
whom nobody has contacted yet.

Outcomes at each horizon (issue 17) come from the record histories: a resident's arrears on day *d* after
the run is the latest value of each of their council tax and rent records on or before that day, so the
day-30 and day-60 figures differ whenever the histories do. A horizon the records do not reach yet is
reported as "not yet". Each reached resident is **matched** to the not-yet-contacted resident flagged by the
same rule with the nearest arrears on the day of the run (nearest neighbour, without replacement); the
outcome is the change in arrears since the run, and each horizon gives the mean difference over the matched
pairs with a 95% interval (Student's t on the paired differences). With fewer than ``MIN_PAIRS`` pairs the
evaluation says plainly that the groups are too small to conclude anything.

The comparison is still not causal: residents are not assigned to contact at random, and officers contact
the highest-priority cases first. Matching on arrears at the run removes only that one difference.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core.csv_safety import safe_frame
from boroughs.support.rules import engine as rl

DAYS = (0, 30, 60, 90)
ARREARS = (("council_tax", "arrears"), ("rent", "arrears"))
MIN_PAIRS = 10  # fewer matched pairs than this: too few to conclude anything


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


def match_nearest(baseline: pd.Series, treated: list[Any], pool: list[Any]) -> list[tuple[Any, Any]]:
    """Pairs (treated, comparison): each treated resident, in order of baseline arrears, takes the unused
    comparison resident with the nearest baseline (ties: the lower id)."""
    available = sorted(pool, key=lambda r: (float(baseline.get(r, 0.0)), str(r)))
    pairs: list[tuple[Any, Any]] = []
    for t in sorted(treated, key=lambda r: (float(baseline.get(r, 0.0)), str(r))):
        if not available:
            break
        b = float(baseline.get(t, 0.0))
        best = min(range(len(available)), key=lambda i: (abs(float(baseline.get(available[i], 0.0)) - b), i))
        pairs.append((t, available.pop(best)))
    return pairs


def _gbp(v: float) -> str:
    return f"-£{abs(v):,.2f}" if v < 0 else f"£{v:,.2f}"


def horizon_outcomes(frames: rl.Frames, treated: list[Any], pool: list[Any], start: dt.date,
                     horizons: tuple[int, ...] = DAYS[1:], follow_until: dt.date | None = None) -> dict[str, Any]:
    """The matched comparison at each horizon: pairs, mean change in arrears per group, the mean paired
    difference with its 95% interval, and a plain statement of what can (and cannot) be concluded."""
    from scipy import stats

    follow_until = follow_until or frames.as_of
    everyone = list(dict.fromkeys([*treated, *pool]))
    baseline = arrears_at(frames, everyone, start) if everyone else pd.Series(dtype=float)
    pairs = match_nearest(baseline, treated, pool)
    t_ids, c_ids = [p[0] for p in pairs], [p[1] for p in pairs]
    out = []
    for d in horizons:
        when = start + dt.timedelta(days=d)
        row: dict[str, Any] = {"day": d, "pairs": len(pairs), "reached_change": None, "comparison_change": None,
                               "difference": None, "low": None, "high": None}
        if when > follow_until:
            row["statement"] = (f"Not yet: the records reach {max((follow_until - start).days, 0)} days after "
                                "the run.")
        elif not pairs:
            row["statement"] = "No comparison: no reached resident has a not-yet-contacted match."
        else:
            at = arrears_at(frames, everyone, when)
            t_change = (at.reindex(t_ids).fillna(0.0).to_numpy() - baseline.reindex(t_ids).fillna(0.0).to_numpy())
            c_change = (at.reindex(c_ids).fillna(0.0).to_numpy() - baseline.reindex(c_ids).fillna(0.0).to_numpy())
            diff = t_change - c_change
            mean = float(diff.mean())
            row.update(reached_change=round(float(t_change.mean()), 2),
                       comparison_change=round(float(c_change.mean()), 2), difference=round(mean, 2))
            if len(diff) >= 2:
                sd = float(diff.std(ddof=1))
                half = float(stats.t.ppf(0.975, len(diff) - 1)) * sd / (len(diff) ** 0.5)
                row.update(low=round(mean - half, 2), high=round(mean + half, 2))
            if len(pairs) < MIN_PAIRS:
                row["statement"] = (f"Too few to conclude anything: {len(pairs)} matched pair(s); at least "
                                    f"{MIN_PAIRS} are needed before a difference means much.")
            elif row["low"] is not None and row["low"] <= 0 <= row["high"]:
                row["statement"] = (f"No clear difference: the 95% interval ({_gbp(row['low'])} to "
                                    f"{_gbp(row['high'])}) includes no difference at all.")
            else:
                way = "less" if mean < 0 else "more"
                row["statement"] = (f"Reached residents' arrears grew {_gbp(abs(mean))} {way} than their matches' "
                                    f"(95% interval {_gbp(row['low'] or 0)} to {_gbp(row['high'] or 0)}); this "
                                    "describes, it does not prove cause.")
        out.append(row)
    return {"method": "matched on arrears at the run (nearest neighbour, without replacement)",
            "pairs": len(pairs), "horizons": out}


def choose_run(db: Session, organisation_id: int, frames: rl.Frames) -> Any:
    """The latest run with 90 days of history after it; else the latest run."""
    from boroughs.support.rules.service import runs_of

    runs = runs_of(db, organisation_id)[::-1]
    for run in runs:
        if run.as_of + dt.timedelta(days=90) <= frames.as_of:
            return run
    return runs[0] if runs else None


def evaluate_rules(db: Session, organisation_id: int, *, frames: rl.Frames | None = None,
                   run_id: int | None = None) -> dict[str, Any]:
    from boroughs.support.outreach.models import CaseNeed, OutreachCase
    from boroughs.support.outreach.service import CLOSING_REASONS, NEEDS
    from boroughs.support.rules.data import frames_from_db
    from boroughs.support.rules.service import flags_of_run, get_run, live_rule_set

    frames = frames or frames_from_db(db, organisation_id)
    run = get_run(db, run_id) if run_id else choose_run(db, organisation_id, frames)
    if run is None or run.organisation_id != organisation_id:
        return {"run": None, "rules": []}
    titles: dict[str, str] = {}
    try:
        _, rs = live_rule_set(db, organisation_id)
        titles = {r.id: r.title for r in rs.rules}
    except Exception:
        pass
    flags = pd.DataFrame([(r, rule) for r, rule, _ in flags_of_run(db, run.id)], columns=["resident_id", "rule_id"])
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
            "matched": horizon_outcomes(frames, reached_ids, comparison_ids, run.as_of,
                                        follow_until=frames.as_of),
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
        row["matched_pairs"] = r["matched"]["pairs"]
        for h in r["matched"]["horizons"]:
            d = h["day"]
            row[f"matched_difference_day_{d}"] = h["difference"]
            row[f"matched_difference_day_{d}_low95"] = h["low"]
            row[f"matched_difference_day_{d}_high95"] = h["high"]
            row[f"matched_day_{d}_conclusion"] = h["statement"]
        rows.append(row)
    return safe_frame(pd.DataFrame(rows)).to_csv(index=False)
