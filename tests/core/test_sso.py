"""Single sign-on through a real OpenID Connect provider on 127.0.0.1 (issue 15), on SQLite and PostgreSQL.

The browser's part (following redirects between Boroughs and the provider) is done by the test: Boroughs
runs in-process (TestClient), the provider is a real HTTP server that Boroughs calls for its discovery
document, keys and token endpoint.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from boroughs.app import cli as cli_app
from boroughs.app import create_app
from boroughs.core import oidc
from boroughs.core.models import AuditEvent, LoginSession, Membership, OrgKind, User
from boroughs.core.organisations import add_membership, create_organisation, create_user
from boroughs.core.sso_models import SsoApproval, SsoProvider, SsoRequest
from boroughs.web.deps import SESSION_COOKIE
from tests.core.oidc_provider import Person, Provider

PASSWORD = "plum tractor lantern"
SECRET_ENV = "BOROUGHS_SSO_SECRET_TEST_COUNCIL"


@pytest.fixture(scope="module")
def idp():
    provider = Provider().start()
    yield provider
    provider.stop()


@pytest.fixture
def org(session, idp, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, idp.client_secret)
    oidc.clear_cache()
    idp.person, idp.tamper = None, None
    council = create_organisation(session, "Test Council", OrgKind.COUNCIL, ons_code="E09000025")
    oidc.configure(session, council, issuer=idp.issuer, client_id=idp.client_id, domains=["test-council.gov.uk"],
                   first_role="council_admin")
    session.commit()
    return council


@pytest.fixture
def client(engine, org):
    with TestClient(create_app(engine)) as c:
        yield c


def go(client: TestClient, idp: Provider, next_path: str = "/", slug: str = "test-council"):
    """Start at Boroughs, pass through the provider, come back; return Boroughs' final response."""
    start = client.get(f"/sign-in/sso/{slug}", params={"next": next_path}, follow_redirects=False)
    assert start.status_code == 303, start.text
    at_provider = httpx.get(start.headers["location"], follow_redirects=False)
    assert at_provider.status_code == 302, at_provider.text
    back = at_provider.headers["location"]
    assert back.startswith("http://testserver/sign-in/sso/callback?")
    return client.get(back, follow_redirects=False), back


def test_authorisation_request_uses_pkce_state_and_nonce(client, idp):
    r = client.get("/sign-in/sso/test-council", follow_redirects=False)
    q = parse_qs(urlsplit(r.headers["location"]).query)
    assert r.headers["location"].startswith(idp.issuer + "/authorize?")
    assert q["response_type"] == ["code"] and q["client_id"] == [idp.client_id]
    assert q["code_challenge_method"] == ["S256"] and len(q["code_challenge"][0]) == 43
    assert len(q["state"][0]) >= 32 and len(q["nonce"][0]) >= 32 and q["state"] != q["nonce"]
    assert q["redirect_uri"] == ["http://testserver/sign-in/sso/callback"]
    assert set(q["scope"][0].split()) == {"openid", "email", "profile"}
    assert client.cookies.get("boroughs_sso_state") == q["state"][0]


def test_sign_in_lands_on_the_right_page_with_the_right_role(client, idp, session, org):
    idp.person = Person("entra-oid-123", "Amara.Okafor@test-council.gov.uk", "Amara Okafor")
    r, _ = go(client, idp, next_path=f"/admin/organisations/{org.id}")
    assert r.status_code == 303 and r.headers["location"] == f"/admin/organisations/{org.id}"
    assert SESSION_COOKIE in r.cookies
    page = client.get(r.headers["location"])
    assert page.status_code == 200 and "Test Council" in page.text and "Amara Okafor" in page.text
    session.expire_all()
    user = session.scalar(select(User).where(User.email == "amara.okafor@test-council.gov.uk"))
    assert user is not None and user.password_hash is None
    assert (user.sso_issuer, user.sso_subject) == (idp.issuer, "entra-oid-123")
    assert [(m.organisation_id, m.role) for m in user.memberships] == [(org.id, "council_admin")]
    # The token request carried the PKCE verifier and the same redirect URI
    assert idp.token_requests[-1]["code_verifier"] and idp.token_requests[-1]["redirect_uri"].endswith("/callback")
    # A second sign-in finds the same account
    client.cookies.clear()
    r2, _ = go(client, idp)
    assert r2.status_code == 303
    assert session.scalar(select(User).where(User.sso_subject == "entra-oid-123")).id == user.id
    assert len(list(session.scalars(select(User)))) == 1
    actions = [e.action for e in session.scalars(select(AuditEvent))]
    assert "sso.account_created" in actions and actions.count("auth.sign_in") == 2


