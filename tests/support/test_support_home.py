"""/support: each person sees links to exactly the parts of the area their roles open, and every link works."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from boroughs.app import create_app
from boroughs.core import geography
from boroughs.core.auth import DEMO_PASSWORD
from boroughs.core.demo import seed_core


@pytest.fixture
def app(engine, session, data_dir):
    geography.load_into(session, data_dir)
    seed_core(session)
    session.commit()
    return create_app(engine)


def _links(app, email=None):
    c = TestClient(app)
    if email:
        html = c.get("/sign-in").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        c.post("/sign-in", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token})
    r = c.get("/support")
    assert r.status_code == 200
    return c, re.findall(r'font-weight-bold" href="([^"]+)"', r.text)


def test_signed_out_sees_the_directory_and_sign_in(app):
    c, links = _links(app)
    assert links == []
    assert "/support/directory" in c.get("/support").text


@pytest.mark.parametrize(("email", "expected", "absent"), [
    ("officer@newham.demo.boroughs.test", {"/support/newham/outreach", "/support/newham/residents", "/support/referrals"},
     {"/support/newham/review", "/support/vcs/referrals", "/support/hackney/outreach"}),
    ("analyst@newham.demo.boroughs.test", {"/support/newham/review", "/support/newham/fairness"},
     {"/support/newham/residents", "/support/newham/outreach"}),
    ("caseworker@eastside-food.demo.boroughs.test", {"/support/vcs/referrals"},
     {"/support/newham/outreach", "/support/referrals"}),
])
def test_links_follow_roles_and_all_work(app, email, expected, absent):
    c, links = _links(app, email)
    assert expected <= set(links)
    assert not absent & set(links)
    for href in links:
        assert c.get(href).status_code == 200, href
