"""The web shell through an in-process client on real SQLite and PostgreSQL (issue 2)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from boroughs.app import create_app
from boroughs.core import geography
from boroughs.core.auth import DEMO_PASSWORD
from boroughs.core.demo import seed_core
from boroughs.core.models import AuditEvent, Invitation, LoginSession, Membership, Organisation, User
from boroughs.web.deps import SESSION_COOKIE


@pytest.fixture
def client(engine, session, data_dir):
    geography.load_into(session, data_dir)
    seed_core(session)
    session.commit()
    with TestClient(create_app(engine)) as c:
        yield c


def csrf(client, path="/sign-in"):
    html = client.get(path).text
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(client, email, password=DEMO_PASSWORD):
    r = client.post("/sign-in", data={"email": email, "password": password, "csrf_token": csrf(client), "next": "/"},
                    follow_redirects=False)
    return r


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok", "database": "reachable"}


def test_healthz_fails_when_the_database_is_gone(tmp_path):
    from boroughs.core.db import make_engine

    eng = make_engine(f"sqlite:///{tmp_path}/missing/dir/db.sqlite")
    with TestClient(create_app(eng)) as c:
        assert c.get("/healthz").status_code == 503


def test_boroughs_api_lists_33(client):
    body = client.get("/api/v1/geography/boroughs").json()
    assert body["count"] == 33
    names = {i["code"]: i["name"] for i in body["items"]}
    assert names["E09000025"] == "Newham" and names["E09000012"] == "Hackney"


def test_lsoa_list_for_a_borough_matches_the_lookup(client, data_dir):
    import pandas as pd

    lookup = pd.read_csv(data_dir / "lookups" / "lookup_lsoa21_ward24_ltla24_ew.csv.gz", dtype=str)
    for code in ("E09000025", "E09000001", "E09000033"):
        body = client.get(f"/api/v1/geography/lsoa21?borough={code}").json()
        assert body["count"] == int((lookup["ltla24_code"] == code).sum())
        assert all(i["borough_code"] == code for i in body["items"])


def test_unknown_borough_is_a_clear_404(client):
    r = client.get("/api/v1/geography/lsoa21?borough=E09999999")
    assert r.status_code == 404 and "not a London borough code" in r.json()["detail"]


def test_openapi_documents_geography(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/api/v1/geography/boroughs" in paths and "/api/v1/geography/lsoa21" in paths
    assert client.get("/api/docs").status_code == 200


def test_sign_in_sets_a_safe_cookie_and_rotates(client, session):
    before = client.cookies.get(SESSION_COOKIE)
    r = sign_in(client, "admin@demo.boroughs.test")
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=" in cookie
    first = client.cookies.get(SESSION_COOKIE)
    assert first and first != before
    sign_in(client, "admin@demo.boroughs.test")
    assert client.cookies.get(SESSION_COOKIE) != first
    # signing in again ended the old session: one session for the user, and it is the new one
    session.expire_all()
    admin = session.scalar(select(User).where(User.email == "admin@demo.boroughs.test"))
    rows = list(session.scalars(select(LoginSession).where(LoginSession.user_id == admin.id)))
    assert len(rows) == 1


def test_secure_cookie_behind_https(engine, session, data_dir, monkeypatch):
    monkeypatch.setenv("BOROUGHS_SECURE_COOKIES", "true")
    seed_core(session)
    session.commit()
    with TestClient(create_app(engine)) as c:
        r = sign_in(c, "admin@demo.boroughs.test")
        assert "Secure" in r.headers["set-cookie"]


def test_post_without_csrf_is_refused(client):
    r = client.post("/sign-in", data={"email": "admin@demo.boroughs.test", "password": DEMO_PASSWORD})
    assert r.status_code == 400 and "form has expired" in r.text


def test_csrf_from_another_session_is_refused(client, engine):
    token = csrf(client)
    with TestClient(create_app(engine)) as other:
        r = other.post("/sign-in", data={"email": "admin@demo.boroughs.test", "password": DEMO_PASSWORD,
                                          "csrf_token": token})
        assert r.status_code == 400


def test_wrong_password_shows_error_and_is_audited(client, session):
    r = sign_in(client, "admin@demo.boroughs.test", "not the right one")
    assert r.status_code == 400 and "Enter a correct email address and password" in r.text
    session.expire_all()
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.sign_in_failed")) is not None


def test_lockout_through_the_web(client, session):
    for _ in range(5):
        sign_in(client, "officer@newham.demo.boroughs.test", "not the right one")
    r = sign_in(client, "officer@newham.demo.boroughs.test")
    # the right password on a locked account: the same message as a wrong one (issue 11)
    assert r.status_code == 400 and "locked" not in r.text
    assert "Enter a correct email address and password" in r.text
    session.expire_all()
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.account_locked")) is not None


def test_admin_pages_need_sign_in_and_permission(client):
    r = client.get("/admin", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/sign-in?next=/admin"
    sign_in(client, "caseworker@eastside-food.demo.boroughs.test")
    assert client.get("/admin").status_code == 403
    assert client.get("/admin/audit").status_code == 403


def test_council_admin_sees_only_their_council(client, session):
    sign_in(client, "admin@newham.demo.boroughs.test")
    page = client.get("/admin").text
    assert "London Borough of Newham" in page and "London Borough of Hackney" not in page
    hackney = session.scalar(select(Organisation).where(Organisation.slug == "hackney"))
    assert client.get(f"/admin/organisations/{hackney.id}").status_code == 403
    r = client.post(f"/admin/organisations/{hackney.id}/invite",
                    data={"csrf_token": csrf(client, "/admin"), "email": "x@y.org", "name": "X", "role": "council_officer"})
    assert r.status_code == 403
    session.expire_all()
    assert session.scalar(select(Invitation)) is None


def test_invite_accept_and_change_role(client, session):
    sign_in(client, "admin@newham.demo.boroughs.test")
    newham = session.scalar(select(Organisation).where(Organisation.slug == "newham"))
    token = csrf(client, "/admin")
    r = client.post(f"/admin/organisations/{newham.id}/invite",
                    data={"csrf_token": token, "email": "new.person@newham.example", "name": "New Person",
                          "role": "council_officer"})
    assert r.status_code == 200
    link = re.search(r"/invitations/([\w-]+)", r.text).group(1)
    # a role that councils do not have is refused with a reason
    bad = client.post(f"/admin/organisations/{newham.id}/invite",
                      data={"csrf_token": token, "email": "v@x.org", "name": "V", "role": "vcs_caseworker"})
    assert bad.status_code == 400 and "cannot have the role vcs_caseworker" in bad.text
    with TestClient(client.app) as newcomer:
        t = csrf(newcomer, f"/invitations/{link}")
        weak = newcomer.post(f"/invitations/{link}", data={"csrf_token": t, "password": "password1234",
                                                           "confirm": "password1234"})
        assert weak.status_code == 400 and "too common" in weak.text
        ok = newcomer.post(f"/invitations/{link}", data={"csrf_token": t, "password": "orchard-violet-kettle",
                                                         "confirm": "orchard-violet-kettle"}, follow_redirects=False)
        assert ok.status_code == 303
        # the link works once
        assert newcomer.get(f"/invitations/{link}").status_code == 404
    session.expire_all()
    person = session.scalar(select(User).where(User.email == "new.person@newham.example"))
    m = session.scalar(select(Membership).where(Membership.user_id == person.id))
    assert m.role == "council_officer"
    r = client.post(f"/admin/memberships/{m.id}/role", data={"csrf_token": token, "role": "council_manager"},
                    follow_redirects=False)
    assert r.status_code == 303
    session.expire_all()
    assert session.get(Membership, m.id).role == "council_manager"
    actions = {e.action for e in session.scalars(select(AuditEvent))}
    assert {"member.invite", "member.add", "member.change_role", "auth.sign_in"} <= actions


def test_friendly_404_and_json_404(client):
    r = client.get("/no/such/page")
    assert r.status_code == 404 and "Page not found" in r.text and "<html" in r.text
    r = client.get("/api/v1/no/such")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/json")


def test_friendly_500(engine, session):
    app = create_app(engine)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaboom")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom")
    assert r.status_code == 500 and "Sorry, there is a problem with the service" in r.text
    assert "kaboom" not in r.text


def test_sign_out_ends_the_session(client, session):
    sign_in(client, "admin@demo.boroughs.test")
    assert client.get("/admin").status_code == 200
    r = client.post("/sign-out", data={"csrf_token": csrf(client, "/admin")}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_static_files_come_gzipped_once_and_unchanged(client):
    from boroughs.web.app import STATIC

    path = "/static/vendor/maplibre-gl/maplibre-gl.js"
    on_disk = (STATIC / "vendor" / "maplibre-gl" / "maplibre-gl.js").read_bytes()
    raw = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert raw.status_code == 200 and raw.headers["content-encoding"] == "gzip"
    assert raw.content == on_disk  # (httpx decodes it) the file itself
    assert int(raw.headers["content-length"]) < len(on_disk) / 3  # what travelled was compressed
    assert raw.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    again = client.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": raw.headers["etag"]})
    assert again.status_code == 304
    plain = client.get(path, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == on_disk
    font = client.get("/assets/fonts/light-94a07e06a1-v2.woff2", headers={"Accept-Encoding": "gzip"})
    assert font.status_code == 200 and "content-encoding" not in font.headers
    assert client.get("/static/no-such-file.js").status_code == 404
