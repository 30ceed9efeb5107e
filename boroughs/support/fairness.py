"""Fairness monitor: who the rules flag and what outreach achieves, by age band, sex, ethnic group,
disability and ward, against the borough's population; and a draft Algorithmic Transparency Recording
Standard (ATRS) record for the rule set.

Disparity ratio = (share of the group that was flagged) / (share of all residents that was flagged). A ratio
at or above the council's ``disparity_threshold`` (say 1.5), or at or below its reciprocal (0.67), is
highlighted. Groups of fewer than ``MIN_GROUP`` residents are shown without a ratio: their rates are too
unstable to read.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core.csv_safety import safe_frame
from boroughs.core.models import Organisation
from boroughs.support import rules as rl

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
    from boroughs.support.outreach_models import OutreachCase
    from boroughs.support.rules_data import frames_from_db
    from boroughs.support.rules_models import FlagRecord
    from boroughs.support.rules_service import latest_run, live_rule_set

    version, rule_set = live_rule_set(db, organisation_id)
    frames = frames or frames_from_db(db, organisation_id)
    run = latest_run(db, organisation_id)
    if run is not None:
        q = select(FlagRecord.resident_id, FlagRecord.rule_id).where(FlagRecord.run_id == run.id)
        pairs: list[tuple[Any, Any]] = [(a, b) for a, b in db.execute(q).all()]
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


ATRS_NOTE = ("Draft prepared by Boroughs. It follows the section headings of the UK Algorithmic Transparency "
             "Recording Standard template (Tier 1 and Tier 2, as published by the Department for Science, "
             "Innovation and Technology). No official ATRS schema was available to validate it against: check "
             "it against the current template before publishing.")


def atrs_record(db: Session, organisation_id: int, *, report: dict[str, Any] | None = None) -> dict[str, Any]:
    """A draft ATRS record for the council's live rule set, to complete and publish."""
    from boroughs.core.models import User
    from boroughs.support.rules_service import live_rule_set

    org = db.get(Organisation, organisation_id)
    version, rule_set = live_rule_set(db, organisation_id)
    approver = db.get(User, version.decided_by_id) if version.decided_by_id else None
    highlighted = []
    if report:
        for col, items in report["tables"].items():
            for it in items:
                if it["highlight"]:
                    highlighted.append(f"{rl.GROUP_LABELS[col]} {it['group']}: flagged {it['ratio']:.2f} times the "
                                       "borough rate")
    name = org.name if org else "the council"
    rules = [{"id": r.id, "title": r.title, "severity": r.severity, "logic": r.describe(),
              "rationale": r.description} for r in rule_set.rules]
    return {
        "status": "draft",
        "note": ATRS_NOTE,
        "prepared_on": dt.date.today().isoformat(),
        "tier_1": {
            "name": f"{name}: early-warning rules for preventative support",
            "description": ("Plain, published rules read a resident's council records (council tax, rent, "
                            "benefits, free school meals, adult social care contacts, homelessness approaches "
                            "and concerns raised by partner charities) and flag residents whose situation "
                            "may be getting worse, so that an officer can offer help before a crisis. The "
                            "rules decide nothing about a resident: a flag only puts them on an officer's "
                            "list to contact."),
            "website": "",
            "contact_email": "",
        },
        "tier_2": {
            "1_owner_and_responsibility": {
                "organisation": name, "team": "", "senior_responsible_owner": "",
                "external_supplier": "None: Boroughs is open-source software run by the council.",
                "rule_set_version": version.version,
                "approved_by": approver.name if approver else None,
                "approved_on": version.decided_at.date().isoformat() if version.decided_at else None,
            },
            "2_description_and_rationale": {
                "detailed_description": "Each rule is a set of conditions over linked records; all must hold.",
                "scope": "Residents of the borough whose records the council holds and has linked.",
                "benefits": "Earlier, preventative contact; fewer evictions, disconnections and debt spirals.",
                "previous_process": "Officers found residents through separate service reports, or not at all.",
                "alternatives_considered": ("Predictive risk scores were rejected because residents and staff "
                                            "cannot read or challenge them."),
            },
            "3_decision_making_process": {
                "process_integration": "Flags become outreach cases on officers' worklists.",
                "provided_information": "Each flag names the rule and the facts (values, dates, records) behind it.",
                "frequency_and_scale": "Evaluated nightly over all linked residents.",
                "human_decisions_and_review": ("Officers decide whether and how to contact a resident; "
                                               "managers approve every rule change before it goes live."),
                "required_training": "",
                "appeals_and_review": ("Residents may object to profiling; they are then never flagged. "
                                       "Complaints go through the council's usual process."),
            },
            "4_tool_specification": {
                "system_architecture": "Declarative rules evaluated over linked council records (Boroughs).",
                "phase": "Pilot",
                "maintenance": "Every rule version is kept; the fairness monitor is reviewed after each run.",
                "models": rules,
                "settings": {"max_share": rule_set.max_share, "disparity_threshold": rule_set.disparity_threshold},
            },
            "5_data_specification": {
                "source_data": sorted({c.source for r in rule_set.rules for c in r.conditions if c.source}),
                "data_linkage": "Probabilistic record linkage (Splink) with clerical review of uncertain pairs.",
                "data_sharing_agreements": "",
                "data_access_and_storage": "Council officers only; every read of personal data is audited.",
                "protected_characteristics_used": ("None by the rules except age where a rule says so; sex, "
                                                   "ethnic group and disability are used only to monitor fairness."),
            },
            "6_risks_mitigations_and_impact_assessments": {
                "impact_assessments": "Data protection impact assessment: to be linked. Equality impact assessment: to be linked.",
                "risks": ["Rules may miss residents whose hardship does not show in council records.",
                          "Rules may flag some groups more often than others."],
                "mitigations": ["Fairness monitor with a council-set threshold; groups passing it are reviewed.",
                                "No rule may flag more than the set share of the borough.",
                                "Right to object honoured before any evaluation."],
                "fairness_findings": highlighted or ["No group passed the disparity threshold in the latest run."],
            },
        },
    }


def atrs_markdown(record: dict[str, Any]) -> str:
    lines = [f"# {record['tier_1']['name']}", "", f"*{record['note']}*", "", "## Tier 1", ""]
    for k, v in record["tier_1"].items():
        lines.append(f"- **{k.replace('_', ' ').capitalize()}**: {v or 'to complete'}")
    lines += ["", "## Tier 2"]
    for section, body in record["tier_2"].items():
        number, _, title = section.partition("_")
        lines += ["", f"### {number}. {title.replace('_', ' ').capitalize()}", ""]
        for k, v in body.items():
            if isinstance(v, list) and v and isinstance(v[0], dict):
                lines.append(f"- **{k.replace('_', ' ').capitalize()}**:")
                for item in v:
                    lines.append(f"  - `{item['id']}` ({item['severity']}): {item['title']}. {item['logic']}")
            elif isinstance(v, (list, dict)):
                lines.append(f"- **{k.replace('_', ' ').capitalize()}**: {json.dumps(v)}")
            else:
                lines.append(f"- **{k.replace('_', ' ').capitalize()}**: {v if v not in (None, '') else 'to complete'}")
    return "\n".join(lines) + "\n"
