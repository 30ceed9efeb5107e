"""Referral pages through the in-process client on SQLite and PostgreSQL: the journey, and a walk of every
referral endpoint with ids belonging to others (issue 7 security tests)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from boroughs.app import create_app
from boroughs.core.models import AuditEvent
from boroughs.support.governance import service as governance
from boroughs.support.governance.models import Agreement
from boroughs.support.referrals import service as referral
from boroughs.support.referrals.models import Referral
from tests.web_client import sign_in_as

from ..referral_factories import World, world


@pytest.fixture
def app_world(engine: Engine, session: Session) -> Iterator[tuple[TestClient, World, Session]]:
    w = world(session, passwords=True)
    session.commit()
    with TestClient(create_app(engine)) as c:
        yield c, w, session


def login(c: TestClient, email: str) -> str:
    token = sign_in_as(c, email, then="/support/directory")
    assert token
    return token


def test_officer_refers_to_two_services_and_sees_both_responses(app_world) -> None:  # type: ignore[no-untyped-def]
    c, w, session = app_world
    ada = w.residents["ada"]
    food, device = w.services["food"], w.services["device"]
    token = login(c, "officer@newham.test")
    page = c.get(f"/support/residents/{ada.id}/refer?need=food&need=digital")
    assert page.status_code == 200 and food.name in page.text and "synthetic" in page.text.lower()
    # consent is the basis for Digital Buddies: the preview refuses until it is recorded
    r = c.post(f"/support/residents/{ada.id}/refer/preview",
               data={"csrf_token": token, "service": [food.id, device.id], "need": ["food", "digital"],
                     "reason": "No food in the house"})
    assert r.status_code == 200 and "consent" in r.text and "Choose again" in r.text
    agreement = session.scalars(select(Agreement).where(Agreement.reference == "DSA-DEMO-2026-02")).one()
    r = c.post(f"/support/residents/{ada.id}/consents", data={
        "csrf_token": token, "agreement_id": agreement.id, "scope": "Digital Buddies may call me",
        "method": "phone", "given_on": "2026-01-05"}, follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    r = c.post(f"/support/residents/{ada.id}/refer/preview",
               data={"csrf_token": token, "service": [food.id, device.id], "need": ["food", "digital"],
                     "reason": "No food in the house"})
    assert r.status_code == 200 and "Send 2 referrals" in r.text
    assert "Date of birth" in r.text  # listed under "Not shared"
    r = c.post(f"/support/residents/{ada.id}/refer/send",
               data={"csrf_token": token, "service": [food.id, device.id], "need": ["food", "digital"],
                     "reason": "No food in the house"}, follow_redirects=False)
    assert r.status_code == 303
    session.expire_all()
    refs = {x.service_id: x for x in session.scalars(select(Referral))}
    assert set(refs) == {food.id, device.id}

    token = login(c, "caseworker@buddies.test")
    inbox = c.get("/support/vcs/referrals")
    assert refs[device.id].reference in inbox.text and refs[food.id].reference not in inbox.text
    r = c.post(f"/support/vcs/referrals/{refs[device.id].id}/decline", data={"csrf_token": token, "reason": ""})
    assert r.status_code == 422 and "reason" in r.text
    r = c.post(f"/support/vcs/referrals/{refs[device.id].id}/decline",
               data={"csrf_token": token, "reason": "No devices until March"}, follow_redirects=False)
    assert r.status_code == 303

    token = login(c, "caseworker@eastside.test")
    detail = c.get(f"/support/vcs/referrals/{refs[food.id].id}")
    assert "Ada" in detail.text and "10 Synthetic Street" in detail.text and "1970" not in detail.text
    for action, data in (("accept", {}), ("contact", {"note": "Phoned"}),
                         ("outcome", {"outcome": "help_given", "note": "Parcel delivered"})):
        r = c.post(f"/support/vcs/referrals/{refs[food.id].id}/{action}", data={"csrf_token": token, **data},
                   follow_redirects=False)
        assert r.status_code == 303, (action, r.text[:500])

    login(c, "officer@newham.test")
    listing = c.get("/support/referrals")
    assert listing.text.count("Updated") >= 2
    assert "Declined" in listing.text and "Outcome recorded" in listing.text
    d = c.get(f"/support/referrals/{refs[device.id].id}")
    assert "No devices until March" in d.text
    d = c.get(f"/support/referrals/{refs[food.id].id}")
    assert "Help given" in d.text and "Parcel delivered" in d.text
    shares = c.get(f"/support/residents/{ada.id}/shares")
    assert "Eastside" in shares.text and "Digital Buddies" in shares.text
    # the resident view shows every share, and links to referring and consent
    view = c.get(f"/support/{w.orgs['newham'].slug}/residents/{ada.id}", params={"purpose": "outreach"})
    assert view.status_code == 200
    shared_part = view.text.split("Who this resident's data was shared with")[1].split("Timeline")[0]
    assert "Eastside" in shared_part and "Digital Buddies" in shared_part and "DSA-DEMO" in shared_part
    assert f"/support/residents/{ada.id}/refer" in view.text and f"/support/residents/{ada.id}/consents" in view.text
    report = c.get("/support/referrals/report", params={"format": "csv"})
    assert report.status_code == 403  # an officer is not a report reader
    login(c, "manager@eastside.test")
    report = c.get("/support/referrals/report", params={"format": "csv"})
    assert report.status_code == 200 and report.text.startswith("organisation,service,received")


def test_every_referral_endpoint_refuses_other_organisations(app_world) -> None:  # type: ignore[no-untyped-def]
    c, w, session = app_world
    ref = referral.send_referrals(session, w.users["officer"], council_id=w.orgs["newham"].id,
                                  resident_id=w.residents["ada"].id, service_ids=[w.services["food"].id],
                                  needs_list=["food"], reason="Private reason text").referrals[0]
    hackney_ref = referral.send_referrals(session, w.users["hackney_officer"], council_id=w.orgs["hackney"].id,
                                          resident_id=w.residents["hackney"].id,
                                          service_ids=[w.services["food"].id], needs_list=["food"],
                                          reason=None).referrals[0]
    agreement = session.scalars(select(Agreement).where(Agreement.reference == "DSA-DEMO-2026-02")).one()
    consent = governance.record_consent(session, council_id=w.orgs["newham"].id, resident_id=w.residents["bo"].id,
                                        agreement_id=agreement.id, scope="x", given_on=ref.sent_at.date(),
                                        method="phone", recorded_by=w.users["officer"])
    session.commit()
    rid, hrid = w.residents["ada"].id, w.residents["hackney"].id
    secret = ("Ada", "Private reason text", "10 Synthetic Street", "07700")
    vcs_gets = [f"/support/vcs/referrals/{ref.id}"]
    vcs_posts = [f"/support/vcs/referrals/{ref.id}/{a}" for a in ("accept", "decline", "contact", "outcome")]
    council_gets = [f"/support/referrals/{ref.id}", f"/support/residents/{rid}/refer",
                    f"/support/residents/{rid}/shares", f"/support/residents/{rid}/consents"]
    council_posts = [f"/support/residents/{rid}/refer/preview", f"/support/residents/{rid}/refer/send",
                     f"/support/residents/{rid}/consents", f"/support/consents/{consent.id}/withdraw"]
    for email in ("caseworker@buddies.test", "manager@buddies.test", "caseworker@other.test",
                  "officer@hackney.test", "analyst@newham.test"):
        token = login(c, email)
        for url in vcs_gets + council_gets:
            r = c.get(url)
            assert r.status_code in (403, 404), (email, url, r.status_code)
            assert not any(s in r.text for s in secret), (email, url)
        for url in vcs_posts + council_posts:
            r = c.post(url, data={"csrf_token": token, "reason": "x", "note": "x", "outcome": "help_given",
                                  "service": w.services["food"].id, "need": "food", "scope": "x",
                                  "method": "phone", "given_on": "2026-01-01", "agreement_id": agreement.id},
                       follow_redirects=False)
            assert r.status_code in (403, 404), (email, url, r.status_code)
        inbox = c.get("/support/vcs/referrals")
        assert ref.reference not in inbox.text
        # guessing: another organisation's inbox by id shows only your own organisation
        inbox = c.get(f"/support/vcs/referrals?org={w.orgs['eastside'].id}")
        assert ref.reference not in inbox.text
    # a VCS user of the right organisation sees the Newham and Hackney referrals, but only the agreed fields
    login(c, "caseworker@eastside.test")
    page = c.get(f"/support/vcs/referrals/{ref.id}")
    assert page.status_code == 200 and "Private reason text" in page.text
    assert "1970" not in page.text and "ada@example.invalid" not in page.text  # dob and email are not agreed
    assert c.get(f"/support/vcs/referrals/{hackney_ref.id}").status_code == 200
    # the Hackney officer cannot see Newham's resident's shares, and vice versa
    login(c, "officer@newham.test")
    assert c.get(f"/support/residents/{hrid}/shares").status_code == 404
    session.expire_all()
    assert session.get(Referral, ref.id).status == "sent"
    reads = session.scalars(select(AuditEvent).where(AuditEvent.action == "support.referral.read")).all()
    assert reads and all(e.purpose for e in reads)


def test_provider_edits_listing_and_council_reviews(app_world) -> None:  # type: ignore[no-untyped-def]
    c, w, session = app_world
    food = w.services["food"]
    token = login(c, "caseworker@eastside.test")  # caseworkers update status but cannot edit listings
    assert c.get(f"/support/directory/services/{food.id}/edit").status_code == 403
    r = c.post(f"/support/directory/services/{food.id}/status",
               data={"csrf_token": token, "accepting": "no", "waiting_days": "9", "capacity_week": "0",
                     "response_days": "2"}, follow_redirects=False)
    assert r.status_code == 303
    token = login(c, "manager@buddies.test")
    assert c.get(f"/support/directory/services/{food.id}/edit").status_code == 403
    token = login(c, "manager@eastside.test")
    r = c.post(f"/support/directory/services/{food.id}/edit", data={
        "csrf_token": token, "name": "Emergency food parcels and meals (demo)", "description": food.description,
        "needs": ["food"], "areas": food.areas}, follow_redirects=False)
    assert r.status_code == 303
    session.expire_all()
    assert session.get(type(food), food.id).name == food.name  # not published until reviewed
    token = login(c, "officer@newham.test")
    review = c.get("/support/directory/review")
    assert "Emergency food parcels and meals (demo)" in review.text
    found = re.search(r'/support/directory/changes/(\d+)', review.text)
    assert found is not None
    change_id = int(found.group(1))
    r = c.post(f"/support/directory/changes/{change_id}", data={"csrf_token": token, "decision": "approve"},
               follow_redirects=False)
    assert r.status_code == 303
    session.expire_all()
    svc = session.get(type(food), food.id)
    assert svc.name == "Emergency food parcels and meals (demo)" and not svc.accepting_referrals
    assert svc.capacity_week == 0
    assert "Not accepting" in c.get("/support/directory?referrals=1").text


def test_agreement_pages(app_world) -> None:  # type: ignore[no-untyped-def]
    c, w, _session = app_world
    token = login(c, "manager@newham.test")
    assert "DSA-DEMO-2026-01" in c.get("/support/agreements").text
    r = c.post("/support/agreements/new", data={
        "csrf_token": token, "council": w.orgs["newham"].id, "reference": "DSA-TEST-1", "title": "Test",
        "recipients": [w.orgs["other"].id], "art6_basis": "e", "start": "2026-01-01", "end": "2027-01-01",
        "review": "2026-07-01", "purpose_key": "p", "purpose_description": "Purpose", "fields": ["first_name",
                                                                                                "disability"],
        "retention_days": "30", "retention_action": "delete", "sign": "yes"})
    assert r.status_code == 422 and "Article 9" in r.text
    r = c.post("/support/agreements/new", data={
        "csrf_token": token, "council": w.orgs["newham"].id, "reference": "DSA-TEST-1", "title": "Test",
        "recipients": [w.orgs["other"].id], "art6_basis": "e", "art9_condition": "g", "start": "2026-01-01",
        "end": "2027-01-01", "review": "2026-07-01", "purpose_key": "p", "purpose_description": "Purpose",
        "fields": ["first_name", "disability"], "retention_days": "30", "retention_action": "delete",
        "needs": ["food", "not-a-need"], "sign": "yes"}, follow_redirects=False)
    assert r.status_code == 303
    page = c.get(r.headers["location"])
    assert "Article 9(2)(g)" in page.text and "Disability" in page.text
    assert "Only for referrals for: food." in page.text  # the unknown need is dropped
    made = _session.scalars(select(Agreement).where(Agreement.reference == "DSA-TEST-1")).one()
    assert made.purposes[0].needs == ["food"]
    demo2 = _session.scalars(select(Agreement).where(Agreement.reference == "DSA-DEMO-2026-02")).one()
    assert "For a referral for any need." in c.get(f"/support/agreements/{demo2.id}").text
    # the disclosing council's manager narrows an older purpose to the needs it covers, and it is audited
    token = login(c, "manager@newham.test")
    changed = c.post(f"/support/agreements/{demo2.id}/purposes/digital-inclusion-referral/needs",
                     data={"csrf_token": token, "needs": ["digital", "isolation", "no-such-need"]},
                     follow_redirects=False)
    assert changed.status_code == 303
    _session.expire_all()
    assert _session.get(Agreement, demo2.id).purposes[0].needs == ["digital", "isolation"]
    event = _session.scalars(select(AuditEvent).where(AuditEvent.action == "support.agreement.purpose_needs")).one()
    assert event.detail == {"purpose": "digital-inclusion-referral", "before": [], "after": ["digital", "isolation"]}
    assert c.post(f"/support/agreements/{demo2.id}/purposes/nothing/needs",
                  data={"csrf_token": token}).status_code == 404
    officer_token = login(c, "officer@newham.test")  # an officer reads agreements but cannot change them
    assert c.post(f"/support/agreements/{demo2.id}/purposes/digital-inclusion-referral/needs",
                  data={"csrf_token": officer_token}).status_code == 403
    _session.expire_all()
    assert _session.get(Agreement, demo2.id).purposes[0].needs == ["digital", "isolation"]
    login(c, "caseworker@other.test")
    assert c.get(r.headers["location"]).status_code == 404  # caseworkers do not read agreements
    login(c, "manager@buddies.test")
    assert c.get(r.headers["location"]).status_code == 404  # not a party
