"""Issue 17 in Chromium with axe-core: an officer builds a rule with the rule builder (the live check in the
self-hosted JavaScript writes the YAML beside the form); a resident raises a concern through the public form
(no sign-in); a VCS caseworker raises one signed in; a council officer works it from the queue; the case
page shows the referral outcomes the demo seeded."""

from __future__ import annotations

from pathlib import Path

import pytest

from boroughs.core.db import session_scope
from tests.browser.conftest import wait_until

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
OFFICER = "officer@newham.demo.boroughs.test"
CASEWORKER = "caseworker@eastside-food.demo.boroughs.test"


@pytest.fixture(scope="module")
def seeded(live_server):
    from boroughs.support.demo.activity import seed_demo_activity
    from boroughs.support.demo.referrals import seed_demo_referrals
    from boroughs.support.demo.rules import seed_demo_rules

    with session_scope(live_server.engine) as db:
        seed_demo_rules(db, residents=1500)
        seed_demo_referrals(db)
        done = seed_demo_activity(db)
    with session_scope(live_server.engine) as db:
        again = seed_demo_activity(db)
    assert again == {"referrals": 0, "outcomes": 0, "concerns": 0}  # idempotent
    live_server.activity = done
    return live_server


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def test_officer_builds_a_rule_with_the_rule_builder(seeded, page, sign_in, assert_accessible):
    sign_in(page, OFFICER)
    page.goto(seeded.url + "/support/newham/rules")
    page.get_by_role("button", name="Start a new draft").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Add a rule with the rule builder").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="rule language reference").is_visible()
    assert_accessible(page)
    page.get_by_label("Rule id").fill("rent-arrears-rising-fast")
    page.get_by_label("Title").fill("Rent arrears rising fast")
    page.get_by_label("High").check()
    row = page.locator("fieldset", has_text="Condition 1")
    row.get_by_label("Signal").select_option(label="Rent arrears (rent)")
    row.get_by_label("Comparison").select_option(label="rose by at least")
    row.get_by_label("Window in days").fill("60")
    row.get_by_label("Threshold").fill("300")
    # the live check writes the YAML as the officer types (no button pressed)
    wait_until(page, "document.getElementById('rule-yaml').textContent.includes('rose_by_at_least: 300')")
    assert "The rule is valid." in page.locator("#rule-check").inner_text()
    # a protected characteristic asks for a justification, live
    row2 = page.locator("fieldset", has_text="Condition 2")
    row2.get_by_label("Signal").select_option(label="Resident's age (years)")
    row2.get_by_label("Comparison").select_option(label="is at least")
    row2.get_by_label("Threshold").fill("70")
    wait_until(page, "document.getElementById('rule-check').textContent.includes('justification')")
    assert_accessible(page)
    _shot(page, "support-rule-builder.png")
    page.get_by_role("button", name="Add the rule to the draft").click()
    page.wait_for_load_state()
    assert page.locator(".govuk-error-summary").is_visible()  # the server refuses it without a justification
    assert_accessible(page)
    page.get_by_label("Justification (needed if the rule uses a protected characteristic)").fill(
        "Older tenants in arrears are at particular risk of losing their home.")
    page.get_by_role("button", name="Add the rule to the draft").click()
    page.wait_for_load_state()
    assert "/builder" not in page.url
    assert page.get_by_role("heading", name="Rent arrears rising fast").is_visible()
    assert "Protected characteristic" in page.content()
    assert_accessible(page)


def test_a_resident_raises_a_concern_without_signing_in(seeded, page, assert_accessible):
    page.goto(seeded.url + "/raise-a-concern")
    assert_accessible(page)
    page.get_by_role("button", name="Send the concern").click()
    page.wait_for_load_state()
    assert page.locator(".govuk-error-summary").is_visible()
    assert_accessible(page)
    page.get_by_label("Which council area does the person live in?").select_option(label="London Borough of Newham")
    page.get_by_label("Someone else").check()
    page.get_by_label("Full name").fill("Ada Synthetic")
    page.get_by_label("Postcode").fill("E15 1AA")
    page.get_by_label("What is the concern mainly about?").select_option(label="Isolation")
    page.get_by_label("What is happening?").fill("She has not been out for weeks (SYNTHETIC test).")
    page.get_by_label("Your name").fill("A Neighbour")
    page.locator("fieldset", has_text="Does the person know").get_by_label("No").check()
    page.wait_for_timeout(3200)  # a person takes longer than the form's time check to fill it in
    page.get_by_role("button", name="Send the concern").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Concern sent").is_visible()
    assert "C-" in page.locator(".govuk-panel").inner_text()
    assert_accessible(page)


def test_a_caseworker_raises_a_concern_and_an_officer_works_it(seeded, page, sign_in, assert_accessible):
    sign_in(page, CASEWORKER)
    page.goto(seeded.url + "/support/concerns/new")
    assert_accessible(page)
    page.get_by_label("Which council area does the person live in?").select_option(label="London Borough of Newham")
    page.get_by_label("Full name").fill("Bo Synthetic")
    page.get_by_label("Address", exact=True).fill("12 Synthetic Street")
    page.get_by_label("What is the concern mainly about?").select_option(label="Fuel poverty")
    page.get_by_label("What is happening?").fill("No gas on the prepayment meter (SYNTHETIC test).")
    page.get_by_role("button", name="Send the concern").click()
    page.wait_for_load_state()
    assert "Concern sent to the council" in page.content()
    assert_accessible(page)
    sign_in(page, OFFICER)
    page.goto(seeded.url + "/support/newham/concerns")
    assert "Bo Synthetic" in page.content()
    assert seeded.activity["concerns"] == 0 or "synthetic" in page.content()
    assert_accessible(page)
    _shot(page, "support-concern-queue.png")
    page.get_by_role("row", name="Bo Synthetic").get_by_role("link").click()
    page.wait_for_load_state()
    page.get_by_label("Being looked at").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert "Being looked at" in page.content()
    assert_accessible(page)


def test_the_case_page_shows_contact_details_and_referral_outcomes(seeded, page, sign_in, assert_accessible):
    if not seeded.activity["outcomes"]:
        pytest.fail(f"the demo seeded no referral outcomes: {seeded.activity}")
    from sqlalchemy import select

    from boroughs.support.referrals.models import Referral

    with session_scope(seeded.engine) as db:
        case_id = db.scalar(select(Referral.outreach_case_id).where(Referral.outcome.is_not(None)).limit(1))
    sign_in(page, OFFICER)
    page.goto(f"{seeded.url}/support/newham/outreach/cases/{case_id}")
    assert "Referrals and what the partners reported" in page.content()
    assert "SYNTHETIC demo" in page.content()
    assert page.get_by_role("term").filter(has_text="Phone").is_visible()
    assert_accessible(page)
    # the empty contact form keeps the officer on the case, with an error summary
    page.get_by_role("button", name="Record contact").click()
    page.wait_for_load_state()
    assert page.locator(".govuk-error-summary").is_visible() and f"Outreach case {case_id}" in page.content()
    assert_accessible(page)
