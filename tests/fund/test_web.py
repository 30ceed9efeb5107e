"""The fund's pages through an in-process client on real SQLite and PostgreSQL: the issue's whole journey,
plus the server-side refusals (issue 8)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from boroughs.app import create_app
from boroughs.core import geography
from boroughs.core.auth import DEMO_PASSWORD
from boroughs.core.demo import seed_core
from boroughs.core.models import Area
from boroughs.fund._london import BOROUGHS
from boroughs.fund.demo import seed_demo
from boroughs.fund.models import Proposal
from boroughs.fund.opendata import giving360

FUND = "fund@loti.demo.boroughs.test"
NEWHAM_OFFICER, NEWHAM_MANAGER = "officer@newham.demo.boroughs.test", "manager@newham.demo.boroughs.test"
HACKNEY_OFFICER, HACKNEY_MANAGER = "officer@hackney.demo.boroughs.test", "manager@hackney.demo.boroughs.test"
PANEL1, PANEL2, PANEL_NEWHAM = ("panel1@loti.demo.boroughs.test", "panel2@loti.demo.boroughs.test",
                                "panel@newham.demo.boroughs.test")
BRENT = "officer@brent.demo.boroughs.test"


@pytest.fixture
def app_engine(engine: Engine, session: Session) -> Engine:
    # The fund needs only the 33 boroughs, not the whole geography: quicker than geography.load_into.
    session.add_all(Area(code=b.ons_code, kind="borough", name=b.name) for b in BOROUGHS)
    session.flush()
    assert geography.is_loaded(session)
    seed_core(session)
    seed_demo(session)
    session.commit()
    return engine


@pytest.fixture
def client(app_engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(app_engine)) as c:
        yield c


def token(c: TestClient, path: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', c.get(path).text)
    assert m, path
    return m.group(1)


def as_user(app_engine: Engine, email: str) -> TestClient:
    c = TestClient(create_app(app_engine))
    r = c.post("/sign-in", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token(c, "/sign-in"),
                                 "next": "/fund"}, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    c.headers["X-CSRF-Token"] = token(c, "/fund")  # the session's token, sent with every request
    return c


def post(c: TestClient, path: str, data: dict) -> Any:
    """POST a form as the signed-in user (the CSRF token travels in the session's header)."""
    return c.post(path, data=data, follow_redirects=False)


def test_public_pages_show_the_2021_round(client: TestClient) -> None:
    home = client.get("/fund").text
    assert "Covid Innovation Fund" in home
    call = client.get("/fund/calls/covid-innovation-fund-2021").text
    assert "£150,000" in call and "Smarter use of data" in call and "Digitally-enabled initiative" in call
    public = client.get("/fund/calls/covid-innovation-fund-2021/proposals").text
    assert "Barnet" in public and "Hackney" in public and "only the funded proposals" in public
    assert client.get("/fund/replication").status_code == 200
    pkg = client.get("/fund/grants.json").json()
    assert giving360.validate(pkg) == [] and len(pkg["grants"]) == 2
    api = client.get("/api/v1/fund/calls").json()
    assert [(s["title"], s["budget"], s["awarded"]) for s in api[0]["strands"]] == [
        ("Smarter use of data", 75_000, 75_000), ("Digitally-enabled initiative", 75_000, 75_000)]


def test_the_done_when_journey(app_engine: Engine) -> None:
    fund = as_user(app_engine, FUND)
    r = post(fund, "/fund/calls", {"fund_body_id": _loti(app_engine), "title": "Inclusion fund 2027",
                                   "slug": "inclusion-2027", "total_budget": "100000", "deadline": "2099-01-31",
                                   "min_partner_councils": "2", "grant_prefix": "360G-LOTI"})
    assert r.status_code == 303
    for s in ({"title": "Data", "slug": "data", "budget": "50000", "award_limit": "40000"},
              {"title": "Services", "slug": "services", "budget": "50000", "award_limit": "50000"}):
        assert post(fund, "/fund/calls/inclusion-2027/strands", s).status_code == 303
    assert post(fund, "/fund/calls/inclusion-2027/criteria", {"title": "Outcomes", "weight": "2"}).status_code == 303
    assert post(fund, "/fund/calls/inclusion-2027/transition", {"name": "open"}).status_code == 303

    newham = as_user(app_engine, NEWHAM_OFFICER)
    page = newham.get("/fund/calls/inclusion-2027").text
    lead_id = re.search(r'name="lead_org_id".*?<option value="(\d+)"', page, re.S).group(1)  # type: ignore[union-attr]
    strand_id = re.search(r'<option value="(\d+)">Data</option>', page).group(1)  # type: ignore[union-attr]
    r = post(newham, "/fund/calls/inclusion-2027/proposals", {"lead_org_id": lead_id, "title": "Joint outreach",
                                                              "strand_id": strand_id})
    pid = int(r.headers["location"].split("/")[3].split("?")[0])
    hackney_id = _org(app_engine, "hackney")
    assert post(newham, f"/fund/proposals/{pid}/partners", {"organisation_id": hackney_id, "kind": "partner",
                                                            "role": "Co-design", "budget": "15000"}).status_code == 303
    form = {"base_version": _version(app_engine, pid), "title": "Joint outreach", "summary": "Reach people early.",
            "strand_id": strand_id, "amount_requested": "30000", "problem": "P", "who_affected": "W", "outcomes": "O",
            "approach": "A", "replication_plan": "R", "measure_0_outcome": "Fewer crises",
            "measure_0_name": "Residents helped", "measure_0_unit": "people", "measure_0_baseline": "0",
            "measure_0_target": "200"}
    assert post(newham, f"/fund/proposals/{pid}/edit", form).status_code == 303
    # Hackney co-writes through autosave (JSON API with the CSRF header)
    hackney = as_user(app_engine, HACKNEY_OFFICER)
    r = hackney.post(f"/api/v1/fund/proposals/{pid}/autosave",
                     json={"base_version": _version(app_engine, pid), "changes": {"approach": "A, with Hackney"}})
    assert r.status_code == 200, r.text
    # Newham, still on the version before Hackney's autosave, changes the same part: refused, not lost
    r = newham.post(f"/api/v1/fund/proposals/{pid}/autosave",
                    json={"base_version": r.json()["version"] - 1, "changes": {"approach": "Newham's approach"}})
    assert r.status_code == 409 and r.json()["fields"] == ["approach"] and "Harry Officer" in r.json()["detail"]
    # Newham's lead share
    lead_partner = _lead_partner(app_engine, pid)
    assert post(newham, f"/fund/proposals/{pid}/partners/{lead_partner}", {"budget": "15000", "role": "Lead"}
                ).status_code == 303
    # submission without Hackney's sign-off is refused, with the reason on the page
    nm = as_user(app_engine, NEWHAM_MANAGER)
    v = _version(app_engine, pid)
    assert post(nm, f"/fund/proposals/{pid}/sign-off", {"organisation_id": lead_id, "version": v}).status_code == 303
    r = post(nm, f"/fund/proposals/{pid}/transition", {"name": "submit"})
    assert r.status_code == 422 and "Still to sign off: London Borough of Hackney" in r.text
    hm = as_user(app_engine, HACKNEY_MANAGER)
    assert post(hm, f"/fund/proposals/{pid}/sign-off", {"organisation_id": hackney_id, "version": v}).status_code == 303
    assert post(nm, f"/fund/proposals/{pid}/transition", {"name": "submit"}).status_code == 303

    # the panel: Nina (Newham) is recused automatically
    assert post(fund, "/fund/calls/inclusion-2027/transition", {"name": "close_submissions"}).status_code == 303
    assert post(fund, f"/fund/proposals/{pid}/manage-transition", {"name": "start_assessment"}).status_code == 303
    # the fund manager chooses the assessors per proposal (issue 17); Nina's recusal is recorded automatically
    assert post(fund, f"/fund/proposals/{pid}/assign",
                {"member_id": [_user(app_engine, PANEL1), _user(app_engine, PANEL2)]}).status_code == 303
    manage = fund.get("/fund/calls/inclusion-2027/manage").text
    assert "Nina Panel (Newham)</strong> recused (automatic)" in manage
    nina = as_user(app_engine, PANEL_NEWHAM)
    assert nina.get(f"/fund/proposals/{pid}/assess").status_code == 403
    crit = _criterion(app_engine, pid)
    r = post(nina, f"/fund/proposals/{pid}/assess", {f"score_{crit}": "5", f"comment_{crit}": "x"})
    assert r.status_code == 403
    for email, value in ((PANEL1, "4"), (PANEL2, "3")):
        panel = as_user(app_engine, email)
        assert post(panel, f"/fund/proposals/{pid}/assess", {f"score_{crit}": value,
                                                              f"comment_{crit}": "Clear"}).status_code == 303
    moderation = fund.get("/fund/calls/inclusion-2027/moderation").text
    assert "3.50" in moderation
    assert "hidden from you because you are recused" in nina.get("/fund/calls/inclusion-2027/moderation").text

    # decisions: over the award limit is refused; within it is awarded
    r = post(fund, "/fund/calls/inclusion-2027/decisions", {f"decision_{pid}": "award", f"amount_{pid}": "45000"})
    assert r.status_code == 422 and "award limit of £40,000" in r.text
    assert post(fund, "/fund/calls/inclusion-2027/decisions", {f"decision_{pid}": "award",
                                                              f"amount_{pid}": "30000"}).status_code == 303
    project = _project(app_engine, pid)
    # first gate: refused without evidence, passed with it
    r = post(fund, f"/fund/projects/{project}/gate", {"note": "ok"})
    assert r.status_code == 422 and "without evidence" in r.text
    assert post(newham, f"/fund/projects/{project}/evidence", {"stage": "discover", "title": "Interviews",
                                                               "url": "https://example.org/i"}).status_code == 303
    assert post(fund, f"/fund/projects/{project}/gate", {"note": "Strong evidence"}).status_code == 303
    measure = _measure(app_engine, pid)
    assert post(newham, f"/fund/projects/{project}/reports/1", {"narrative": "Going well",
                                                                f"value_{measure}": "40"}).status_code == 303
    page = fund.get(f"/fund/projects/{project}").text
    assert "Gate passed" in page and "20.0%" in page
    assert post(newham, f"/fund/projects/{project}/outputs", {"kind": "playbook", "title": "Outreach playbook",
                                                              "url": "https://example.org/playbook"}).status_code == 303
    output = _output(app_engine, project)
    brent = as_user(app_engine, BRENT)
    assert post(brent, f"/fund/outputs/{output}/adoptions", {"organisation_id": _org(app_engine, "brent"),
                                                             "status": "adopted"}).status_code == 303
    assert "London Borough of Brent (adopted)" in fund.get("/fund/replication").text
    pkg = fund.get("/fund/grants.json").json()
    assert giving360.validate(pkg) == [] and len(pkg["grants"]) == 3


def test_outsiders_are_refused_on_the_server(app_engine: Engine, client: TestClient) -> None:
    pid = _any_proposal(app_engine)
    brent = as_user(app_engine, BRENT)
    assert brent.get(f"/fund/proposals/{pid}").status_code == 403
    assert brent.get("/fund/calls/covid-innovation-fund-2021/decisions").status_code == 403
    assert post(brent, "/fund/calls", {"title": "x", "slug": "x", "total_budget": "1", "fund_body_id": _loti(app_engine)}
                ).status_code == 403
    r = client.get(f"/fund/proposals/{pid}", follow_redirects=False)
    assert r.status_code == 303 and "/sign-in" in r.headers["location"]
    del brent.headers["X-CSRF-Token"]
    r = brent.post(f"/fund/proposals/{pid}/sign-off", data={"organisation_id": "1", "version": "1"})
    assert r.status_code == 400  # no CSRF token


# --- lookups -------------------------------------------------------------------------------------

def _s(engine: Engine) -> Session:
    from boroughs.core.db import session_factory

    return session_factory(engine)()


def _user(engine: Engine, email: str) -> int:
    from boroughs.core.models import User

    with _s(engine) as db:
        return db.execute(select(User.id).where(User.email == email)).scalar_one()


def _loti(engine: Engine) -> int:
    return _org(engine, "loti")


def _org(engine: Engine, slug: str) -> int:
    from boroughs.core.models import Organisation

    with _s(engine) as s:
        return s.query(Organisation).filter_by(slug=slug).one().id


def _version(engine: Engine, pid: int) -> int:
    with _s(engine) as s:
        return s.get(Proposal, pid).version  # type: ignore[union-attr]


def _lead_partner(engine: Engine, pid: int) -> int:
    with _s(engine) as s:
        return next(x.id for x in s.get(Proposal, pid).partners if x.kind == "lead")  # type: ignore[union-attr]


def _criterion(engine: Engine, pid: int) -> int:
    with _s(engine) as s:
        return s.get(Proposal, pid).call.criteria[0].id  # type: ignore[union-attr]


def _measure(engine: Engine, pid: int) -> int:
    with _s(engine) as s:
        return s.get(Proposal, pid).measures[0].id  # type: ignore[union-attr]


def _project(engine: Engine, pid: int) -> int:
    from boroughs.fund.models import Project

    with _s(engine) as s:
        return s.query(Project).filter_by(proposal_id=pid).one().id


def _output(engine: Engine, project: int) -> int:
    from boroughs.fund.models import Output

    with _s(engine) as s:
        return s.query(Output).filter_by(project_id=project).one().id


def _any_proposal(engine: Engine) -> int:
    with _s(engine) as s:
        return s.query(Proposal).filter_by(reference="2021-SUPPORT").one().id  # Newham and Hackney
