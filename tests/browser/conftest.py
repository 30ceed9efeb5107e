"""Browser tests: a live Boroughs server on a fresh SQLite database with the demo organisations and
accounts, driven by Playwright through Debian's Chromium (``/usr/bin/chromium``), checked with axe-core.

Fixtures for every area:
- ``live_server``: ``.url``, ``.engine``; the core demo (organisations, accounts) is loaded.
- ``page``: a Playwright page (pytest-playwright), using Debian's Chromium.
- ``sign_in(page, email)``: signs a demo account in (password ``DEMO_PASSWORD``).
- ``assert_accessible(page)``: runs axe-core for WCAG 2.2 A/AA and fails listing every violation.

When ``CI=true`` a missing Chromium is a failure, not a skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine

from boroughs.core.auth import DEMO_PASSWORD
from boroughs.core.db import make_engine, session_scope
from boroughs.core.demo import seed_core
from boroughs.core.migrate import upgrade
from tests.conftest import skip_or_fail

CHROMIUM = os.environ.get("BOROUGHS_CHROMIUM", "/usr/bin/chromium")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        skip_or_fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--use-angle=swiftshader",
                 "--enable-unsafe-swiftshader"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}, "locale": "en-GB"}


@dataclass
class LiveServer:
    url: str
    engine: Engine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Iterator[LiveServer]:
    from boroughs.app import create_app

    os.environ["BOROUGHS_DEMO_MODE"] = "true"
    db_path = tmp_path_factory.mktemp("live") / "boroughs.db"
    engine = make_engine(f"sqlite:///{db_path}")
    upgrade(engine)
    with session_scope(engine) as db:
        seed_core(db)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(engine), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        raise RuntimeError("the live server did not start")
    yield LiveServer(url, engine)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def sign_in(live_server: LiveServer) -> Callable[..., None]:
    def _sign_in(page: Any, email: str, password: str = DEMO_PASSWORD) -> None:
        page.goto(live_server.url + "/sign-in")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill(password)
        with page.expect_navigation():  # success redirects, failure re-renders: a navigation either way
            page.get_by_role("button", name="Sign in").click()
        assert "/sign-in" not in page.url, f"sign-in failed for {email}: {page.content()[:500]}"

    return _sign_in


def wait_until(page: Any, expression: str, timeout: float = 30_000) -> None:
    """Like ``page.wait_for_function``, which the pages' Content-Security-Policy (no ``eval``) refuses:
    poll ``page.evaluate`` (a DevTools call, which the policy does not govern) instead."""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout / 1000:.0f} s waiting for {expression}")
        page.wait_for_timeout(50)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    return list(results.response["violations"])


@pytest.fixture
def assert_accessible() -> Callable[[Any], None]:
    def _check(page: Any) -> None:
        violations = axe_violations(page)
        report = "\n".join(
            f"- {v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:5])
            for v in violations
        )
        assert not violations, f"axe-core found WCAG 2.2 AA violations on {page.url}:\n{report}"

    return _check