@pytest.mark.parametrize(("tamper", "message"), [
    ("bad_signature", "signature does not match"),
    ("wrong_audience", "wrong audience"),
    ("expired", "has expired"),
    ("wrong_nonce", "wrong nonce"),
    ("wrong_issuer", "wrong issuer"),
])
def test_bad_id_tokens_are_refused_with_a_clear_message(client, idp, session, tamper, message):
    idp.person = Person("someone", "someone@test-council.gov.uk", "Some One")
    idp.tamper = tamper
    r, _ = go(client, idp)
    assert r.status_code == 400
    assert message in r.text and "You have not been signed in" in r.text
    assert SESSION_COOKIE not in r.cookies
    session.expire_all()
    assert session.scalar(select(User)) is None
    assert session.scalar(select(LoginSession)) is None


def test_a_replayed_state_is_refused(client, idp, session):
    idp.person = Person("p1", "p1@test-council.gov.uk", "Person One")
    r, back = go(client, idp)
    assert r.status_code == 303
    again = client.get(back, follow_redirects=False)
    assert again.status_code == 400 and "already been used" in again.text
    session.expire_all()
    assert session.scalar(select(SsoRequest)) is None


def test_a_state_from_another_browser_is_refused(client, idp, engine):
    idp.person = Person("p2", "p2@test-council.gov.uk", "Person Two")
    start = client.get("/sign-in/sso/test-council", follow_redirects=False)
    back = httpx.get(start.headers["location"], follow_redirects=False).headers["location"]
    with TestClient(create_app(engine)) as other:  # no state cookie: someone else's sign-in link
        r = other.get(back, follow_redirects=False)
    assert r.status_code == 400 and "another browser" in r.text


def test_a_disallowed_email_domain_is_refused(client, idp, session):
    idp.person = Person("g1", "someone@gmail.com", "Some One")
    r, _ = go(client, idp)
    assert r.status_code == 400
    assert "someone@gmail.com is not an address Test Council allows" in r.text and "@test-council.gov.uk" in r.text
    session.expire_all()
    assert session.scalar(select(User)) is None


def test_an_unverified_email_is_refused(client, idp):
    idp.person = Person("u1", "u1@test-council.gov.uk", "Unverified", email_verified=False)
    r, _ = go(client, idp)
    assert r.status_code == 400 and "not verified" in r.text


def test_the_provider_refusing_is_shown(client, idp):
    idp.person = None  # the person cancelled at the provider
    r, _ = go(client, idp)
    assert r.status_code == 400 and "access_denied" in r.text


def test_first_sign_in_waits_for_an_administrator(client, idp, session, org):
    p = session.scalar(select(SsoProvider))
    p.first_role = None
    admin = create_user(session, "admin@test-council.gov.uk", "Council Admin", PASSWORD)
    add_membership(session, admin, org, "council_admin")
    session.commit()
    idp.person = Person("new-1", "new.starter@test-council.gov.uk", "New Starter")
    r, _ = go(client, idp)
    assert r.status_code == 200 and "must approve your account" in r.text
    assert SESSION_COOKIE not in r.cookies
    client.cookies.clear()
    r, _ = go(client, idp)  # trying again still waits, and does not ask twice
    assert "must approve" in r.text
    session.expire_all()
    approval = session.scalar(select(SsoApproval))
    assert approval is not None and approval.status == "pending"
    assert len(list(session.scalars(select(SsoApproval)))) == 1
    assert session.scalar(select(User).where(User.email == "new.starter@test-council.gov.uk")) is None

    with TestClient(client.app) as admin_browser:
        html = admin_browser.get("/sign-in").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        admin_browser.post("/sign-in", data={"email": "admin@test-council.gov.uk", "password": PASSWORD,
                                             "csrf_token": token, "next": "/"})
        page = admin_browser.get(f"/admin/organisations/{org.id}/sso")
        assert page.status_code == 200 and "new.starter@test-council.gov.uk" in page.text
        assert idp.client_secret not in page.text and "(found)" in page.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        done = admin_browser.post(f"/admin/sso/approvals/{approval.id}",
                                  data={"csrf_token": token, "decision": "approve", "role": "council_officer"},
                                  follow_redirects=False)
        assert done.status_code == 303
    client.cookies.clear()
    r, _ = go(client, idp)
    assert r.status_code == 303 and SESSION_COOKIE in r.cookies
    session.expire_all()
    user = session.scalar(select(User).where(User.email == "new.starter@test-council.gov.uk"))
    assert [m.role for m in user.memberships] == ["council_officer"]


