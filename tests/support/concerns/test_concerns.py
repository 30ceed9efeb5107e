"""Concern forms (issue 17): a signed-in form for VCS partners and a public form for residents (no sign-in,
rate-limited, honeypot and time check, no CAPTCHA), raising a concern into the council's queue,
acknowledged and audited. Before this, nothing let a resident or a partner raise a concern on the web."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from boroughs.app import create_app
from boroughs.core.models import AuditEvent, Role
from boroughs.support.concerns.models import Concern
from tests.support.referral_factories import World, _user, world
from tests.web_client import csrf_token, sign_in_as

PUBLIC = {"council": "newham", "about_self": "no", "about_name": "Ada Synthetic", "about_address": "10 Synthetic Street",
          "about_postcode": "E15 1AA", "category": "food insecurity", "detail": "Her cupboards are empty",
          "reporter_name": "A Neighbour", "knows_about_it": "yes", "website": ""}


@pytest.fixture
def app(engine: Engine, session: Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, World]]:
    monkeypatch.setenv("BOROUGHS_CONCERN_MIN_SECONDS", "0")
    w = world(session, passwords=True)
    session.commit()
    with TestClient(create_app(engine)) as c:
        yield c, w


def _public_form(c: TestClient) -> dict[str, str]:
    page = c.get("/raise-a-concern").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    stamp = re.search(r'name="stamp" value="([^"]+)"', page)
    assert token and stamp
    return {"csrf_token": token.group(1), "stamp": stamp.group(1)}


def _login(c: TestClient, email: str) -> None:
    sign_in_as(c, email)


def test_a_resident_raises_a_concern_without_signing_in(app, session: Session) -> None:
    c, w = app
    page = c.get("/raise-a-concern")
    assert page.status_code == 200 and 'name="website"' in page.text and "captcha" not in page.text.lower()
    r = c.post("/raise-a-concern", data={**PUBLIC, **_public_form(c)}, follow_redirects=False)
    assert r.status_code == 303
    sent = c.get(r.headers["location"])
    ref = r.headers["location"].rsplit("/", 1)[1]
    assert sent.status_code == 200 and ref in sent.text and "London Borough of Newham" in sent.text
    concern = session.scalar(select(Concern).where(Concern.reference == ref))
    assert concern is not None and concern.channel == "public" and concern.council_id == w.orgs["newham"].id
    assert concern.source_hash and "testclient" not in (concern.source_hash or "")  # a keyed hash, not the address
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "support.concern.raise"))
    assert event is not None and event.object_id == str(concern.id)


def test_an_empty_public_form_shows_every_error_and_keeps_nothing(app, session: Session) -> None:
    c, _ = app
    r = c.post("/raise-a-concern", data={**_public_form(c), "council": "", "website": ""})
    assert r.status_code == 422 and "govuk-error-summary" in r.text
    for field in ("council", "about_name", "about_address", "category", "detail", "reporter_name"):
        assert f'href="#{field}"' in r.text, field
    assert session.scalar(select(Concern)) is None


def test_spam_defences_honeypot_time_check_and_rate_limit(app, session: Session,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    c, _ = app
    r = c.post("/raise-a-concern", data={**PUBLIC, **_public_form(c), "website": "http://spam.example"})
    assert r.status_code == 422
    r = c.post("/raise-a-concern", data={**PUBLIC, **_public_form(c), "stamp": "forged"})
    assert r.status_code == 422
    assert session.scalar(select(Concern)) is None
    reasons = [e.detail["reason"] for e in session.scalars(select(AuditEvent).where(
        AuditEvent.action == "support.concern.refused"))]
    assert reasons == ["honeypot", "bad stamp"]
    from boroughs.config import reset_settings

    monkeypatch.setenv("BOROUGHS_CONCERN_MIN_SECONDS", "30")
    reset_settings()
    r = c.post("/raise-a-concern", data={**PUBLIC, **_public_form(c)})
    assert r.status_code == 422 and session.scalar(select(Concern)) is None  # sent within 30 s of the form
    monkeypatch.setenv("BOROUGHS_CONCERN_MIN_SECONDS", "0")
    monkeypatch.setenv("BOROUGHS_CONCERN_PUBLIC_LIMIT_PER_HOUR", "2")
    reset_settings()
    codes = [c.post("/raise-a-concern", data={**PUBLIC, **_public_form(c)}, follow_redirects=False).status_code
             for _ in range(3)]
    assert codes == [303, 303, 429]
    session.expire_all()
    assert len(session.scalars(select(Concern)).all()) == 2


def test_a_vcs_partner_raises_a_concern_and_the_council_works_it(app, session: Session) -> None:
    c, w = app
    _login(c, "caseworker@eastside.test")
    token = csrf_token(c, "/support/concerns/new")
    r = c.post("/support/concerns/new", data={**PUBLIC, "csrf_token": token, "about_self": "", "reporter_name": ""},
               follow_redirects=False)
    assert r.status_code == 303 and "sent=C-" in r.headers["location"]
    ref = r.headers["location"].split("sent=")[1]
    page = c.get(r.headers["location"]).text
    assert ref in page and "Concerns your organisation raised" in page
    concern = session.scalar(select(Concern).where(Concern.reference == ref))
    assert concern is not None and concern.channel == "vcs" and concern.raised_by_org_id == w.orgs["eastside"].id
    # council officers see it in the queue; Hackney's do not; the VCS partner cannot open the queue
    assert c.get("/support/newham/concerns").status_code == 403
    _login(c, "officer@hackney.test")
    assert c.get("/support/newham/concerns").status_code == 403
    assert c.get("/support/concerns/new").status_code == 403  # council staff do not use the partner form
    _login(c, "officer@newham.test")
    queue = c.get("/support/newham/concerns")
    assert queue.status_code == 200 and ref in queue.text and "Eastside Community Food Network" in queue.text
    detail_path = f"/support/newham/concerns/{concern.id}"
    token = csrf_token(c, detail_path)
    r = c.post(detail_path, data={"csrf_token": token, "status": "closed", "note": ""})
    assert r.status_code == 422 and 'href="#note"' in r.text
    r = c.post(detail_path, data={"csrf_token": token, "status": "closed", "note": "Referred to the food bank",
                                  "resident_id": str(w.residents["ada"].id)}, follow_redirects=False)
    assert r.status_code == 303
    session.expire_all()
    concern = session.get(Concern, concern.id)
    assert concern is not None and concern.status == "closed" and concern.resident_id == w.residents["ada"].id
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"support.concern.raise", "support.concern.queue", "support.concern.view",
            "support.concern.update"} <= actions
    # another council's resident cannot be matched
    r = c.post(detail_path, data={"csrf_token": token, "status": "in_review",
                                  "resident_id": str(w.residents["hackney"].id)})
    assert r.status_code == 422 and 'href="#resident_id"' in r.text


def test_information_governance_officer_exports_and_applies_retention(app, session: Session) -> None:
    c, w = app
    _user(session, "ig@newham.test", w.orgs["newham"], Role.COUNCIL_IG, True)
    session.commit()
    _login(c, "officer@newham.test")
    assert c.get("/support/newham/information-governance").status_code == 403
    _login(c, "ig@newham.test")
    hub = c.get("/support/newham/information-governance")
    assert hub.status_code == 200 and "Download the subject access export" in hub.text
    token = csrf_token(c, "/support/newham/information-governance")
    r = c.post("/support/newham/information-governance/sar", data={"csrf_token": token, "resident_id": "x"})
    assert r.status_code == 422 and 'href="#resident_id"' in r.text
    r = c.post("/support/newham/information-governance/sar",
               data={"csrf_token": token, "resident_id": str(w.residents["hackney"].id)})
    assert r.status_code == 422  # another council's resident
    r = c.post("/support/newham/information-governance/sar",
               data={"csrf_token": token, "resident_id": str(w.residents["ada"].id), "request_reference": "SAR-9"})
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    doc = r.json()
    assert doc["resident"]["id"] == w.residents["ada"].id and doc["request_reference"] == "SAR-9"
    assert {"flags", "opt_outs", "record_histories", "notifications", "linkage_review_decisions"} <= set(doc)
    r = c.post("/support/newham/information-governance/retention", data={"csrf_token": token})
    assert r.status_code == 422 and 'href="#confirm"' in r.text
    r = c.post("/support/newham/information-governance/retention", data={"csrf_token": token, "confirm": "yes"})
    assert r.status_code == 200 and "Retention applied" in r.text
    sar_events = session.scalars(select(AuditEvent).where(AuditEvent.action == "support.resident.sar")).all()
    assert [e.actor_email for e in sar_events] == ["ig@newham.test"]
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "support.ig.retention_run")) is not None
