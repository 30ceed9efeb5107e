"""Signing in through the real sign-in form with an in-process client, as the web tests do."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from boroughs.core.auth import DEMO_PASSWORD

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: TestClient, path: str = "/sign-in") -> str:
    """The CSRF token of the form on the page at ``path``."""
    found = _TOKEN.search(client.get(path).text)
    assert found, path
    return found.group(1)


def sign_in_as(client: TestClient, email: str, *, then: str | None = None) -> str | None:
    """Sign in as ``email`` (the demo password) with fresh cookies; with ``then``, the CSRF token of that page."""
    client.cookies.clear()
    r = client.post("/sign-in", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": csrf_token(client),
                                      "next": "/"}, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    return csrf_token(client, then) if then else None