def test_a_refused_first_sign_in_is_told_so(client, idp, session):
    p = session.scalar(select(SsoProvider))
    p.first_role = None
    session.commit()
    idp.person = Person("new-2", "refused@test-council.gov.uk", "Refused Person")
    go(client, idp)
    session.expire_all()
    oidc.decide(session, session.scalar(select(SsoApproval)).id, approve=False)
    session.commit()
    client.cookies.clear()
    r, _ = go(client, idp)
    assert r.status_code == 400 and "refused this account" in r.text


def test_an_existing_member_is_linked_but_not_a_member_of_another_organisation(client, idp, session, org):
    officer = create_user(session, "officer@test-council.gov.uk", "Officer", PASSWORD)
    add_membership(session, officer, org, "council_manager")
    other = create_organisation(session, "Other Council", OrgKind.COUNCIL, ons_code="E09000001")
    outsider = create_user(session, "outsider@test-council.gov.uk", "Outsider", PASSWORD)
    add_membership(session, outsider, other, "council_officer")
    session.commit()
    idp.person = Person("o-1", "officer@test-council.gov.uk", "Officer")
    r, _ = go(client, idp)
    assert r.status_code == 303
    session.expire_all()
    linked = session.scalar(select(User).where(User.email == "officer@test-council.gov.uk"))
    assert linked.sso_subject == "o-1" and [m.role for m in linked.memberships] == ["council_manager"]
    client.cookies.clear()
    idp.person = Person("o-2", "outsider@test-council.gov.uk", "Outsider")
    r, _ = go(client, idp)
    assert r.status_code == 400 and "belongs to another organisation" in r.text


def _password_sign_in(client, email):
    html = client.get("/sign-in").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token, "next": "/"},
                       follow_redirects=False)


def test_passwords_can_be_switched_off_per_organisation(client, session, org):
    member = create_user(session, "manager@test-council.gov.uk", "Manager", PASSWORD)
    add_membership(session, member, org, "council_manager")
    other = create_organisation(session, "Other Council", OrgKind.COUNCIL, ons_code="E09000001")
    elsewhere = create_user(session, "someone@other.gov.uk", "Someone Else", PASSWORD)
    add_membership(session, elsewhere, other, "council_officer")
    session.commit()
    assert _password_sign_in(client, "manager@test-council.gov.uk").status_code == 303
    client.cookies.clear()
    p = session.scalar(select(SsoProvider))
    p.allow_passwords = False
    session.commit()
    r = _password_sign_in(client, "manager@test-council.gov.uk")
    assert r.status_code == 400 and SESSION_COOKIE not in r.cookies
    assert "signs its staff in with" in r.text and "/sign-in/sso/test-council" in r.text
    # Another organisation's members still sign in with their password
    assert _password_sign_in(client, "someone@other.gov.uk").status_code == 303


def test_member_outside_the_domains_is_refused_a_password_after_it_is_checked(client, session, org):
    p = session.scalar(select(SsoProvider))
    p.allow_passwords = False
    contractor = create_user(session, "contractor@agency.co.uk", "Contractor", PASSWORD)
    add_membership(session, contractor, org, "council_analyst")
    session.commit()
    r = _password_sign_in(client, "contractor@agency.co.uk")
    assert r.status_code == 400 and "not a password" in r.text


def test_sign_in_page_links_to_sso_and_lists_the_organisation(client):
    assert "/sign-in/sso" in client.get("/sign-in").text
    page = client.get("/sign-in/sso")
    assert "Test Council" in page.text and "/sign-in/sso/test-council" in page.text


