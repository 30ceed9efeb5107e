"""Benefit take-up pages in Chromium with axe-core, as a manager and an officer would use them (issue 18)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from boroughs.core.db import session_scope

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
OFFICER = "officer@newham.demo.boroughs.test"
MANAGER = "manager@newham.demo.boroughs.test"
ANALYST = "analyst@newham.demo.boroughs.test"


@pytest.fixture(scope="module")
def seeded(live_server):
    from boroughs.support.demo.rules import seed_demo_rules
    from boroughs.support.entitlements.demo import seed_demo_entitlements

    with session_scope(live_server.engine) as db:
        seed_demo_rules(db, residents=1500)
        seed_demo_entitlements(db)
    return live_server


def test_summary_campaign_and_outcome(seeded, page, sign_in, assert_accessible):
    sign_in(page, MANAGER)
    page.goto(seeded.url + "/support/newham/entitlements")
    expect(page.get_by_role("heading", name="Benefit take-up: who is likely missing out")).to_be_visible()
    expect(page.get_by_test_id("by-ward")).to_be_visible()
    assert "awarded the benefit" in page.content()  # the demo's recorded outcomes
    benefits = page.get_by_test_id("by-benefit").inner_text()  # Pension Credit and housing support, each counted
    assert "Pension Credit" in benefits and ("Housing Benefit" in benefits or "Council Tax Reduction" in benefits)
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "support-entitlements-summary.png"), full_page=True)
    page.get_by_role("link", name="Open the campaign worklist").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("campaign")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Estimated value a year, at least (£)").fill("1000")
    page.get_by_role("button", name="Show households").click()
    page.wait_for_load_state()
    for cell in page.locator("[data-testid=campaign] tbody tr td:nth-child(6)").all_inner_texts():
        assert float(cell.strip("£").replace(",", "")) >= 1000

    sign_in(page, OFFICER)
    page.goto(seeded.url + "/support/newham/entitlements/campaign")
    # the officer opens a case assigned to them with no outcome yet and records a claim
    page.locator("[data-testid=campaign] tbody tr", has_text="Officer").first.get_by_role("link").click()
    page.wait_for_load_state()
    assert "not a decision" in page.get_by_test_id("explanation").inner_text()
    assert_accessible(page)
    page.get_by_label("Awarded", exact=True).check()
    page.get_by_role("button", name="Record outcome").click()
    page.wait_for_load_state()
    expect(page.get_by_text("There is a problem")).to_be_visible()
    assert_accessible(page)
    page.get_by_label(re.compile(r"If awarded")).fill("12.34")
    page.get_by_role("button", name="Record outcome").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Outcome recorded.")).to_be_visible()
    expect(page.get_by_text("£12.34 a week")).to_be_visible()


def test_analyst_sees_the_summary_but_not_names(seeded, page, sign_in):
    sign_in(page, ANALYST)
    page.goto(seeded.url + "/support/newham/entitlements")
    expect(page.get_by_role("heading", name="Benefit take-up: who is likely missing out")).to_be_visible()
    assert page.get_by_role("link", name="Open the campaign worklist").count() == 0
    r = page.goto(seeded.url + "/support/newham/entitlements/campaign")
    assert r is not None and r.status == 403
