"""Issue 17 in Chromium, checked with axe-core on every page: the fund manager sets up and changes a call
(every form error listed and linked to its field), and a blind call as the panel member meets it (no
assess page before being assigned; partners hidden on the public list until decisions are published).
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from boroughs.core.db import session_scope
from boroughs.core.models import Organisation, User
from boroughs.fund import calls, partnership, proposals, submission
from boroughs.fund.blind import HIDDEN
from boroughs.fund.demo import seed_demo

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parents[2] / "docs" / "fund"

FUND = "fund@loti.demo.boroughs.test"
PANEL1 = "panel1@loti.demo.boroughs.test"
FORM = {"summary": "Help residents get online.", "problem": "P", "who_affected": "W", "outcomes": "O",
        "approach": "A", "replication_plan": "R",
        "measures": [{"outcome": "More online", "name": "Residents helped", "unit": "people", "baseline": 0,
                      "target": 100}]}


def _shot(page: Any, name: str, tmp_path: Path) -> None:
    """This test's screenshots: into docs/fund/ when BOROUGHS_UPDATE_SCREENSHOTS=1, else a temporary folder."""
    folder = DOCS if os.environ.get("BOROUGHS_UPDATE_SCREENSHOTS") == "1" else tmp_path
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_the_fund_manager_sets_up_and_changes_a_call(live_server: Any, page: Any, sign_in: Any,
                                                     assert_accessible: Any, tmp_path: Path) -> None:
    base = live_server.url
    slug = f"edit-{uuid.uuid4().hex[:6]}"
    sign_in(page, FUND)
    page.goto(base + "/fund/calls/new")
    page.get_by_label("Short name for the web address").fill("Not A Slug")
    page.get_by_label("Total budget").fill("lots")
    page.get_by_role("button", name="Save and continue").click()
    summary = page.locator(".govuk-error-summary")
    links = summary.locator("a")
    assert links.count() == 3  # title, short name, budget: every problem, not just the first
    assert "Enter a title for the call." in summary.inner_text()
    assert_accessible(page)
    _shot(page, "call-errors", tmp_path)
    links.nth(2).click()  # each links to its field
    assert page.evaluate("document.activeElement.id") == "total_budget"

    page.get_by_label("Title", exact=True).fill("Call to change")
    page.get_by_label("Short name for the web address").fill(slug)
    page.get_by_label("Total budget").fill("100000")
    page.get_by_label("Deadline").fill("2099-01-31")
    page.get_by_role("button", name="Save and continue").click()
    assert page.locator(".govuk-error-summary").count() == 0
    page.get_by_label("Strand title").fill("Data")
    page.get_by_label("Short name", exact=True).fill("data")
    page.get_by_label("Strand budget").fill("100000")
    page.get_by_label("Largest single award").fill("50000")
    page.get_by_role("button", name="Add strand").click()
    # a second strand when the total is used up: the message says what to do, never "at most £0"
    page.get_by_label("Strand title").fill("Services")
    page.get_by_label("Short name", exact=True).fill("services")
    page.get_by_label("Strand budget").fill("20000")
    page.get_by_label("Largest single award").fill("30000")
    page.get_by_role("button", name="Add strand").click()
    text = page.locator(".govuk-error-summary").inner_text()
    assert "nothing left for this strand" in text and "£0" not in text
    assert "cannot be more than the strand's budget" in text  # both strand problems are listed
    assert_accessible(page)
    page.get_by_label("Criterion", exact=True).fill("Outcomes")
    page.get_by_label("Weight").fill("2")
    page.get_by_role("button", name="Add criterion").click()

    page.get_by_role("link", name="Change the call, its strands and criteria").click()
    assert_accessible(page)
    page.get_by_label("Total budget").fill("150000")
    page.get_by_label("Title", exact=True).fill("Call, changed")
    page.get_by_role("button", name="Save the call's details").click()
    assert "The call's details were saved." in page.content()
    page.get_by_role("link", name=re.compile("Change the Data strand")).click()
    assert_accessible(page)
    page.get_by_label("Strand budget").fill("120000")
    page.get_by_label("Largest single award").fill("60000")
    page.get_by_role("button", name="Save the strand").click()
    assert "The strand was saved." in page.content()
    assert "£120,000" in page.locator("table").first.inner_text()
    _shot(page, "call-edit", tmp_path)
    page.get_by_role("link", name=re.compile("Change the criterion Outcomes")).click()
    page.get_by_label("Weight").fill("500")
    page.get_by_role("button", name="Save the criterion").click()
    assert "whole number from 1 to 100" in page.locator(".govuk-error-summary").inner_text()
    assert_accessible(page)
    page.get_by_label("Weight").fill("3")
    page.get_by_role("button", name="Save the criterion").click()
    page.get_by_role("button", name=re.compile("Remove the criterion Outcomes")).click()
    assert "The criterion was removed." in page.content()
    assert_accessible(page)
    with session_scope(live_server.engine) as db:
        call = calls.get_call(db, slug)
        assert (call.title, call.total_budget, call.strands[0].budget, call.criteria) == (
            "Call, changed", 150_000, 120_000, [])


