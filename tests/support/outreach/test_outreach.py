"""The rule workbench, flag runs, the right to object, outreach cases, fairness and evaluation on real
databases (SQLite and PostgreSQL), using a small SYNTHETIC borough (issue 6)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from boroughs.core.errors import PermissionDenied, ValidationFailed
from boroughs.core.models import AuditEvent, Role
from boroughs.support.outreach import evaluation, fairness
from boroughs.support.outreach import service as outreach
from boroughs.support.outreach.models import CaseAssignment, OutreachCase
from boroughs.support.outreach.notify import LocalBackend
from boroughs.support.rules import engine as rl
from boroughs.support.rules import language as rules_language
from boroughs.support.rules import service as rules_service
from boroughs.support.rules import vocabulary as rules_vocabulary
from boroughs.support.rules.data import frames_from_db, load_synth_into_db
from boroughs.support.rules.models import FlagRecord, RuleStatus
from tests.support.outreach_factories import council, person, synth_folder


@pytest.fixture(scope="session")
def borough_dir(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    return synth_folder(tmp_path_factory.mktemp("borough"), residents=1200, seed=5)


@pytest.fixture
def world(session, borough_dir):
    org = council(session)
    other = council(session, "hackney", "E09000012")
    officer = person(session, "o@n.test", "Olu Officer", (org, Role.COUNCIL_OFFICER))
    officer2 = person(session, "o2@n.test", "Ola Officer", (org, Role.COUNCIL_OFFICER))
    manager = person(session, "m@n.test", "Meera Manager", (org, Role.COUNCIL_MANAGER))
    manager2 = person(session, "m2@n.test", "Mo Manager", (org, Role.COUNCIL_MANAGER))
    foreign = person(session, "h@h.test", "Harry Officer", (other, Role.COUNCIL_OFFICER))
    load_synth_into_db(session, org.id, borough_dir)
    session.flush()
    return {"org": org, "other": other, "officer": officer, "officer2": officer2, "manager": manager,
            "manager2": manager2, "foreign": foreign}


def _approve_default(session, w, body=None):
    v = rules_service.create_draft(session, w["org"].id, w["officer"], body=body)
    rules_service.submit(session, v, w["officer"])
    rules_service.approve(session, v, w["manager"])
    return v


def test_frames_from_db_match_the_files(session, world, borough_dir):
    from boroughs.support.rules.data import frames_from_synth

    db_frames = frames_from_db(session, world["org"].id)
    file_frames = frames_from_synth(borough_dir)
    rs = rules_language.load_rule_file(rules_vocabulary.RULES_DIR / "newham.yaml")
    a = rl.evaluate(rs, db_frames).per_rule
    b = rl.evaluate(rs, file_frames).per_rule
    assert a == b
    assert sum(a.values()) > 0


def test_workbench_versions_approval_and_four_eyes(session, world):
    w = world
    v1 = rules_service.create_draft(session, w["org"].id, w["officer"])
    assert "council: E09000025" in v1.body
    assert rules_service.problems_of(session, v1) == []
    problems = rules_service.update_draft(session, v1, w["officer"], v1.body.replace("measure: arrears,", "measure: arears,", 1), "typo")
    assert problems and "no measure 'arears'" in problems[0]
    with pytest.raises(rules_language.RuleError):
        rules_service.submit(session, v1, w["officer"])
    rules_service.update_draft(session, v1, w["officer"], rules_language.default_rules_text("newham"), "fixed")
    preview = rules_service.run_preview(session, v1, w["officer"])
    assert {r["id"] for r in preview["rules"]} >= {"rent-arrears-8-weeks-fsm"}
    assert preview["synthetic"] is True
    rules_service.submit(session, v1, w["officer"])
    assert v1.status == RuleStatus.SUBMITTED
    with pytest.raises(ValidationFailed, match="another manager"):
        author_manager_draft = rules_service.create_draft(session, w["org"].id, w["manager"])
        rules_service.submit(session, author_manager_draft, w["manager"])
        rules_service.approve(session, author_manager_draft, w["manager"])
    rules_service.approve(session, v1, w["manager"], "ok")
    assert rules_service.live_version(session, w["org"].id).id == v1.id
    v3 = rules_service.create_draft(session, w["org"].id, w["officer"])
    assert v3.body == v1.body and v3.based_on_id == v1.id
    rules_service.submit(session, v3, w["officer"])
    rules_service.reject(session, v3, w["manager2"], "Explain the change")
    assert v3.status == RuleStatus.REJECTED
    # every version is kept
    assert [v.version for v in rules_service.versions(session, w["org"].id)] == [3, 2, 1]
    exported = rules_service.export_file(session, v1)
    assert "approved_by: m@n.test" in exported and rules_language.parse_rules(exported).meta["version"] == 1


def test_a_rule_flagging_too_many_is_refused_before_approval(session, world):
    body = """
