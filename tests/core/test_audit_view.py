"""The audit view (issue 17): filters applied in the database, pages, and objects named as a person would.

Before: /admin/audit had no filter or search, and showed objects as "user 18" and "support_resident 1307".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

import boroughs.fund
import boroughs.support  # noqa: F401  (registers the support area's names)
from boroughs.app import create_app
from boroughs.core import audit, audit_view
from boroughs.core.auth import DEMO_PASSWORD
from boroughs.core.demo import seed_core
from boroughs.core.models import Area, AuditEvent, Organisation, User
from boroughs.fund._london import BOROUGHS
from boroughs.fund.demo import seed_demo
from boroughs.fund.models import Proposal
from boroughs.support.records.models import Resident

ADMIN = "admin@demo.boroughs.test"


@pytest.fixture
def world(engine: Engine, session: Session) -> dict[str, int]:
    session.add_all(Area(code=b.ons_code, kind="borough", name=b.name) for b in BOROUGHS)
    session.flush()
    seed_core(session)
    seed_demo(session)
    newham = session.execute(select(Organisation).where(Organisation.slug == "newham")).scalar_one()
    officer = session.execute(select(User).where(User.email == "officer@newham.demo.boroughs.test")).scalar_one()
    r = Resident(organisation_id=newham.id, first_name="Synthetic", last_name="Person", synthetic=True)
    session.add(r)
    session.flush()
    proposal = session.execute(select(Proposal).order_by(Proposal.id)).scalars().first()
    assert proposal is not None
    audit.record(session, "support.resident.view", actor=officer, organisation_id=newham.id,
                 object_type="support_resident", object_id=r.id, purpose="outreach case review")
    audit.record(session, "org.member.invite", actor=officer, organisation_id=newham.id, object_type="user",
                 object_id=officer.id)
    audit.record(session, "support.link.run", organisation_id=newham.id, object_type="support_link_run", object_id=5)
    audit.record(session, "fund.panel.assign", actor=officer, object_type="fund_proposal", object_id=proposal.id)
    session.commit()
    return {"resident": r.id, "officer": officer.id, "newham": newham.id, "proposal": proposal.id}


def test_objects_are_named_as_a_person_would(session: Session, world: dict[str, int]) -> None:
    page = audit_view.search(session, audit_view.AuditFilter())
    by_action = {e.event.action: e for e in page.entries}
    proposal = session.get(Proposal, world["proposal"])
    assert proposal is not None
    assert by_action["support.resident.view"].object == f"resident {world['resident']}, Newham"
    assert by_action["support.resident.view"].who == session.get(User, world["officer"]).name  # type: ignore[union-attr]
    assert by_action["org.member.invite"].object == session.get(User, world["officer"]).name  # type: ignore[union-attr]
    assert by_action["fund.panel.assign"].object == f"proposal '{proposal.title}', {proposal.call.title}"
    assert by_action["support.link.run"].object == "link run 5"  # no area names it: readable all the same
    assert by_action["support.link.run"].who == "the system"
    assert by_action["support.resident.view"].organisation == "London Borough of Newham"
    assert "Synthetic" not in by_action["support.resident.view"].object  # never a resident's personal details


def test_filters_are_applied_in_the_database(session: Session, world: dict[str, int]) -> None:
    def actions(**kw: object) -> list[str]:
        return [e.event.action for e in audit_view.search(session, audit_view.AuditFilter(**kw)).entries]  # type: ignore[arg-type]

    officer = session.get(User, world["officer"])
    assert officer is not None
    mine = actions(person=officer.email.upper())
    assert {"support.resident.view", "org.member.invite", "fund.panel.assign"} <= set(mine)
    assert "support.link.run" not in mine
    assert actions(person="system")[0] == "support.link.run"
    assert "fund.panel.assign" not in actions(organisation_id=world["newham"])
    newham = actions(organisation_id=world["newham"])
    assert {"support.resident.view", "org.member.invite", "support.link.run"} <= set(newham)
    assert len(newham) == len(session.execute(select(AuditEvent.id).where(
        AuditEvent.organisation_id == world["newham"])).all())
    assert actions(action="support.*") == ["support.link.run", "support.resident.view"]
    assert actions(action="org.member.invite") == ["org.member.invite"]
    assert actions(object_type="support_resident", object_id=str(world["resident"])) == ["support.resident.view"]
    # dates: move one entry back a week (its hash breaks, which does not matter to the view)
    ev = session.execute(select(AuditEvent).where(AuditEvent.action == "support.link.run")).scalar_one()
    session.execute(update(AuditEvent).where(AuditEvent.id == ev.id).values(
        at=dt.datetime(2026, 1, 10, 12, tzinfo=dt.UTC)))
    session.flush()
    assert actions(date_from=dt.date(2026, 1, 10), date_to=dt.date(2026, 1, 10)) == ["support.link.run"]
    assert "support.link.run" not in actions(date_from=dt.date(2026, 1, 11))


def test_filter_parameters_are_checked(session: Session) -> None:
    _, errors = audit_view.parse_filter({"from": "10/01/2026", "to": "2026-01-01", "organisation": "x",
                                         "object_id": "7"})
    assert errors == {"from": "Enter the first date as a date like 2026-11-30.",
                      "organisation": "Choose an organisation from the list.",
                      "object_type": "Choose the kind of object as well as its number."}
    _f, errors = audit_view.parse_filter({"from": "2026-02-01", "to": "2026-01-01"})
    assert errors == {"to": "The last date must be the same as or after the first date."}


def test_pages(session: Session, world: dict[str, int]) -> None:
    for i in range(120):
        audit.record(session, "test.bulk", object_type="user", object_id=world["officer"], detail={"i": i})
    f = audit_view.AuditFilter(action="test.bulk")
    p1, p3 = audit_view.search(session, f, 1), audit_view.search(session, f, 3)
    assert (p1.total, p1.pages, len(p1.entries), len(p3.entries)) == (120, 3, 50, 20)
    assert p1.entries[0].event.detail == {"i": 119} and p3.entries[-1].event.detail == {"i": 0}
    assert audit_view.search(session, f, 99).page == 3


# --- the page --------------------------------------------------------------------------------------

@pytest.fixture
def client(engine: Engine, world: dict[str, int]) -> Iterator[TestClient]:
    with TestClient(create_app(engine)) as c:
        yield c


def _sign_in(c: TestClient, email: str) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/sign-in").text).group(1)  # type: ignore[union-attr]
    r = c.post("/sign-in", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token, "next": "/"},
               follow_redirects=False)
    assert r.status_code == 303


def test_the_audit_page_filters_and_names(client: TestClient, session: Session, world: dict[str, int]) -> None:
    _sign_in(client, ADMIN)
    officer = session.get(User, world["officer"])
    assert officer is not None
    page = client.get("/admin/audit").text
    assert f"resident {world['resident']}, Newham" in page
    assert f"user {world['officer']}" not in page and officer.name in page
    r = client.get("/admin/audit", params={"person": officer.email, "object_type": "support_resident"})
    assert r.status_code == 200
    assert "1 entry matches the filter" in r.text and "outreach case review" in r.text
    assert "fund.panel.assign</td>" not in r.text
    session.expire_all()
    viewed = session.execute(select(AuditEvent).where(AuditEvent.action == "audit.view")
                             .order_by(AuditEvent.id.desc())).scalars().first()
    assert viewed is not None and viewed.purpose == "audit review"
    assert viewed.detail == {"filter": audit_view.AuditFilter(person=officer.email,
                                                              object_type="support_resident").query_string(),
                             "page": 1}
    bad = client.get("/admin/audit", params={"from": "yesterday"})
    assert 'href="#from">Enter the first date as a date like 2026-11-30.' in bad.text


def test_who_may_see_the_audit_view_is_unchanged(client: TestClient) -> None:
    for email in ("admin@newham.demo.boroughs.test", "fund@loti.demo.boroughs.test",
                  "officer@newham.demo.boroughs.test"):
        client.cookies.clear()
        _sign_in(client, email)
        assert client.get("/admin/audit", params={"person": "a"}).status_code == 403


def test_the_audit_page_checks_from_the_latest_checkpoint_and_the_whole_trail_on_request(
        client: TestClient, engine: Engine, session: Session, world: dict[str, int]) -> None:
    from boroughs.core.audit_checkpoints import write_checkpoint

    for i in range(5):
        audit.record(session, "test.entry", object_type="user", object_id=world["officer"], detail={"i": i})
    session.commit()
    first = session.execute(select(AuditEvent.id).order_by(AuditEvent.id)).scalars().first()
    assert write_checkpoint(engine, force=True) is not None
    _sign_in(client, ADMIN)
    page = client.get("/admin/audit").text
    assert "The audit trail is intact" in page and "after the latest checkpoint" in page
    assert 'href="/admin/audit?check=all">Check the whole trail' in page
    # someone with write access to the database changes an entry that the checkpoint covers
    session.execute(update(AuditEvent).where(AuditEvent.id == first).values(detail={"i": "changed"}))
    session.commit()
    fast = client.get("/admin/audit").text
    assert "The audit trail is intact" in fast  # the fast check trusts what the checkpoint covers (as documented)
    full = client.get("/admin/audit", params={"check": "all"}).text
    assert "The audit trail is broken" in full and f"entry {first}:" in full
    assert "Check the whole trail</a>" not in full
