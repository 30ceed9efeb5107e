"""The benefit take-up pages on SQLite and PostgreSQL: who may see and do what, outcomes, audit (issue 18)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from boroughs.app import create_app
from boroughs.core.auth import hash_demo_password
from boroughs.core.models import AuditEvent, Role, User
from boroughs.support.entitlements.models import EntitlementEstimate, EntitlementOutcome
from boroughs.support.outreach.models import OutreachCase
from boroughs.support.rules.data import load_synth_into_db
from tests.support.outreach_factories import council, person, synth_folder
from tests.web_client import sign_in_as

PW = hash_demo_password()


@pytest.fixture(scope="module")
def borough(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    return synth_folder(tmp_path_factory.mktemp("entweb"), residents=2500, seed=11)


@pytest.fixture
def client(engine: Engine, session: Session, borough: Path) -> Iterator[tuple[TestClient, Session]]:
    newham = council(session)
    hackney = council(session, "hackney", "E09000012")
    for key, org, role in [("officer", newham, Role.COUNCIL_OFFICER), ("officer2", newham, Role.COUNCIL_OFFICER),
                           ("manager", newham, Role.COUNCIL_MANAGER), ("analyst", newham, Role.COUNCIL_ANALYST),
                           ("foreign", hackney, Role.COUNCIL_MANAGER)]:
        u = person(session, f"{key}@test.example", key.title(), (org, role))
        u.password_hash = PW
    load_synth_into_db(session, newham.id, borough)
    session.commit()
    with TestClient(create_app(engine)) as c:
        yield c, session


def login(c: TestClient, who: str) -> str:
    token = sign_in_as(c, f"{who}@test.example", then="/support/newham/entitlements")
    assert token
    return token


def test_refresh_assign_and_record_outcomes_as_the_roles_would(client) -> None:
    c, s = client
    token = login(c, "analyst")
    assert c.get("/support/newham/entitlements").status_code == 200
    r = c.post("/support/newham/entitlements/refresh", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    n = s.scalar(select(func.count(func.distinct(EntitlementEstimate.resident_id))))  # households, not estimates
    assert n and n > 0
    summary = c.get("/support/newham/entitlements").text
    assert f"{n:,}" in summary and "By ward" in summary
    assert "own scheme for working-age residents" in summary and "up to 70% of the bill" in summary  # Newham's
    assert "£22.61 a week for each other adult at home" in summary  # the scheme file's highest deduction
    assert "newham.gov.uk/downloads/file/10753" in summary  # and the scheme's source
    assert s.scalar(select(func.count()).select_from(EntitlementEstimate)
                    .where(EntitlementEstimate.benefit == "council_tax_reduction",
                           EntitlementEstimate.explanation.like("%on Universal Credit%"))), "no working-age estimate"
    assert c.get("/support/newham/entitlements/campaign").status_code == 403  # names residents: not for analysts
    # a second refresh finds the same households and opens no second case
    cases_before = s.scalar(select(func.count()).select_from(OutreachCase))
    c.post("/support/newham/entitlements/refresh", data={"csrf_token": token})
    assert s.scalar(select(func.count()).select_from(OutreachCase)) == cases_before == n

    token = login(c, "manager")
    page = c.get("/support/newham/entitlements/campaign")
    assert page.status_code == 200 and "Synthetic data" in page.text
    est = s.scalars(select(EntitlementEstimate).order_by(EntitlementEstimate.annual_amount.desc())).first()
    assert f"£{est.annual_amount:,.0f}" in page.text
    officer_user = s.scalar(select(User).where(User.email == "officer@test.example"))
    r = c.post("/support/newham/entitlements/campaign/assign",
               data={"csrf_token": token, "case_ids": [str(est.case_id)], "officer_id": str(officer_user.id)},
               follow_redirects=False)
    assert r.status_code == 303 and "assigned=1" in r.headers["location"]

    token = login(c, "officer2")  # not assigned: may read, may not record
    assert c.get(f"/support/newham/entitlements/cases/{est.id}").status_code == 200
    r = c.post(f"/support/newham/entitlements/cases/{est.id}/outcome",
               data={"csrf_token": token, "outcome": "awarded", "awarded_weekly": "20"})
    assert r.status_code == 403

    token = login(c, "officer")
    case_page = c.get(f"/support/newham/entitlements/cases/{est.id}").text
    assert "Record what happened" in case_page and "not a decision" in case_page
    r = c.post(f"/support/newham/entitlements/cases/{est.id}/outcome",
               data={"csrf_token": token, "outcome": "awarded", "awarded_weekly": ""})
    assert r.status_code == 422 and "Enter the weekly amount awarded" in r.text and 'href="#awarded_weekly"' in r.text
    assert s.scalar(select(func.count()).select_from(EntitlementOutcome)) == 0
    r = c.post(f"/support/newham/entitlements/cases/{est.id}/outcome",
               data={"csrf_token": token, "outcome": "awarded", "awarded_weekly": f"{est.weekly_amount - 1:.2f}"},
               follow_redirects=False)
    assert r.status_code == 303
    s.expire_all()
    # the household's case closes once every benefit estimated for it has an outcome
    others = s.scalars(select(EntitlementEstimate).where(EntitlementEstimate.case_id == est.case_id,
                                                         EntitlementEstimate.id != est.id)).all()
    for other in others:
        assert s.get(OutreachCase, est.case_id).status != "closed"
        r = c.post(f"/support/newham/entitlements/cases/{other.id}/outcome",
                   data={"csrf_token": token, "outcome": "not_eligible"}, follow_redirects=False)
        assert r.status_code == 303
        s.expire_all()
    assert s.get(OutreachCase, est.case_id).status == "closed"
    summary = c.get("/support/newham/entitlements").text
    assert "1 was awarded the benefit" in summary and "£1.00 a week away" in summary
    actions = set(s.scalars(select(AuditEvent.action)))
    assert {"support.entitlements.refresh", "support.entitlements.worklist", "support.entitlements.case_view",
            "support.entitlements.outcome"} <= actions


def test_other_councils_cannot_see_the_campaign(client) -> None:
    c, s = client
    token = login(c, "foreign")
    assert c.get("/support/newham/entitlements").status_code == 403
    assert c.get("/support/newham/entitlements/campaign").status_code == 403
    r = c.post("/support/newham/entitlements/refresh", data={"csrf_token": token})
    assert r.status_code == 403
    assert s.scalar(select(func.count()).select_from(EntitlementEstimate)) == 0


def test_fairness_counts_match_the_estimate(client) -> None:
    """The fairness table's totals add up to the estimate's own counts, for every characteristic."""
    from boroughs.support.entitlements import campaign, service

    c, s = client
    from boroughs.core.models import Organisation

    org_id = s.scalar(select(Organisation.id).where(Organisation.slug == "newham"))
    fair = campaign.fairness(s, org_id)
    listed = service.missing_out(s, org_id)
    assert fair["residents"] > 0
    assert fair["listed"] == listed.loc[listed["missing_out"], "resident_id"].nunique()
    for items in fair["tables"].values():
        assert sum(i["residents"] for i in items) == fair["residents"]
        assert sum(i["flagged"] for i in items) == fair["listed"]
    login(c, "analyst")
    page = c.get("/support/newham/entitlements").text
    assert "Fairness: who the estimate lists" in page and "By age band" in page


def test_the_atrs_record_describes_the_take_up_estimate_from_the_councils_state(client) -> None:
    import re as _re

    from boroughs.core.models import Organisation
    from boroughs.support.entitlements import campaign
    from boroughs.support.outreach import fairness
    from boroughs.support.rules import language as rules_language
    from boroughs.support.rules import service as rules_service

    _c, s = client
    org = s.scalar(select(Organisation).where(Organisation.slug == "newham"))
    officer = s.scalar(select(User).where(User.email == "officer@test.example"))
    manager = s.scalar(select(User).where(User.email == "manager@test.example"))
    v = rules_service.create_draft(s, org.id, officer, body=rules_language.default_rules_text("newham"))
    rules_service.submit(s, v, officer)
    rules_service.approve(s, v, manager)
    result = campaign.refresh(s, org.id, manager)
    record = fairness.atrs_record(s, org.id)
    spec = record["tier_2"]["4_tool_specification"]["benefit_take_up_estimate"]
    assert spec["id"] == campaign.RULE_ID == "benefit-take-up" and "never a claim decision" in spec["purpose"]
    assert "hb_ctr" in record["tier_2"]["5_data_specification"]["benefit_take_up_inputs"]
    state = record["tier_2"]["6_risks_mitigations_and_impact_assessments"]["benefit_take_up"][0]
    assert state.startswith(f"{result.current:,} households")
    md = fairness.atrs_markdown(record)
    assert "Likely missing out on Pension Credit" in md and not _re.search(r'[{}]|\["|":', md)


def test_a_referral_can_carry_the_estimate_only_where_the_agreement_lists_it(client) -> None:
    from boroughs.core.models import Organisation, User
    from boroughs.support.entitlements import campaign
    from boroughs.support.entitlements.models import EntitlementEstimate
    from boroughs.support.governance import service as governance
    from boroughs.support.referrals.service import resident_facts

    _, s = client
    org = s.scalars(select(Organisation).where(Organisation.slug == "newham")).one()
    manager = s.scalars(select(User).where(User.email == "manager@test.example")).one()
    campaign.refresh(s, org.id, manager)
    est = s.scalars(select(EntitlementEstimate).where(EntitlementEstimate.current.is_(True))
                    .order_by(EntitlementEstimate.weekly_amount.desc())).first()
    assert est is not None
    facts = resident_facts(s, est.resident_id).values
    assert f"about £{est.weekly_amount:,.2f} a week ({est.likelihood}" in facts["benefit_estimate"]
    assert "not a decision" in facts["benefit_estimate"]
    assert "benefit_estimate" in governance.FIELDS
    est.current = False  # an estimate a refresh no longer finds is not shared
    for other in s.scalars(select(EntitlementEstimate).where(EntitlementEstimate.resident_id == est.resident_id)):
        other.current = False
    s.flush()
    assert resident_facts(s, est.resident_id).values["benefit_estimate"] is None