def test_a_missing_secret_is_a_clear_message(client, idp, monkeypatch):
    monkeypatch.delenv(SECRET_ENV)
    idp.person = Person("s1", "s1@test-council.gov.uk", "S One")
    r, _ = go(client, idp)
    assert r.status_code == 400 and SECRET_ENV in r.text and "is not set" in r.text


def test_configuration_is_checked(session, org):
    with pytest.raises(oidc.ValidationFailed, match="https://"):
        oidc.configure(session, org, issuer="http://login.example.com", client_id="x", domains=["a.gov.uk"])
    with pytest.raises(oidc.ValidationFailed, match="at least one email domain"):
        oidc.configure(session, org, issuer="https://accounts.google.com", client_id="x", domains=[])
    with pytest.raises(oidc.ValidationFailed, match="not a role in a council"):
        oidc.configure(session, org, issuer="https://accounts.google.com", client_id="x", domains=["a.gov.uk"],
                       first_role="vcs_manager")
    with pytest.raises(oidc.ValidationFailed, match="never the secret itself"):
        oidc.configure(session, org, issuer="https://accounts.google.com", client_id="x", domains=["a.gov.uk"],
                       secret_ref="hunter2-the-secret")


def test_file_secret_reference(tmp_path):
    f = tmp_path / "secret"
    f.write_text("s3cret-value\n")
    assert oidc.read_secret(f"file:{f}") == "s3cret-value"
    with pytest.raises(oidc.SsoFailed, match="missing or empty"):
        oidc.read_secret(f"file:{tmp_path / 'nope'}")


def test_cli_sets_and_shows_without_the_secret(engine, session, monkeypatch, idp):
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    create_organisation(session, "Camden Council", OrgKind.COUNCIL, ons_code="E09000007")
    session.commit()
    runner = CliRunner()
    r = runner.invoke(cli_app, ["admin", "sso", "set", "camden-council", "--issuer",
                                "https://login.microsoftonline.com/0000-tenant/v2.0", "--client-id", "abc-123",
                                "--domain", "camden.gov.uk", "--no-passwords"])
    assert r.exit_code == 0, r.output
    assert "Microsoft Entra ID" in r.output and "env:BOROUGHS_SSO_SECRET_CAMDEN_COUNCIL (not found)" in r.output
    r = runner.invoke(cli_app, ["admin", "sso", "show"])
    assert r.exit_code == 0 and "camden-council: on" in r.output and "passwords off" in r.output
    session.expire_all()
    p = session.scalar(select(SsoProvider))
    assert p.allowed_domains == ["camden.gov.uk"] and p.first_role is None and p.allow_passwords is False
    r = runner.invoke(cli_app, ["admin", "sso", "set", "camden-council", "--issuer", "http://evil.example.com",
                                "--client-id", "x", "--domain", "camden.gov.uk"])
    assert r.exit_code == 1 and "https://" in r.output


def test_membership_role_is_enforced_on_approval(client, session, org):
    p = session.scalar(select(SsoProvider))
    approval = SsoApproval(provider_id=p.id, subject="x", email="x@test-council.gov.uk", name="X", status="pending")
    session.add(approval)
    session.commit()
    with pytest.raises(oidc.ValidationFailed, match="Choose the role"):
        oidc.decide(session, approval.id, approve=True, role="fund_manager")
    session.rollback()
    assert session.scalar(select(Membership)) is None


def test_rotated_keys_are_fetched_again(client, idp):
    from joserfc.jwk import RSAKey

    idp.person = Person("r1", "r1@test-council.gov.uk", "Rotated")
    assert go(client, idp)[0].status_code == 303  # the keys are now cached
    old = idp.key
    idp.key = RSAKey.generate_key(2048, parameters={"kid": "test-key-2"})
    try:
        original = idp.id_token

        def signed_with_new_kid(person, nonce):
            from joserfc import jwt
            token = original(person, nonce)
            claims = jwt.decode(token, idp.key).claims
            return jwt.encode({"alg": "RS256", "kid": "test-key-2"}, claims, idp.key)

        idp.id_token = signed_with_new_kid
        client.cookies.clear()
        r, _ = go(client, idp)
        assert r.status_code == 303, r.text
    finally:
        idp.key = old
        del idp.id_token