def _blind_proposal(engine: Any) -> tuple[str, int, str]:
    """A blind call in assessment with one submitted proposal from Newham and Hackney."""
    slug = f"blind-{uuid.uuid4().hex[:6]}"
    with session_scope(engine) as db:
        seed_demo(db)
        user = {e: db.execute(select(User).where(User.email == e)).scalar_one() for e in (
            FUND, "officer@newham.demo.boroughs.test", "manager@newham.demo.boroughs.test",
            "manager@hackney.demo.boroughs.test")}
        org = {s: db.execute(select(Organisation).where(Organisation.slug == s)).scalar_one()
               for s in ("loti", "newham", "hackney")}
        import datetime as dt

        from boroughs.core.db import utcnow

        call = calls.create_call(db, user[FUND], fund_body_id=org["loti"].id, slug=slug, title="Blind call",
                                 total_budget=100_000, deadline=utcnow() + dt.timedelta(days=5), blind_review=True)
        calls.add_strand(db, user[FUND], call, slug="data", title="Data", budget=100_000, award_limit=50_000)
        calls.add_criterion(db, user[FUND], call, title="Outcomes", weight=1)
        calls.transition_call(db, user[FUND], call, "open")
        officer = user["officer@newham.demo.boroughs.test"]
        title = f"Secret partnership {slug[-6:]}"
        p = proposals.create_proposal(db, officer, call, lead_org_id=org["newham"].id, title=title,
                                      strand_id=call.strands[0].id)
        proposals.save_draft(db, officer, p, dict(FORM, amount_requested=40_000), base_version=p.version)
        partnership.update_partner(db, officer, p, p.partners[0].id, budget=20_000)
        partnership.add_partner(db, officer, p, organisation_id=org["hackney"].id, kind="partner", budget=20_000)
        submission.sign_off(db, user["manager@newham.demo.boroughs.test"], p, org["newham"].id)
        submission.sign_off(db, user["manager@hackney.demo.boroughs.test"], p, org["hackney"].id)
        submission.submit(db, user["manager@newham.demo.boroughs.test"], p)
        calls.transition_call(db, user[FUND], call, "close_submissions")
        submission.transition(db, user[FUND], p, "start_assessment")
        return slug, p.id, title


def test_a_blind_call_as_the_panel_meets_it(live_server: Any, page: Any, sign_in: Any,
                                            assert_accessible: Any, tmp_path: Path) -> None:
    base = live_server.url
    slug, pid, title = _blind_proposal(live_server.engine)

    sign_in(page, PANEL1)
    page.goto(f"{base}/fund/calls/{slug}/proposals")
    card = page.locator(".govuk-summary-card", has_text=title)
    assert HIDDEN in card.inner_text() and "Hackney" not in card.inner_text()
    assert_accessible(page)
    page.goto(f"{base}/fund/proposals/{pid}/assess")
    assert "have not been assigned this proposal" in page.content() and title not in page.content()
    assert_accessible(page)

    page.context.clear_cookies()
    sign_in(page, FUND)
    page.goto(f"{base}/fund/calls/{slug}/manage")
    assert_accessible(page)
    page.get_by_label("Priya Panel").check()
    page.get_by_role("button", name=re.compile("Assign the chosen members")).click()
    assert "The panel was assigned" in page.content()
    assert "Priya Panel" in page.locator(".govuk-summary-card", has_text=title).inner_text()
    assert "Nina Panel (Newham)</strong> recused (automatic)" in page.content()
    assert_accessible(page)
    _shot(page, "panel-choose", tmp_path)

    page.context.clear_cookies()
    sign_in(page, PANEL1)
    page.goto(f"{base}/fund/assess")
    page.get_by_role("link", name=re.compile(title)).click()
    assert "Hidden for blind review" in page.content() and "Hackney" not in page.content()
    assert_accessible(page)
    page.goto(f"{base}/fund/calls/{slug}/proposals")
    assert "London Borough of Hackney" not in page.content()