council: E09000025
title: Too broad
settings: {max_share: 0.05}
rules:
  - id: all-adults
    title: Every adult
    severity: low
    justification: Adults only, to test the share check; age is the point of the rule.
    all:
      - resident: {field: age, at_least: 18}
"""
    v = rules_service.create_draft(session, world["org"].id, world["officer"], body=body)
    with pytest.raises(rules_language.RuleError, match="would flag .* more than the 5%"):
        rules_service.submit(session, v, world["officer"])
    assert v.status == RuleStatus.DRAFT


def test_opted_out_residents_are_never_flagged_or_worked(session, world):
    w = world
    _approve_default(session, w)
    ev = rules_service.evaluate_live(session, w["org"].id)[1]
    victims = list(ev.flags["resident_id"].unique()[:3])
    run1 = rules_service.run_flags(session, w["org"].id, w["manager"])
    case = session.scalar(select(OutreachCase).where(OutreachCase.resident_id == int(victims[0])))
    assert case is not None and case.status == "open"
    for rid in victims:
        rules_service.record_opt_out(session, w["org"].id, int(rid), objected_on=dt.date.today(), source="letter",
                                     user=w["officer"])
    assert case.status == "closed" and case.closing_reason == "opted_out"
    run2 = rules_service.run_flags(session, w["org"].id, w["manager"])
    flagged = set(session.scalars(select(FlagRecord.resident_id).where(FlagRecord.run_id == run2.id)))
    assert not flagged & {int(v) for v in victims}
    assert run2.opted_out == 3 and run1.flags > run2.flags
    open_cases = set(session.scalars(select(OutreachCase.resident_id).where(OutreachCase.status != "closed")))
    assert not open_cases & {int(v) for v in victims}
    with pytest.raises(ValidationFailed, match="future"):
        rules_service.record_opt_out(session, w["org"].id, int(victims[0]), objected_on=dt.date.today() + dt.timedelta(days=2),
                                     source="letter", user=w["officer"])
    audit = session.scalar(select(AuditEvent).where(AuditEvent.action == "support.optout.record"))
    assert audit.purpose


def test_worklist_assignment_contacts_needs_notes_and_closing(session, world):
    w = world
    _approve_default(session, w)
    run = rules_service.run_flags(session, w["org"].id, w["manager"])
    rows, total = outreach.worklist(session, w["org"].id)
    assert total == session.scalar(select(func.count()).select_from(OutreachCase)) > 0
    prios = [r.priority for r in rows]
    assert prios == sorted(prios, reverse=True)
    assert run.flags >= total  # one case per resident, however many rules fired
    ids = [r.case_id for r in rows[:3]]
    assert outreach.bulk_assign(session, w["org"].id, ids, w["officer"].id, w["manager"]) == 3
    mine, n = outreach.worklist(session, w["org"].id, assigned_to=w["officer"].id)
    assert n == 3 and {r.case_id for r in mine} == set(ids)
    case = outreach.get_case(session, ids[0])
    outreach.assign(session, case, w["officer2"].id, w["manager"])  # reassignment, kept in history
    hist = list(session.scalars(select(CaseAssignment).where(CaseAssignment.case_id == case.id)))
    assert [(h.from_user_id, h.to_user_id) for h in hist] == [(None, w["officer"].id), (w["officer"].id, w["officer2"].id)]
    with pytest.raises(PermissionDenied):
        outreach.record_contact(session, case, w["officer"], channel="phone", outcome="reached")
    with pytest.raises(ValidationFailed):
        outreach.bulk_assign(session, w["org"].id, ids, w["foreign"].id, w["manager"])
    outreach.record_contact(session, case, w["officer2"], channel="phone", outcome="no_answer")
    backend = LocalBackend()
    outreach.record_contact(session, case, w["officer2"], channel="sms", outcome="message_sent", send=backend,
                            council_name="Newham")
    assert backend.sent and backend.sent[0]["to"].startswith("07") and "Newham" in backend.sent[0]["body"]
    outreach.record_contact(session, case, w["officer2"], channel="visit", outcome="reached", note="At home")
    assert case.status == "in_progress" and case.reached_at is not None
    outreach.record_needs(session, case, w["officer2"], {"food": ("urgent", "No food"), "money_debt": ("moderate", None)})
    assert outreach.case_needs(session, case.id) == ["food", "money_debt"]
    with pytest.raises(ValidationFailed, match="Unknown need"):
        outreach.record_needs(session, case, w["officer2"], {"space_travel": ("low", None)})
    outreach.add_note(session, case, w["officer2"], "Referred to the food bank")
    outreach.set_follow_up(session, case, w["officer2"], dt.date.today() + dt.timedelta(days=7))
    with pytest.raises(ValidationFailed, match="today or later"):
        outreach.set_follow_up(session, case, w["officer2"], dt.date(2000, 1, 1))
    outreach.close_case(session, case, w["officer2"], "referred")
    assert case.status == "closed" and case.follow_up_on is None
    with pytest.raises(ValidationFailed, match="closed"):
        outreach.record_contact(session, case, w["officer2"], channel="phone", outcome="reached")
    purposes = set(session.scalars(select(AuditEvent.purpose).where(AuditEvent.action == "support.outreach.contact")))
    assert purposes == {"preventative outreach"}


def test_a_second_run_joins_open_cases(session, world):
    _approve_default(session, world)
    rules_service.run_flags(session, world["org"].id, world["manager"])
    n1 = session.scalar(select(func.count()).select_from(OutreachCase))
    rules_service.run_flags(session, world["org"].id, world["manager"])
    assert session.scalar(select(func.count()).select_from(OutreachCase)) == n1


def test_fairness_report_and_atrs(session, world):
    _approve_default(session, world)
    rules_service.run_flags(session, world["org"].id, world["manager"])
    report = fairness.fairness_report(session, world["org"].id)
    assert set(report["tables"]) == {"age_band", "sex", "ethnicity", "disability", "ward"}
    for items in report["tables"].values():
        assert sum(i["residents"] for i in items) == report["residents"]
        assert sum(i["flagged"] for i in items) == report["flagged"]
    csv = fairness.report_csv(report)
    assert csv.startswith("characteristic,group,residents")
    record = fairness.atrs_record(session, world["org"].id, report=report)
    assert record["status"] == "draft" and "No official ATRS schema" in record["note"].replace("no official", "No official")
    assert set(record["tier_2"]) == {"1_owner_and_responsibility", "2_description_and_rationale",
                                     "3_decision_making_process", "4_tool_specification", "5_data_specification",
                                     "6_risks_mitigations_and_impact_assessments"}
    md = fairness.atrs_markdown(record)
    assert "### 4. Tool specification" in md and "rent-arrears-8-weeks-fsm" in md


def test_disparity_ratios_and_highlighting():
    groups = pd.DataFrame({"age_band": ["18 to 24"] * 20 + ["75 and over"] * 20, "sex": ["Female"] * 40,
                           "ethnicity": ["White"] * 40, "disability": ["Not disabled"] * 40, "ward": ["A"] * 40},
                          index=range(40))
    flagged = set(range(0, 8)) | {20}  # 8 of 20 young, 1 of 20 old: borough rate 9/40
    t = fairness.disparity_table(groups, flagged, 1.5)
    young, old = t["age_band"]
    assert young["ratio"] == pytest.approx((8 / 20) / (9 / 40)) and young["highlight"] and young["direction"] == "more"
    assert old["ratio"] == pytest.approx((1 / 20) / (9 / 40)) and old["highlight"] and old["direction"] == "less"
    assert t["sex"][0]["ratio"] == pytest.approx(1.0) and not t["sex"][0]["highlight"]


def test_evaluation_compares_reached_with_not_yet_contacted(session, world):
    w = world
    _approve_default(session, w)
    frames = frames_from_db(session, w["org"].id)
    run = rules_service.run_flags(session, w["org"].id, w["manager"], frames=frames,
                                  as_of=frames.as_of - dt.timedelta(days=91))
    cases = list(session.scalars(select(OutreachCase).order_by(OutreachCase.id)))
    outreach.bulk_assign(session, w["org"].id, [c.id for c in cases], w["officer"].id, w["manager"])
    reached = cases[: len(cases) // 2]
    for c in reached:
        outreach.record_contact(session, c, w["officer"], channel="phone", outcome="reached")
        outreach.record_needs(session, c, w["officer"], {"housing": ("urgent", None)})
    result = evaluation.evaluate_rules(session, w["org"].id, frames=frames)
    assert result["run"]["id"] == run.id and result["run"]["follow_days"] >= 90
    total_reached = sum(r["reached"] for r in result["rules"])
    assert total_reached >= len(reached)
    for r in result["rules"]:
        assert r["reached"] + r["comparison"] == r["flagged"]
        if r["reached"]:
            assert ("Housing", r["reached"]) in r["needs"]
            assert all(v is not None for v in r["trajectory"]["reached"])
    csv = evaluation.evaluation_csv(result)
    assert "reached_mean_arrears_day_90" in csv.splitlines()[0]


def test_flags_command_writes_the_contract_file(session, world, tmp_path, monkeypatch):
    from boroughs.support.rules import cli as rules_cli

    _approve_default(session, world)
    session.commit()
    engine = session.get_bind()
    monkeypatch.setattr(rules_cli, "session_scope", lambda: _scope(engine))
    msg = rules_cli.flags_command("E09000025", tmp_path)
    got = pd.read_csv(tmp_path / "flags.csv")
    assert list(got.columns) == ["resident_id", "rule_id", "severity", "explanation"]
    assert len(got) > 0 and "Wrote" in msg
    assert set(got["severity"]) <= {"high", "medium", "low"}
    with pytest.raises(Exception, match="no council"):
        rules_cli.flags_command("E09999999", tmp_path)


def _scope(engine):
    from boroughs.core.db import session_scope

    return session_scope(engine)
