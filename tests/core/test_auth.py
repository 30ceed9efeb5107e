"""Passwords, sessions and throttling (issue 2)."""

from __future__ import annotations

import datetime as dt

import pytest

from boroughs.config import reset_settings
from boroughs.core import auth
from boroughs.core.db import utcnow
from boroughs.core.errors import ValidationFailed
from boroughs.core.models import OrgKind
from boroughs.core.organisations import add_membership, create_organisation, create_user

GOOD = "plum tractor lantern"


def test_password_rules():
    assert auth.password_problems("short one") == ["Password must be at least 12 characters long"]
    assert any("too common" in p for p in auth.password_problems("password1234"))
    assert any("too common" in p for p in auth.password_problems("Qwertyuiop123"))
    assert auth.password_problems(GOOD) == []
    assert auth.password_problems("amaraokafor-likes-tea", email="amaraokafor@x.org")


def test_hash_is_argon2id_and_verifies():
    h = auth.hash_password(GOOD)
    assert h.startswith("$argon2id$")
    assert auth.verify_password(h, GOOD)
    assert not auth.verify_password(h, GOOD + "x")
    assert not auth.verify_password(None, GOOD)
    with pytest.raises(ValidationFailed, match="at least 12"):
        auth.hash_password("tiny")


@pytest.fixture
def user(session):
    org = create_organisation(session, "Test Council", OrgKind.COUNCIL, ons_code="E09000025")
    u = create_user(session, "Officer@Example.org", "Test Officer", GOOD)
    add_membership(session, u, org, "council_officer")
    session.commit()
    return u


def test_authenticate_is_case_insensitive_on_email(session, user):
    assert auth.authenticate(session, "officer@example.ORG", GOOD, "1.2.3.4").id == user.id


def test_wrong_password_gives_the_same_message_as_unknown_account(session, user):
    with pytest.raises(auth.SignInRefused) as a:
        auth.authenticate(session, "officer@example.org", "wrong password!!", "1.2.3.4")
    with pytest.raises(auth.SignInRefused) as b:
        auth.authenticate(session, "nobody@example.org", "wrong password!!", "1.2.3.4")
    assert str(a.value) == str(b.value) == auth.GENERIC_FAILURE


def test_five_failures_lock_the_account_for_fifteen_minutes(session, user):
    for _ in range(5):
        with pytest.raises(auth.SignInRefused):
            auth.authenticate(session, "officer@example.org", "not the password", "1.2.3.4")
    session.commit()
    with pytest.raises(auth.SignInRefused) as refused:
        auth.authenticate(session, "officer@example.org", GOOD, "1.2.3.4")
    assert str(refused.value) == auth.GENERIC_FAILURE  # says nothing about the lock (issue 11)
    session.refresh(user)
    assert dt.timedelta(minutes=14) < user.locked_until - utcnow() <= dt.timedelta(minutes=15)
    user.locked_until = utcnow() - dt.timedelta(seconds=1)
    session.commit()
    assert auth.authenticate(session, "officer@example.org", GOOD, "1.2.3.4").id == user.id


def test_per_address_limit(session, user, monkeypatch):
    monkeypatch.setenv("BOROUGHS_LOGIN_IP_LIMIT_PER_HOUR", "3")
    reset_settings()  # settings were already read (the audit key) while the user was created
    for i in range(3):
        with pytest.raises(auth.SignInRefused):
            auth.authenticate(session, f"someone{i}@example.org", "not the password", "9.9.9.9")
    with pytest.raises(auth.SignInRefused, match="Too many attempts"):
        auth.authenticate(session, "officer@example.org", GOOD, "9.9.9.9")
    # another address is not affected
    assert auth.authenticate(session, "officer@example.org", GOOD, "8.8.8.8")


def test_sessions_rotate_expire_and_end(session, user):
    t1, s1 = auth.start_session(session, user)
    t2, s2 = auth.start_session(session, user)
    assert t1 != t2 and s1.csrf_token != s2.csrf_token
    assert s1.token_hash != t1  # only the hash is stored
    assert auth.find_session(session, t1).id == s1.id
    s1.expires_at = utcnow() - dt.timedelta(seconds=1)
    session.flush()
    assert auth.find_session(session, t1) is None
    auth.end_session(session, t2)
    assert auth.find_session(session, t2) is None
    assert auth.purge_expired_sessions(session) == 1