@pytest.mark.parametrize(("role", "own", "allowed"), [
    ("council_admin", True, True), ("council_manager", True, False), ("council_officer", True, False),
    ("council_admin", False, False),
])
def test_who_may_approve_a_first_sign_in(client, session, org, role, own, allowed):
    """Role × action × owner for ``org.sso.approve`` through the web: an administrator of the organisation
    approves; its other roles, and administrators of another organisation, are refused."""
    p = session.scalar(select(SsoProvider))
    approval = SsoApproval(provider_id=p.id, subject="w-1", email="waiting@test-council.gov.uk", name="Waiting",
                           status="pending")
    session.add(approval)
    home = org if own else create_organisation(session, "Other Council", OrgKind.COUNCIL, ons_code="E09000001")
    actor = create_user(session, "decider@elsewhere.gov.uk", "Decider", PASSWORD)
    add_membership(session, actor, home, role)
    session.commit()
    assert _password_sign_in(client, "decider@elsewhere.gov.uk").status_code == 303
    page = client.get(f"/admin/organisations/{org.id}/sso")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text).group(1)
    r = client.post(f"/admin/sso/approvals/{approval.id}", data={"csrf_token": token, "decision": "approve",
                                                                "role": "council_officer"}, follow_redirects=False)
    session.expire_all()
    if allowed:
        assert page.status_code == 200 and r.status_code == 303
        assert session.get(SsoApproval, approval.id).status == "approved"
    else:
        assert r.status_code == 403
        assert session.get(SsoApproval, approval.id).status == "pending"


def test_one_address_may_have_only_so_many_sign_ins_waiting(client, idp, session, monkeypatch):
    from boroughs.config import reset_settings

    monkeypatch.setenv("BOROUGHS_SSO_STARTS_PER_ADDRESS", "3")
    reset_settings()
    for _ in range(3):
        assert client.get("/sign-in/sso/test-council", follow_redirects=False).status_code == 303
    refused = client.get("/sign-in/sso/test-council", follow_redirects=False)
    assert refused.status_code == 429 and "Too many sign-ins have been started from your network" in refused.text
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(SsoRequest)) == 3  # the refused one stored nothing
    assert session.scalar(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.action == "sso.sign_in_throttled")) == 1
    for waiting in session.scalars(select(SsoRequest)):  # once they expire, the address may start again
        waiting.expires_at = waiting.created_at
    session.commit()
    assert client.get("/sign-in/sso/test-council", follow_redirects=False).status_code == 303


def _accept(client, path, data=None):
    html = client.get(path).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").text).group(1)
    return html, client.post(path, data={"csrf_token": token, **(data or {})}, follow_redirects=False)


def test_an_invitation_into_a_passwords_off_organisation_goes_to_its_provider(client, idp, session, org):
    from boroughs.core.organisations import invite

    p = session.scalar(select(SsoProvider))
    p.allow_passwords = False
    _, link = invite(session, org, "ngozi.adeyemi@test-council.gov.uk", "Ngozi Adeyemi", "council_officer")
    _, wrong = invite(session, org, "ngozi@gmail.example", "Ngozi Adeyemi", "council_officer")
    session.commit()
    html, r = _accept(client, f"/invitations/{link}")
    assert "Set your password" not in html and 'type="password"' not in html
    assert "Accept and sign in with" in html
    assert r.status_code == 303 and r.headers["location"] == "/sign-in/sso/test-council"
    session.expire_all()
    user = session.scalar(select(User).where(User.email == "ngozi.adeyemi@test-council.gov.uk"))
    assert user is not None and user.password_hash is None  # no password to guess or to reuse
    assert [(m.organisation_id, m.role) for m in user.memberships] == [(org.id, "council_officer")]
    idp.person = Person("oid-ngozi", "ngozi.adeyemi@test-council.gov.uk", "Ngozi Adeyemi")
    back, _ = go(client, idp)
    assert back.status_code == 303 and SESSION_COOKIE in back.cookies  # signed in as the invited officer
    session.expire_all()
    assert session.get(User, user.id).sso_subject == "oid-ngozi"
    client.cookies.clear()
    html, r = _accept(client, f"/invitations/{wrong}")  # an address the provider would never accept
    assert "accepts only addresses at test-council.gov.uk" in html and "<form" not in html.split("<main")[-1]
    assert r.status_code == 400 and "accepts only addresses at test-council.gov.uk" in r.text
    assert session.scalar(select(User).where(User.email == "ngozi@gmail.example")) is None
