"""The outreach case page as an officer works it (issue 17): an empty contact form is shown again with an
error summary (it was a bare 422 that lost the case); the page shows the resident's phone and address and
links to the resident; the outcomes VCS partners report appear on the case."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from boroughs.app import create_app
from boroughs.core.auth import DEMO_PASSWORD
from boroughs.support.outreach.models import ContactAttempt, OutreachCase
from boroughs.support.referrals import service as referral
from tests.support.referral_factories import World, world


@pytest.fixture
def setup(engine: Engine, session: Session) -> Iterator[tuple[TestClient, World, int]]:
    w = world(session, passwords=True)
    ada = w.residents["ada"]
    case = OutreachCase(organisation_id=w.orgs["newham"].id, resident_id=ada.id, severity="high", priority=3010,
                        rule_ids=["rent-arrears-8-weeks-fsm"], status="open", assigned_to_id=w.users["officer"].id)
    session.add(case)
    session.flush()
    batch = referral.send_referrals(session, w.users["officer"], council_id=w.orgs["newham"].id, resident_id=ada.id,
                                    service_ids=[w.services["food"].id], needs_list=["food"], reason="No food",
                                    outreach_case_id=case.id)
    ref = batch.referrals[0]
    referral.accept(session, w.users["eastside"], ref)
    referral.record_outcome(session, w.users["eastside"], ref, "help_given", "Three food parcels delivered")
    session.commit()
    with TestClient(create_app(engine)) as c:
        yield c, w, case.id


def _login(c: TestClient, email: str) -> str:
    c.cookies.clear()
    m = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/sign-in").text)
    assert m
    r = c.post("/sign-in", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": m.group(1), "next": "/"},
               follow_redirects=False)
    assert r.status_code == 303
    m = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/support/newham/rules").text)
    assert m
    return m.group(1)


def test_empty_contact_form_shows_an_error_summary_and_keeps_the_case(setup, session: Session) -> None:
    c, _w, cid = setup
    token = _login(c, "officer@newham.test")
    r = c.post(f"/support/newham/outreach/cases/{cid}/contact", data={"csrf_token": token, "note": "tried twice"})
    assert r.status_code == 422
    assert "govuk-error-summary" in r.text and 'href="#channel"' in r.text and "Choose how you contacted" in r.text
    assert "Ada Synthetic" in r.text and f"Outreach case {cid}" in r.text  # still the case, not a bare error page
    assert "tried twice" in r.text  # what the officer typed is kept
    assert session.scalar(select(ContactAttempt)) is None
    # a channel but no outcome: the error points at the outcome
    r = c.post(f"/support/newham/outreach/cases/{cid}/contact",
               data={"csrf_token": token, "channel": "phone", "outcome": ""})
    assert r.status_code == 422 and 'href="#outcome"' in r.text


def test_case_page_shows_contact_details_links_the_resident_and_shows_vcs_outcomes(setup) -> None:
    c, w, cid = setup
    _login(c, "officer@newham.test")
    page = c.get(f"/support/newham/outreach/cases/{cid}").text
    assert "07700 900123" in page and "10 Synthetic Street" in page and "E15 1AA" in page
    assert f'href="/support/newham/residents/{w.residents["ada"].id}"' in page
    assert "Emergency food parcels (demo)" in page and "Help given" in page and "Three food parcels delivered" in page
