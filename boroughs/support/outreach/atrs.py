"""A draft Algorithmic Transparency Recording Standard (ATRS) record, generated from the system's own state
(issue 17): the live rules and what each uses, the datasets imported, the data sharing agreements the
council holds, the runs actually made (no schedule is claimed that is not configured), the fairness
figures, the human oversight recorded (approvals, officers, objections) and the contacts. Nothing is
hard-coded: what the system does not know is written as "not recorded in Boroughs" for the council to
complete.

``atrs_record`` gives the record as the template's sections and fields (Tier 1 and the six Tier 2 sections
of ATRS v3.0); ``atrs_markdown`` renders it as clean Markdown (headings, bullet lists and tables; no JSON).
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from boroughs.core.models import Membership, Organisation, Role, User
from boroughs.support.rules import engine as rl
from boroughs.support.rules import vocabulary as rules_vocabulary

ATRS_NOTE = ("Draft prepared by Boroughs from its own records. It follows the sections and fields of the UK "
             "Algorithmic Transparency Recording Standard template (v3.0: Tier 1 and the six Tier 2 sections, "
             "published by the Department for Science, Innovation and Technology). There is no official ATRS "
             "schema to validate it against: check it against the current template before publishing.")
NOT_RECORDED = "not recorded in Boroughs: to complete"


# Other algorithms the council's record describes beside the rules, each added by the part that runs it
# (support/entitlements adds the benefit take-up estimate): key -> function of (session, council id)
# returning {"model", "inputs", "sharing", "state", "fairness"}.
COMPANIONS: dict[str, Callable[[Session, int], dict[str, Any]]] = {}


def _runs(db: Session, organisation_id: int) -> dict[str, Any]:
    """How the rules have actually been run: counts, dates, by whom, the typical gap between runs."""
    from boroughs.support.rules.service import runs_of

    runs = sorted(runs_of(db, organisation_id), key=lambda r: r.run_at)
    if not runs:
        return {"runs": 0, "summary": "The rules have not been run yet."}
    gaps = [(b.run_at - a.run_at).total_seconds() / 86400 for a, b in itertools.pairwise(runs)]
    by_hand = sum(1 for r in runs if r.run_by_id is not None)
    summary = (f"{len(runs)} run(s) from {runs[0].run_at.date().isoformat()} to {runs[-1].run_at.date().isoformat()}: "
               f"{by_hand} started by a person on the web, {len(runs) - by_hand} from the command line "
               "(`boroughs support flags`). Boroughs schedules nothing itself; a council that wants regular "
               "runs sets up its own scheduler.")
    if gaps:
        summary += f" The median gap between runs was {statistics.median(gaps):.1f} days."
    latest = runs[-1]
    return {"runs": len(runs), "first": runs[0].run_at.date().isoformat(), "latest": latest.run_at.date().isoformat(),
            "latest_residents": latest.residents, "latest_flags": latest.flags, "latest_opted_out": latest.opted_out,
            "summary": summary}


def _agreements(db: Session, organisation_id: int) -> list[dict[str, Any]]:
    from boroughs.support.governance.service import agreements_for

    today = dt.date.today()
    rows = sorted(agreements_for(db, [organisation_id]), key=lambda a: a.reference)
    out = []
    for a in rows:
        live = a.signed and a.terminated_at is None and a.start_date <= today <= a.end_date
        out.append({"reference": a.reference, "title": a.title, "lawful_basis": f"UK GDPR Article 6(1)({a.art6_basis})",
                    "status": "in force" if live else ("not signed" if not a.signed else "not in force"),
                    "ends": a.end_date.isoformat(), "purposes": [p.key for p in a.purposes]})
    return out


def _inputs(db: Session, organisation_id: int, sources: list[str]) -> list[dict[str, Any]]:
    from boroughs.support.records.models import ImportBatch

    rows = {d: (n, latest) for d, n, latest in db.execute(
        select(ImportBatch.dataset, func.count(), func.max(ImportBatch.imported_at))
        .where(ImportBatch.organisation_id == organisation_id).group_by(ImportBatch.dataset)).all()}
    out = []
    for s in sources:
        n, latest = rows.get(s, (0, None))
        out.append({"dataset": s, "title": rules_vocabulary.SOURCE_LABELS.get(s, s), "imports": int(n),
                    "latest_import": latest.date().isoformat() if latest else "never imported"})
    return out


def _oversight(db: Session, organisation_id: int, version: Any) -> dict[str, Any]:
    from boroughs.support.outreach.models import OutreachCase
    from boroughs.support.rules.service import objections_in_force

    author = db.get(User, version.author_id) if version.author_id else None
    approver = db.get(User, version.decided_by_id) if version.decided_by_id else None
    cases = db.execute(select(func.count(), func.count(OutreachCase.assigned_to_id), func.count(OutreachCase.reached_at))
                       .where(OutreachCase.organisation_id == organisation_id)).one()
    objections = objections_in_force(db, organisation_id)
    return {"rule_version": version.version, "written_by": author.name if author else None,
            "approved_by": approver.name if approver else None,
            "approved_on": version.decided_at.date().isoformat() if version.decided_at else None,
            "decision_note": version.decision_note, "cases": int(cases[0]), "cases_assigned": int(cases[1]),
            "cases_reached": int(cases[2]), "objections_in_force": int(objections)}


def _contacts(db: Session, organisation_id: int) -> list[str]:
    managers = db.scalars(select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.organisation_id == organisation_id,
        Membership.role.in_((Role.COUNCIL_MANAGER.value, Role.COUNCIL_IG.value))).order_by(User.name))
    return [f"{u.name} <{u.email}>" for u in managers]


def atrs_record(db: Session, organisation_id: int, *, report: dict[str, Any] | None = None) -> dict[str, Any]:
    """The draft record for the council's live rule set."""
    from boroughs.support.rules.service import live_rule_set

    org = db.get(Organisation, organisation_id)
    name = org.name if org else "the council"
    version, rule_set = live_rule_set(db, organisation_id)
    sources = sorted({c.source for r in rule_set.rules for c in r.conditions if c.source})
    residents_fields = sorted({c.field for r in rule_set.rules for c in r.conditions if c.kind == "resident" and c.field})
    rules = [{"id": r.id, "title": r.title, "severity": r.severity, "logic": r.describe(),
              "rationale": r.description or NOT_RECORDED, "protected_characteristics": r.protected,
              "justification": r.justification or None} for r in rule_set.rules]
    protected = [r for r in rules if r["protected_characteristics"]]
    runs = _runs(db, organisation_id)
    agreements = _agreements(db, organisation_id)
    oversight = _oversight(db, organisation_id, version)
    contacts = _contacts(db, organisation_id)
    highlighted, figures = [], []
    if report:
        figures.append(f"{report['flagged']:,} of {report['residents']:,} residents flagged on {report['as_of']} "
                       f"(rules version {report['rule_set_version']}); disparity threshold {report['threshold']}.")
        for col, items in report["tables"].items():
            for it in items:
                if it["highlight"]:
                    highlighted.append(f"{rl.GROUP_LABELS[col]} {it['group']}: flagged {it['ratio']:.2f} times the "
                                       f"borough rate ({it['flagged']} of {it['residents']})")
    in_force = [a for a in agreements if a["status"] == "in force"]
    companions = {key: describe(db, organisation_id) for key, describe in COMPANIONS.items()}
    return {
        "status": "draft",
        "note": ATRS_NOTE,
        "prepared_on": dt.date.today().isoformat(),
        "metadata": {"standard_version": "3.0", "organisation": name, "region": "London",
                     "function": "Preventative support for residents", "phase": "Pilot" if runs["runs"] else "Pre-deployment"},
        "tier_1": {
            "name": f"{name}: early-warning rules for preventative support",
            "description": (f"{len(rules)} published rules read residents' council records "
                            f"({', '.join(i['title'] for i in _inputs(db, organisation_id, sources))}) and flag "
                            "residents whose situation may be getting worse, so that an officer can offer help. "
                            "The rules decide nothing about a resident: a flag puts them on an officer's list."),
            "website": (org.website if org and org.website else NOT_RECORDED),
            "contact_email": "; ".join(contacts) if contacts else NOT_RECORDED,
        },
        "tier_2": {
            "1_owner_and_responsibility": {
                "organisation": name, "senior_responsible_owner": oversight["approved_by"] or NOT_RECORDED,
                "external_supplier": "None: Boroughs is open-source software run by the council.",
                "rule_set_version": version.version, "approved_by": oversight["approved_by"] or NOT_RECORDED,
                "approved_on": oversight["approved_on"] or NOT_RECORDED,
            },
            "2_description_and_rationale": {
                "detailed_description": ("Each rule is a set of conditions over linked records; every condition "
                                         "under all must hold, and one under any when given."),
                "algorithm_type": "Rule-based (declarative, published rules); no machine learning in the rules.",
                "scope": f"Residents of {name} whose records the council has imported and linked.",
                "benefits": "Earlier, preventative contact, before arrears or a crisis grow.",
            },
            "3_decision_making_process": {
                "process_integration": "Flags become outreach cases on officers' worklists.",
                "provided_information": "Each flag names the rule and the facts (values, dates, records) behind it.",
                "frequency_and_scale": runs["summary"],
                "human_decisions_and_review": (
                    f"Officers decide whether and how to contact each resident ({oversight['cases']:,} cases so far, "
                    f"{oversight['cases_assigned']:,} assigned to an officer, {oversight['cases_reached']:,} reached). "
                    f"Rule version {oversight['rule_version']} was written by {oversight['written_by'] or NOT_RECORDED} "
                    f"and approved by {oversight['approved_by'] or NOT_RECORDED} (another person: four eyes)."),
                "appeals_and_review": (f"Residents may object to profiling and are then never flagged "
                                       f"({oversight['objections_in_force']:,} objections in force)."),
            },
            "4_tool_specification": {
                "system_architecture": "Declarative rules evaluated over linked council records (Boroughs).",
                "models": rules,
                **{f"{key}_estimate": c["model"] for key, c in companions.items()},
                "settings": {"largest share of residents one rule may flag": f"{rule_set.max_share:.0%}",
                             "disparity threshold": f"{rule_set.disparity_threshold:g}"},
            },
            "5_data_specification": {
                "source_data": _inputs(db, organisation_id, sources),
                "resident_attributes_used_by_rules": residents_fields or ["none"],
                **{f"{key}_{part}": c[part] for key, c in companions.items() for part in ("inputs", "sharing")},
                "data_linkage": "Probabilistic record linkage (Splink) with clerical review of uncertain pairs.",
                "data_sharing_agreements": agreements or [{"reference": "none held", "title": "", "lawful_basis": "",
                                                           "status": "", "ends": "", "purposes": []}],
                "data_access_and_storage": "Council staff only, by role; every read of personal data is audited.",
                "protected_characteristics_used": (
                    [f"{r['id']}: {'; '.join(list(r['protected_characteristics'] or []))}. "
                     f"Justification: {r['justification']}" for r in protected] or ["None: sex, ethnic group, disability and age are used only to "
                                             "monitor fairness."]),
            },
            "6_risks_mitigations_and_impact_assessments": {
                "impact_assessments": NOT_RECORDED,
                "risks": ["Rules may miss residents whose hardship does not show in council records.",
                          "Rules may flag some groups more often than others."],
                "mitigations": [f"Fairness monitor; groups flagged {rule_set.disparity_threshold:g} times (or "
                                f"1/{rule_set.disparity_threshold:g}) the borough rate are highlighted.",
                                f"No rule may flag more than {rule_set.max_share:.0%} of the borough.",
                                "Objections to profiling honoured before any evaluation.",
                                f"{len(in_force)} data sharing agreement(s) in force govern what is shared."],
                "fairness_figures": figures or ["No fairness report was produced for this record."],
                "fairness_findings": highlighted or ["No group passed the disparity threshold in the latest run."],
                **{key: [c["state"], *c["fairness"]] for key, c in companions.items()},
            },
        },
    }


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize()


