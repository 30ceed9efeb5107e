"""Rules using a protected characteristic need a recorded justification and are flagged in the fairness
monitor and the ATRS record; the ATRS record is generated from the system's state, as clean Markdown
(issue 17). Before, a rule targeting "Black residents with council tax arrears" was accepted with no
warning, the record said no protected characteristic except age was used, pasted raw JSON into its
Markdown, said agreements were "to complete" although two were held and said "evaluated nightly" although
nothing scheduled it."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from boroughs.support.governance.models import Agreement, AgreementParty
from boroughs.support.outreach import fairness
from boroughs.support.rules import language as rules_language
from boroughs.support.rules import service as rules_service
from boroughs.support.rules import vocabulary as rules_vocabulary
from tests.support.outreach.test_outreach import borough_dir, world

assert borough_dir and world  # shared fixtures

BLACK_RESIDENTS = """
council: E09000025
title: Targeting
rules:
  - id: black-residents-arrears
    title: Black residents with council tax arrears
    severity: medium
{justification}    all:
      - resident: {{field: ethnicity, equals: Black}}
      - latest: {{source: council_tax, measure: arrears, at_least: 50}}
"""


def test_a_rule_on_ethnicity_without_a_justification_is_refused() -> None:
    with pytest.raises(rules_language.RuleError) as err:
        rules_language.parse_rules(BLACK_RESIDENTS.format(justification=""))
    assert "protected characteristic (race (ethnic group) (directly))" in str(err.value)
    assert "justification:" in str(err.value)


@pytest.mark.parametrize(("condition", "uses"), [
    ("count: {source: asc_contact, days: 90, at_least: 1}", "disability (through adult social care contacts"),
    ("count: {source: vcs_concern, where: {category: mental health}, days: 90, at_least: 1}", "disability (through"),
    ("count: {source: homelessness, where: {reason: domestic abuse}, days: 90, at_least: 1}", "sex (through"),
    ("resident: {field: disability, equals: true}", "disability (directly)"),
])
def test_proxies_named_in_the_docs_need_a_justification_too(condition: str, uses: str) -> None:
    text = f"council: X\ntitle: t\nrules:\n  - id: proxy\n    title: P\n    severity: low\n    all:\n      - {condition}\n"
    with pytest.raises(rules_language.RuleError) as err:
        rules_language.parse_rules(text)
    assert uses in str(err.value)
    ok = rules_language.parse_rules(text.replace("    all:", "    justification: A reason long enough to be a reason.\n    all:"))
    assert ok.rules[0].justification.startswith("A reason")
    doc = (rules_vocabulary.RULES_DIR.parents[2] / "docs/support/early-warning.md").read_text()
    assert "Protected characteristics and their proxies" in doc and "domestic abuse" in doc


def test_justified_rule_is_flagged_in_the_monitor_and_the_atrs_record_from_the_systems_state(session, world) -> None:
    w = world
    for i, ref in enumerate(("DSA-FOOD-1", "DSA-DIGITAL-2")):
        a = Agreement(reference=ref, title=f"Agreement {i}", art6_basis="e", start_date=dt.date(2025, 1, 1),
                      end_date=dt.date(2030, 1, 1), review_date=dt.date(2027, 1, 1), signed=True)
        a.parties.append(AgreementParty(organisation_id=w["org"].id, role="discloser"))
        session.add(a)
    session.flush()
    base = rules_language.default_rules_text("newham")
    extra = BLACK_RESIDENTS.format(justification="    justification: Testing the recording of a justification here.\n")
    body = base + extra.split("rules:\n", 1)[1]
    v = rules_service.create_draft(session, w["org"].id, w["officer"], body=body)
    rules_service.submit(session, v, w["officer"])
    rules_service.approve(session, v, w["manager"])
    rules_service.run_flags(session, w["org"].id, w["manager"])
    report = fairness.fairness_report(session, w["org"].id)
    assert [p["id"] for p in report["protected"]] == ["older-resident-falls-and-arrears", "black-residents-arrears"]
    record = fairness.atrs_record(session, w["org"].id, report=report)
    data = record["tier_2"]["5_data_specification"]
    assert any("black-residents-arrears: race (ethnic group) (directly)" in x and "Testing the recording" in x
               for x in data["protected_characteristics_used"])
    assert [a["reference"] for a in data["data_sharing_agreements"]] == ["DSA-DIGITAL-2", "DSA-FOOD-1"]
    assert all(a["status"] == "in force" for a in data["data_sharing_agreements"])
    freq = record["tier_2"]["3_decision_making_process"]["frequency_and_scale"]
    assert "nightly" not in freq and "1 run(s)" in freq and "schedules nothing" in freq
    assert record["tier_2"]["1_owner_and_responsibility"]["approved_by"] == "Meera Manager"
    md = fairness.atrs_markdown(record)
    assert not re.search(r'[{}]|\["|":', md), "raw JSON in the Markdown"
    assert "| Reference |" in md and "DSA-FOOD-1" in md and "Black residents with council tax arrears" in md
    assert "to complete" not in md.split("Data sharing agreements")[1].split("\n- **")[0]
