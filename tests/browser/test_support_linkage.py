"""Resident view and clerical review (issue 5) in real Chromium, checked with axe-core (WCAG 2.2 AA)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from boroughs.core.db import session_scope
from boroughs.core.models import Organisation
from boroughs.support.linkage.residents import link_council
from boroughs.support.records.ingest import import_dataset
from boroughs.support.records.models import LinkRun, ResidentRecord
from boroughs.support.records.schemas import SCHEMAS
from boroughs.support.synth.population import synthesise

pytestmark = pytest.mark.browser


@pytest.fixture
def linked(live_server) -> int:  # type: ignore[no-untyped-def]
    """Newham with a small SYNTHETIC population imported and linked (once per server)."""
    with session_scope(live_server.engine) as s:
        newham = s.execute(select(Organisation).where(Organisation.slug == "newham")).scalar_one()
        if s.execute(select(LinkRun).where(LinkRun.organisation_id == newham.id)).first() is None:
            with tempfile.TemporaryDirectory() as tmp:
                d = Path(tmp)
                synthesise(300, 12, d)
                for key, schema in SCHEMAS.items():
                    hist = d / f"SYNTHETIC_{key}_history.csv"
                    import_dataset(s, newham.id, key, d / f"SYNTHETIC_{key}.csv",
                                   hist if schema.measures else None, accept_valid=True)
            link_council(s, newham.id)
        return int(s.execute(select(ResidentRecord.resident_id).group_by(ResidentRecord.resident_id)
                             .order_by(func.count().desc(), ResidentRecord.resident_id).limit(1)).scalar_one())


def test_resident_view_asks_purpose_then_shows_records(page, live_server, sign_in, assert_accessible, linked):  # type: ignore[no-untyped-def]
    sign_in(page, "manager@newham.demo.boroughs.test")
    page.goto(f"{live_server.url}/support/newham/residents/{linked}")
    assert page.get_by_role("heading", name="Why do you need to see this resident?").is_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("There is a problem")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Outreach: preparing or following up contact with the resident").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Linked records")).to_be_visible()
    assert page.get_by_role("heading", name="Timeline").is_visible()
    assert page.get_by_text("Synthetic data").first.is_visible()
    assert_accessible(page)


def test_find_and_review_pages(page, live_server, sign_in, assert_accessible, linked):  # type: ignore[no-untyped-def]
    sign_in(page, "manager@newham.demo.boroughs.test")
    page.goto(f"{live_server.url}/support/newham/residents")
    page.get_by_label("Name, postcode or record reference").fill("an")
    page.get_by_label("Outreach: preparing or following up contact with the resident").check()
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("found").first).to_be_visible()
    assert_accessible(page)
    page.goto(f"{live_server.url}/support/newham/review")
    assert page.get_by_role("heading", name="Review uncertain record pairs").is_visible()
    assert_accessible(page)
    if page.get_by_text("Are these the same person?").count():
        page.get_by_label("No, different people").first.check()
        with page.expect_navigation():  # the same page comes back, so wait for it rather than the heading
            page.get_by_role("button", name="Save decision on pair 1", exact=True).click()  # not "pair 10"
        expect(page.get_by_role("heading", name="Review uncertain record pairs")).to_be_visible()
        assert_accessible(page)


def test_linkage_settings_page(page, live_server, sign_in, assert_accessible, linked):  # type: ignore[no-untyped-def]
    """Issue 14: the analyst sees the expected errors of a choice before saving it."""
    sign_in(page, "analyst@newham.demo.boroughs.test")
    page.goto(f"{live_server.url}/support/newham/linkage/settings")
    assert page.get_by_role("heading", name="Linkage threshold and review band").is_visible()
    assert_accessible(page)
    page.get_by_label("Threshold (match probability, between 0 and 1)").fill("0.8")
    page.get_by_role("button", name="Show the expected errors").click()
    expect(page.get_by_role("heading", name="Your choice")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Save these settings").click()
    expect(page.get_by_text("Settings saved")).to_be_visible()
    assert_accessible(page)
