"""Issue 11: sign-in hardening, security headers, path ids, the 500 page after a rollback, CSV cells."""

from __future__ import annotations

import csv
import io
import re

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from boroughs.app import create_app
from boroughs.config import reset_settings
from boroughs.core import auth
from boroughs.core.auth import DEMO_PASSWORD
from boroughs.core.csv_safety import safe_cell, safe_frame, safe_row
from boroughs.core.errors import ValidationFailed
from boroughs.core.models import User
from tests.core.test_web import client, csrf, sign_in  # noqa: F401  (fixture)

# ---- passwords


@pytest.mark.parametrize("weak", [
    " " * 12, "123456789012", "qwertyuiopas", "aaaaaaaaaaaaaaaa", "abcdefghijklmn", "boroughs-london-1",
    DEMO_PASSWORD, "x" * 1_000_000,
])
def test_weak_passwords_from_the_probe_are_refused(weak):
    assert auth.password_problems(weak), repr(weak[:20])
    with pytest.raises(ValidationFailed):
        auth.hash_password(weak)


def test_own_name_and_email_are_refused():
    assert auth.password_problems("Amara Okafor 2024", name="Amara Okafor")
    assert auth.password_problems("okafor.amara!!99", email="okafor.amara@newham.example")
    assert auth.password_problems("Olu Officer12", name="Olu Officer")


def test_a_strong_passphrase_is_accepted():
    assert auth.password_problems("plum tractor lantern", name="Olu Officer", email="olu@newham.example") == []


def test_the_maximum_length_is_refused_quickly():
    import time

    start = time.monotonic()
    assert auth.password_problems("correct horse " * 10_000) == ["Password must be 128 characters or fewer"]
    assert time.monotonic() - start < 1


def test_the_demo_seed_still_uses_the_demo_password():
    h = auth.hash_demo_password()
    assert auth.verify_password(h, DEMO_PASSWORD)


def test_an_invitation_refuses_the_published_demo_password(client, session):  # noqa: F811
    from boroughs.core.models import Organisation
    from boroughs.core.organisations import invite

    admin = session.scalar(select(User).where(User.email == "admin@demo.boroughs.test"))
    newham = session.scalar(select(Organisation).where(Organisation.slug == "newham"))
    _, token = invite(session, newham, "new.person@newham.example", "New Person", "council_officer", actor=admin)
    session.commit()
    t = csrf(client, f"/invitations/{token}")
    r = client.post(f"/invitations/{token}", data={"csrf_token": t, "password": DEMO_PASSWORD, "confirm": DEMO_PASSWORD})
    assert r.status_code == 400 and "published demo password" in r.text


# ---- trusted proxies


def _ip(monkeypatch, engine, trusted: str, forwarded: str | None) -> str:
    from boroughs.web.deps import client_ip

    monkeypatch.setenv("BOROUGHS_TRUSTED_PROXIES", trusted)
    reset_settings()
    app = create_app(engine)

    @app.get("/ip")
    def ip(request: Request) -> dict[str, str]:
        return {"ip": client_ip(request)}
    with TestClient(app, client=("10.0.0.5", 1234)) as c:
        headers = {"x-forwarded-for": forwarded} if forwarded else {}
        return str(c.get("/ip", headers=headers).json()["ip"])


def test_forwarded_for_is_ignored_without_trusted_proxies(monkeypatch, engine):
    assert _ip(monkeypatch, engine, "", "203.0.113.9") == "10.0.0.5"


def test_forwarded_for_is_ignored_from_an_untrusted_peer(monkeypatch, engine):
    assert _ip(monkeypatch, engine, "192.168.0.0/16", "203.0.113.9") == "10.0.0.5"


def test_forwarded_for_is_used_from_a_trusted_proxy(monkeypatch, engine):
    # a spoofed left-most address is skipped: the right-most untrusted hop is the client
    assert _ip(monkeypatch, engine, "10.0.0.0/8", "1.1.1.1, 203.0.113.9, 10.0.0.7") == "203.0.113.9"


