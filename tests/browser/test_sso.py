"""Single sign-on in real Chromium (issue 15): through a real OpenID Connect provider on 127.0.0.1, a first
sign-in waiting for approval, the administrator approving it, and the pages checked with axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from boroughs.core import oidc
from boroughs.core.db import session_scope
from boroughs.core.models import Organisation, User
from tests.core.oidc_provider import Person, Provider

pytestmark = pytest.mark.browser


@pytest.fixture
def idp(live_server, monkeypatch):
    provider = Provider().start()
    monkeypatch.setenv("BOROUGHS_SSO_SECRET_BARKING_AND_DAGENHAM", provider.client_secret)
    oidc.clear_cache()
    with session_scope(live_server.engine) as db:
        org = db.scalar(select(Organisation).where(Organisation.slug == "barking-and-dagenham"))
        oidc.configure(db, org, issuer=provider.issuer, client_id=provider.client_id, domains=["lbbd.example"],
                       label="Test identity provider")
    yield provider
    provider.stop()
    with session_scope(live_server.engine) as db:
        org = db.scalar(select(Organisation).where(Organisation.slug == "barking-and-dagenham"))
        p = oidc.provider_for(db, org)
        p.enabled = False


def test_first_sign_in_waits_for_approval_then_signs_in(page, live_server, sign_in, idp, assert_accessible):
    idp.person = Person("lbbd-0001", "sam.patel@lbbd.example", "Sam Patel")
    page.goto(live_server.url + "/sign-in")
    page.get_by_role("link", name="Sign in with your organisation's account").click()
    expect(page.get_by_role("heading", name="Sign in with your organisation's account")).to_be_visible()
    assert_accessible(page)
    with page.expect_navigation(url=lambda u: "/sign-in/sso/callback" in u):
        page.get_by_role("link", name="London Borough of Barking and Dagenham").click()
    expect(page.get_by_role("heading", name="Waiting for approval")).to_be_visible()
    expect(page.get_by_text("must approve your account")).to_be_visible()
    assert_accessible(page)

    sign_in(page, "admin@demo.boroughs.test")
    with session_scope(live_server.engine) as db:
        org_id = db.scalar(select(Organisation.id).where(Organisation.slug == "barking-and-dagenham"))
    page.goto(f"{live_server.url}/admin/organisations/{org_id}/sso")
    expect(page.get_by_text("sam.patel@lbbd.example")).to_be_visible()
    expect(page.get_by_text("An administrator approves it")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Role for Sam Patel").select_option("council_officer")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("No one is waiting.")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    page.goto(live_server.url + "/sign-in/sso/barking-and-dagenham?next=/")
    page.wait_for_url(live_server.url + "/")
    expect(page.get_by_text("Sam Patel")).to_be_visible()
    with session_scope(live_server.engine) as db:
        user = db.scalar(select(User).where(User.email == "sam.patel@lbbd.example"))
        assert user is not None and [m.role for m in user.memberships] == ["council_officer"]


def test_a_forged_token_is_refused_in_the_browser(page, live_server, idp, assert_accessible):
    idp.person = Person("lbbd-0002", "jo.quinn@lbbd.example", "Jo Quinn")
    idp.tamper = "bad_signature"
    page.goto(live_server.url + "/sign-in/sso/barking-and-dagenham")
    expect(page.get_by_role("heading", name="You have not been signed in")).to_be_visible()
    expect(page.get_by_text("signature does not match")).to_be_visible()
    assert_accessible(page)
