"""Issue 7 "Done when" in Chromium: a council officer refers a SYNTHETIC resident from an outreach case to two
services of two VCS organisations; one declines with a reason, the other accepts and records an outcome; the
officer sees both. Every page is checked with axe-core (WCAG 2.2 AA).

Set ``BOROUGHS_SCREENSHOTS=1`` to save screenshots to ``docs/screenshots/`` for the docs.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from boroughs.core.db import session_scope
from boroughs.core.models import Organisation, User

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
LAST = "Okafor-Synthetic"


def _shot(page: Any, name: str) -> None:
    if os.environ.get("BOROUGHS_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"support-referrals-{name}.png"), full_page=True)


@pytest.fixture
def referral_demo(live_server: Any) -> dict[str, int]:
    """Idempotently: the demo services and agreements, a SYNTHETIC Newham resident and an outreach case with
    assessed needs, assigned to the demo officer."""
    from boroughs.support.demo.referrals import seed_demo_referrals
    from boroughs.support.outreach.models import CaseNeed, OutreachCase
    from boroughs.support.records.models import Resident
    from tests.support.referral_factories import resident

    with session_scope(live_server.engine) as db:
        seed_demo_referrals(db)
        newham = db.scalar(select(Organisation).where(Organisation.slug == "newham"))
        officer = db.scalar(select(User).where(User.email == "officer@newham.demo.boroughs.test"))
        assert newham is not None and officer is not None
        r = db.scalar(select(Resident).where(Resident.last_name == LAST))
        if r is None:
            r = resident(db, newham, "Amara", LAST, dob=dt.date(1968, 3, 14), postcode="E15 4AA")
        case = db.scalar(select(OutreachCase).where(OutreachCase.resident_id == r.id))
        if case is None:
            case = OutreachCase(organisation_id=newham.id, resident_id=r.id, status="in_progress", severity="high",
                                priority=90, rule_ids=["demo"], assigned_to_id=officer.id)
            case.needs = [CaseNeed(need="food", level="urgent", detail="No food since benefits stopped"),
                          CaseNeed(need="digital", level="moderate", detail="No device to manage Universal Credit")]
            db.add(case)
            db.flush()
        return {"resident": r.id, "case": case.id}


def _switch(page: Any, sign_in: Any, email: str) -> None:
    page.context.clear_cookies()
    sign_in(page, email)


def test_refer_two_services_decline_and_outcome(page: Any, live_server: Any, sign_in: Any, assert_accessible: Any,
                                                referral_demo: dict[str, int]) -> None:
    url = live_server.url
    rid, case = referral_demo["resident"], referral_demo["case"]
    sign_in(page, "officer@newham.demo.boroughs.test")

    # consent is the lawful basis for Digital Buddies: record it first
    page.goto(f"{url}/support/residents/{rid}/consents")
    expect(page.get_by_text("Synthetic data").first).to_be_visible()
    assert_accessible(page)
    page.get_by_label("What the resident agreed to, in the words used").fill(
        "Hackney Digital Buddies may phone me about a device and help getting online")
    page.get_by_label("By phone").check()
    page.get_by_role("button", name="Record consent").click()
    expect(page.get_by_text("In force")).to_be_visible()
    _shot(page, "consent")

    # from the outreach case: services ranked for the assessed needs
    page.goto(f"{url}/support/cases/{case}/refer")
    assert "/refer?case=" in page.url
    assert page.get_by_label("Food", exact=True).is_checked() and page.get_by_label("Digital access", exact=True).is_checked()
    assert_accessible(page)
    _shot(page, "choose")
    page.get_by_label("Emergency food parcels (demo)", exact=False).check()
    page.get_by_label("Free device and data (demo)", exact=False).check()
    page.get_by_label("Reason for referral", exact=False).fill("Short of food since benefits stopped; no device.")
    page.get_by_role("button", name="Check what will be shared").click()
    expect(page.get_by_role("heading", name="Check what will be shared")).to_be_visible()
    expect(page.get_by_text("Not shared:").first).to_be_visible()
    assert_accessible(page)
    _shot(page, "preview")
    page.get_by_role("button", name="Send 2 referrals").click()
    expect(page.get_by_text("Referrals sent")).to_be_visible()
    assert_accessible(page)

    # Digital Buddies declines with a reason (a reason is required)
    _switch(page, sign_in, "caseworker@digital-buddies.demo.boroughs.test")
    page.goto(f"{url}/support/vcs/referrals")
    assert_accessible(page)
    _shot(page, "inbox")
    page.locator("table a").first.click()
    expect(page.get_by_text("Free device and data (demo)").first).to_be_visible()
    assert page.get_by_text("Amara").is_visible() and not page.get_by_text(LAST).is_visible()  # surname not agreed
    assert_accessible(page)
    page.get_by_role("button", name="Decline referral").click()
    expect(page.get_by_text("Enter the reason you are declining").first).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Reason for declining").fill("No devices left until next month; try the library scheme.")
    page.get_by_role("button", name="Decline referral").click()
    expect(page.get_by_text("Referral declined")).to_be_visible()

    # Eastside accepts, records contact and an outcome
    _switch(page, sign_in, "caseworker@eastside-food.demo.boroughs.test")
    page.goto(f"{url}/support/vcs/referrals")
    page.locator("table a").first.click()
    expect(page.get_by_text(LAST)).to_be_visible()  # the food agreement allows the surname and address
    assert_accessible(page)
    page.get_by_role("button", name="Accept referral").click()
    expect(page.get_by_text("Referral accepted")).to_be_visible()
    page.get_by_label("How you contacted the resident").fill("Phoned; parcel delivered the next morning.")
    page.get_by_role("button", name="Record contact").click()
    page.get_by_label("Help given").check()
    page.get_by_label("Note for the council (optional)").fill("Also signposted to fuel vouchers.")
    page.get_by_role("button", name="Record outcome").click()
    expect(page.get_by_text("Outcome recorded").first).to_be_visible()
    assert_accessible(page)
    _shot(page, "vcs-referral")

    # the officer sees both changes
    _switch(page, sign_in, "officer@newham.demo.boroughs.test")
    page.goto(f"{url}/support/referrals")
    assert page.get_by_text("Declined").first.is_visible() and page.get_by_text("Outcome recorded").first.is_visible()
    expect(page.get_by_text("Updated").first).to_be_visible()
    assert_accessible(page)
    _shot(page, "officer-list")
    page.get_by_role("row").filter(has_text="Free device").get_by_role("link").first.click()
    expect(page.get_by_text("No devices left until next month").first).to_be_visible()
    assert_accessible(page)
    page.goto(f"{url}/support/referrals")
    page.get_by_role("row").filter(has_text="Emergency food").get_by_role("link").first.click()
    expect(page.get_by_text("Help given").first).to_be_visible()
    assert_accessible(page)
    _shot(page, "officer-detail")
    page.goto(f"{url}/support/residents/{rid}/shares")
    expect(page.get_by_text("Hackney Digital Buddies (demo)").first).to_be_visible()
    assert_accessible(page)


def test_directory_agreement_and_report_pages_are_accessible(page: Any, live_server: Any, sign_in: Any,
                                                              assert_accessible: Any,
                                                              referral_demo: dict[str, int]) -> None:
    url = live_server.url
    page.goto(f"{url}/support/directory")
    expect(page.get_by_role("heading", name="Service directory")).to_be_visible()
    assert_accessible(page)
    _shot(page, "directory")
    page.get_by_role("link", name="Emergency food parcels (demo)").click()
    assert_accessible(page)

    sign_in(page, "manager@eastside-food.demo.boroughs.test")
    page.goto(f"{url}/support/directory?referrals=1")
    page.get_by_role("link", name="Fuel vouchers and energy advice (demo)").click()
    page.get_by_role("button", name="Update referral status").click()
    assert_accessible(page)
    page.get_by_label("Yes").check()
    page.get_by_label("How many new referrals you can take this week").fill("12")
    page.get_by_role("button", name="Save referral status").click()
    expect(page.get_by_text("Referral status updated")).to_be_visible()
    page.get_by_role("button", name="Change the listing").click()
    assert_accessible(page)
    page.get_by_label("Who it is for").fill("Newham residents with a prepayment meter, energy debt or fuel poverty.")
    page.get_by_role("button", name="Send for review").click()
    expect(page.get_by_text("sent to council staff for review")).to_be_visible()
    page.goto(f"{url}/support/referrals/report")
    assert_accessible(page)
    _shot(page, "report")

    _switch(page, sign_in, "manager@newham.demo.boroughs.test")
    page.goto(f"{url}/support/directory/review")
    assert_accessible(page)
    _shot(page, "review")
    page.get_by_role("button", name="Approve and publish").first.click()
    page.goto(f"{url}/support/agreements")
    assert_accessible(page)
    page.get_by_role("link", name="DSA-DEMO-2026-02").click()
    expect(page.get_by_text("Article 6(1)(a) consent")).to_be_visible()
    assert_accessible(page)
    _shot(page, "agreement")
    page.get_by_text("Change the needs this purpose covers").click()  # the manager's form, opened
    expect(page.get_by_role("button", name="Save the needs")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{url}/support/agreements/new")
    assert_accessible(page)
    page.get_by_role("button", name="Save agreement").click()
    expect(page.get_by_text("There is a problem").first).to_be_visible()
    assert_accessible(page)
    page.goto(f"{url}/support/referrals/report")
    assert_accessible(page)
    page.goto(f"{url}/support/referrals/start")
    assert_accessible(page)