# ---- headers


def test_strict_security_headers(client):  # noqa: F811
    r = client.get("/")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "worker-src 'self' blob:" in csp and "frame-ancestors 'none'" in csp
    assert "camera=()" in r.headers["permissions-policy"]
    assert "strict-transport-security" not in r.headers  # only when cookies are secure


def test_hsts_when_cookies_are_secure(monkeypatch, engine):
    monkeypatch.setenv("BOROUGHS_SECURE_COOKIES", "true")
    monkeypatch.setenv("BOROUGHS_BASEMAP_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    reset_settings()
    with TestClient(create_app(engine)) as c:
        r = c.get("/healthz")
    assert r.headers["strict-transport-security"].startswith("max-age=31536000")
    assert "img-src 'self' data: blob: https://tile.openstreetmap.org" in r.headers["content-security-policy"]


def test_no_template_has_inline_script_handlers_or_styles():
    from pathlib import Path

    import boroughs

    root = Path(boroughs.__file__).parent
    bad = []
    for path in root.rglob("*.html"):
        if "vendor" in path.parts:
            continue
        src = path.read_text()
        for m in re.finditer(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", src):
            bad.append(f"{path.name}: inline {m.group(0)}")
        bad += [f"{path.name}: {m.group(0)}" for m in re.finditer(r"\s(on[a-z]+|style)=\"", src)]
    assert bad == []


# ---- path ids and errors


def test_a_huge_path_id_is_a_friendly_422(client):  # noqa: F811
    sign_in(client, "officer@newham.demo.boroughs.test")
    r = client.get("/support/newham/residents/99999999999999999999999")  # the probe's address
    assert r.status_code == 422 and "check the web address" in r.text
    r = client.get("/support/residents/99999999999999999999999/consents")
    assert r.status_code == 422 and "check the web address" in r.text
    assert client.get("/admin/organisations/-99999999999").status_code in (303, 422)
    assert client.get("/api/v1/geography/boroughs").status_code == 200


def test_the_500_page_renders_for_a_signed_in_user_after_a_rollback(engine, session, data_dir):
    from boroughs.core import geography
    from boroughs.core.demo import seed_core
    from boroughs.web.deps import get_db

    geography.load_into(session, data_dir)
    seed_core(session)
    session.commit()
    app = create_app(engine)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaboom")

    from fastapi import Depends
    from sqlalchemy.orm import Session

    @app.get("/boom-db")
    def boom_db(db: Session = Depends(get_db)) -> None:
        db.execute(text("SELECT 1"))
        raise RuntimeError("kaboom")

    with TestClient(app, raise_server_exceptions=False) as c:
        sign_in(c, "officer@newham.demo.boroughs.test")
        for path in ("/boom", "/boom-db"):
            r = c.get(path)
            assert r.status_code == 500 and "Sorry, there is a problem with the service" in r.text
            assert "Olu Officer" in r.text  # still shown as signed in


# ---- CSV cells


def test_csv_cells_that_start_a_formula_are_neutralised():
    import pandas as pd

    for bad in ("=1+1", "+44", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(bad) == "'" + bad
    assert safe_cell("Newham") == "Newham" and safe_cell(-2) == -2 and safe_cell(None) is None
    assert safe_row({"a": "=x", "b": 3}) == {"a": "'=x", "b": 3}
    frame = safe_frame(pd.DataFrame({"name": ["=HYPERLINK(\"x\")", "ok"], "n": [-1.5, 2]}))
    assert frame["name"].tolist() == ["'=HYPERLINK(\"x\")", "ok"] and frame["n"].tolist() == [-1.5, 2]


def test_the_partnership_report_neutralises_cells():
    from boroughs.support.referrals import service as referral

    out = referral.report_csv([{"organisation": "=cmd|' /C calc'!A0", "service": "@risk", "received": 3}])
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["organisation"].startswith("'=") and rows[0]["service"] == "'@risk" and rows[0]["received"] == "3"