def _md_value(v: Any) -> str:
    if v is None or v == "":
        return NOT_RECORDED
    return str(v).replace("\n", " ")


def atrs_markdown(record: dict[str, Any]) -> str:
    lines = [f"# {record['tier_1']['name']}", "", f"*{record['note']}*", "",
             f"Prepared on {record['prepared_on']} ({record['status']}).", "", "## Metadata", ""]
    for k, v in record["metadata"].items():
        lines.append(f"- **{_label(k)}**: {_md_value(v)}")
    lines += ["", "## Tier 1: overview", ""]
    for k, v in record["tier_1"].items():
        lines.append(f"- **{_label(k)}**: {_md_value(v)}")
    lines += ["", "## Tier 2"]
    for section, body in record["tier_2"].items():
        number, _, title = section.partition("_")
        lines += ["", f"### {number}. {_label(title)}", ""]
        for k, v in body.items():
            if k == "models":
                lines += [f"- **Rules** ({len(v)}):", ""]
                for item in v:
                    lines.append(f"  - `{item['id']}` ({item['severity']}): {item['title']}. {item['logic']} "
                                 f"Why: {_md_value(item['rationale'])}")
                    if item["protected_characteristics"]:
                        lines.append(f"    - Uses {'; '.join(item['protected_characteristics'])}. "
                                     f"Justification: {_md_value(item['justification'])}")
            elif isinstance(v, list) and v and isinstance(v[0], dict):
                cols = list(v[0])
                lines += [f"- **{_label(k)}**:", "", "  | " + " | ".join(_label(c) for c in cols) + " |",
                          "  |" + "---|" * len(cols)]
                for item in v:
                    lines.append("  | " + " | ".join(
                        ", ".join(map(str, item[c])) if isinstance(item[c], list) else str(item[c]).replace("|", "/")
                        for c in cols) + " |")
                lines.append("")
            elif isinstance(v, list):
                lines.append(f"- **{_label(k)}**:")
                lines += [f"  - {_md_value(x)}" for x in v]
            elif isinstance(v, dict):
                lines.append(f"- **{_label(k)}**:")
                lines += [f"  - {kk}: {_md_value(vv)}" for kk, vv in v.items()]
            else:
                lines.append(f"- **{_label(k)}**: {_md_value(v)}")
    return "\n".join(lines) + "\n"
