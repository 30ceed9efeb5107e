"""Early-warning pages through the in-process client on SQLite and PostgreSQL: who may see and do what,
and audited reads (issue 6)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from boroughs.app import create_app
from boroughs.core.auth import hash_demo_password
from boroughs.core.models import AuditEvent, Role
from boroughs.support.outreach.models import OutreachCase
from boroughs.support.records.models import Resident
from tests.support.outreach_factories import council, person
from tests.web_client import sign_in_as

PW = hash_demo_password()


@pytest.fixture
def client(engine: Engine, session: Session) -> Iterator[tuple[TestClient, dict, Session]]:
    newham = council(session)
    hackney = council(session, "hackney", "E09000012")
    people = {}
    for key, org, role in [("officer", newham, Role.COUNCIL_OFFICER), ("manager", newham, Role.COUNCIL_MANAGER),
                           ("analyst", newham, Role.COUNCIL_ANALYST), ("foreign", hackney, Role.COUNCIL_OFFICER)]:
        u = person(session, f"{key}@test.example", key.title(), (org, role))
        u.password_hash = PW
        people[key] = u
    res = [Resident(organisation_id=newham.id, first_name=f"Amina{i}", last_name="Begum", synthetic=True)
           for i in range(3)]
    session.add_all(res)
    session.flush()
    cases = [OutreachCase(organisation_id=newham.id, resident_id=r.id, severity="high", priority=3010,
                          rule_ids=["rent-arrears-8-weeks-fsm"], status="open") for r in res]
    session.add_all(cases)
    session.commit()
    ids = {"cases": [c.id for c in cases], **{k: u.id for k, u in people.items()}}
    with TestClient(create_app(engine)) as c:
        yield c, ids, session


def login(c: TestClient, who: str) -> str:
    token = sign_in_as(c, f"{who}@test.example", then="/support/newham/rules")
    assert token
    return token


def test_manager_assigns_and_officer_records_contact(client):
    c, ids, session = client
    token = login(c, "manager")
    page = c.get("/support/newham/outreach?show=all")
    assert page.status_code == 200 and "Amina0 Begum" in page.text and "synthetic" in page.text
    r = c.post("/support/newham/outreach/assign", data={"csrf_token": token, "case_ids": ids["cases"][:2],
                                                         "officer_id": ids["officer"]}, follow_redirects=False)
    assert r.status_code == 303
    token = login(c, "officer")
    mine = c.get("/support/newham/outreach?show=mine")
    assert "Amina0 Begum" in mine.text and "Amina2 Begum" not in mine.text
    cid = ids["cases"][0]
    case_page = c.get(f"/support/newham/outreach/cases/{cid}")
    assert f'href="/support/cases/{cid}/refer"' in case_page.text  # the way into referrals
    r = c.post(f"/support/newham/outreach/cases/{cid}/contact",
               data={"csrf_token": token, "channel": "phone", "outcome": "reached", "note": "ok"},
               follow_redirects=False)
    assert r.status_code == 303
    # not the officer's case: refused
    r = c.post(f"/support/newham/outreach/cases/{ids['cases'][2]}/contact",
               data={"csrf_token": token, "channel": "phone", "outcome": "reached"})
    assert r.status_code == 403
    # an officer cannot assign
    r = c.post("/support/newham/outreach/assign", data={"csrf_token": token, "case_ids": ids["cases"][2:],
                                                         "officer_id": ids["officer"]})
    assert r.status_code == 403
    session.expire_all()
    reads = list(session.scalars(select(AuditEvent).where(AuditEvent.action.in_(
        ["support.outreach.worklist", "support.outreach.case_view"]))))
    assert reads and all(e.purpose for e in reads)


def test_other_councils_and_analysts_cannot_see_residents(client):
    c, ids, _ = client
    login(c, "foreign")
    for path in ["/support/newham/outreach", f"/support/newham/outreach/cases/{ids['cases'][0]}",
                 "/support/newham/rules", "/support/newham/fairness", "/support/newham/opt-outs"]:
        assert c.get(path).status_code == 403, path
    login(c, "analyst")
    assert c.get("/support/newham/outreach").status_code == 403
    assert c.get("/support/newham/rules").status_code == 200
    # a case id of one council under another council's address is not found
    login(c, "manager")
    assert c.get(f"/support/hackney/outreach/cases/{ids['cases'][0]}").status_code == 403


def test_officer_drafts_but_cannot_approve(client):
    c, _, _ = client
    token = login(c, "officer")
    r = c.post("/support/newham/rules/drafts", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    url = r.headers["location"]
    page = c.get(url)
    assert page.status_code == 200 and "Rule file" in page.text
    bad = c.post(url, data={"csrf_token": token, "action": "save", "body": "council: E09000025\ntitle: t\nrules: []\n"})
    assert bad.status_code == 200 and "Give at least one rule" in bad.text
    r = c.post(url, data={"csrf_token": token, "action": "approve"})
    assert r.status_code == 403
    r = c.post(url, data={"action": "save", "body": "x"})
    assert r.status_code == 400  # no CSRF token


def test_objection_recorded_and_withdrawn_through_the_pages(client):
    c, ids, session = client
    token = login(c, "officer")
    rid = session.scalar(select(OutreachCase.resident_id).where(OutreachCase.id == ids["cases"][0]))
    r = c.post("/support/newham/opt-outs", data={"csrf_token": token, "resident_id": rid, "objected_on": "2026-11-01",
                                                 "source": "letter"}, follow_redirects=False)
    assert r.status_code == 303
    page = c.get("/support/newham/opt-outs")
    assert "1 November 2026" in page.text and "Letter" in page.text
    from boroughs.support.rules.models import OptOut

    session.expire_all()
    row = session.scalar(select(OptOut).where(OptOut.resident_id == rid))
    assert session.get(OutreachCase, ids["cases"][0]).closing_reason == "opted_out"
    r = c.post(f"/support/newham/opt-outs/{row.id}/withdraw", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    session.expire_all()
    assert session.get(OptOut, row.id).withdrawn_on is not None
    bad = c.post("/support/newham/opt-outs", data={"csrf_token": token, "resident_id": rid, "objected_on": "soon",
                                                   "source": "letter"})
    assert bad.status_code == 422 and "Enter the date" in bad.text
