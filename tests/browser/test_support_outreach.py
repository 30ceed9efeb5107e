"""Early-warning pages in Chromium with axe-core: workbench, worklist, case, opt-outs, fairness, evaluation (issue 6)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from boroughs.core.db import session_scope

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
OFFICER = "officer@newham.demo.boroughs.test"
MANAGER = "manager@newham.demo.boroughs.test"


@pytest.fixture(scope="module")
def seeded(live_server):
    from boroughs.support.demo.rules import seed_demo_rules

    with session_scope(live_server.engine) as db:
        seed_demo_rules(db, residents=1500)
    return live_server


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def test_hub_rules_and_workbench(seeded, page, sign_in, assert_accessible):
    sign_in(page, OFFICER)
    page.goto(seeded.url + "/support/early-warning")
    assert "/support/newham/early-warning" in page.url
    assert page.get_by_role("heading", name="Early warning").is_visible()
    assert_accessible(page)
    page.goto(seeded.url + "/support/newham/rules")
    assert "Live" in page.content()
    assert_accessible(page)
    page.get_by_role("button", name="Start a new draft").click()
    page.wait_for_load_state()
    body = page.locator("#body")
    text = body.input_value()
    body.fill(text.replace("rose_by_at_least: 200", "rose_by_at_least: 150", 1))
    page.get_by_label("What changed and why").fill("Lower the council tax threshold")
    page.get_by_role("button", name="Save and preview").click()
    page.wait_for_load_state()
    assert "Preview updated." in page.content()
    assert "Residents each rule would flag" in page.content()
    assert_accessible(page)
    _shot(page, "support-rules-workbench.png")
    # an invalid rule is refused with a clear message, and the draft is kept
    page.locator("#body").fill(text.replace("measure: arrears,", "measure: arears,", 1))
    page.get_by_role("button", name="Send for approval").click()
    page.wait_for_load_state()
    assert "no measure &#39;arears&#39;" in page.content() or "no measure 'arears'" in page.content()
    assert_accessible(page)


def test_manager_worklist_assign_and_case(seeded, page, sign_in, assert_accessible):
    sign_in(page, MANAGER)
    page.goto(seeded.url + "/support/newham/outreach?show=unassigned")
    assert page.get_by_text("synthetic", exact=False).first.is_visible()
    assert_accessible(page)
    boxes = page.locator("input[name=case_ids]")
    if boxes.count():
        boxes.nth(0).check()
        page.get_by_label("Officer", exact=True).select_option(label="Olu Officer")
        page.get_by_role("button", name="Assign selected cases").click()
        page.wait_for_load_state()
        assert "cases assigned" in page.content()
    page.goto(seeded.url + "/support/newham/outreach?show=all")
    _shot(page, "support-outreach-worklist.png")
    page.locator("table[data-testid=worklist] a.govuk-link").first.click()
    page.wait_for_load_state()
    assert "Why this resident was flagged" in page.content()
    assert_accessible(page)


def test_officer_works_a_case(seeded, page, sign_in, assert_accessible):
    from boroughs.core.models import User
    from boroughs.support.outreach.models import OutreachCase

    with session_scope(seeded.engine) as db:
        officer = db.scalar(select(User).where(User.email == OFFICER))
        case = db.scalar(select(OutreachCase).where(OutreachCase.assigned_to_id == officer.id,
                                                    OutreachCase.status != "closed").order_by(OutreachCase.id))
        cid = case.id
    sign_in(page, OFFICER)
    page.goto(seeded.url + "/support/newham/outreach")
    assert_accessible(page)
    page.goto(f"{seeded.url}/support/newham/outreach/cases/{cid}")
    page.get_by_label("Phone").check()
    page.get_by_label("What happened").select_option("reached")
    page.get_by_label("Note (optional)").fill("Spoke about bills")
    page.get_by_role("button", name="Record contact").click()
    page.wait_for_load_state()
    assert "Spoke about bills" in page.content()
    page.get_by_label("Food", exact=True).check()
    page.get_by_role("button", name="Save needs").click()
    page.wait_for_load_state()
    assert "Food (" in page.content()
    page.get_by_label("Add a note").fill("Will call back next week")
    page.get_by_role("button", name="Add note").click()
    page.wait_for_load_state()
    assert "Will call back next week" in page.content()
    assert_accessible(page)
    _shot(page, "support-outreach-case.png")


def test_fairness_evaluation_and_opt_outs(seeded, page, sign_in, assert_accessible):
    sign_in(page, MANAGER)
    page.goto(seeded.url + "/support/newham/fairness")
    assert "Disparity ratio" in page.content()
    assert_accessible(page)
    _shot(page, "support-fairness.png")
    with page.expect_download() as dl:
        page.get_by_role("link", name="Download a draft Algorithmic Transparency Recording Standard record (Markdown)").click()
    assert dl.value.suggested_filename.endswith("atrs-draft.md")
    page.goto(seeded.url + "/support/newham/evaluation")
    assert "Average arrears" in page.content()
    assert_accessible(page)
    _shot(page, "support-evaluation.png")
    page.goto(seeded.url + "/support/newham/opt-outs")
    assert_accessible(page)


def test_other_councils_cannot_see_newham(seeded, page, sign_in):
    sign_in(page, "officer@hackney.demo.boroughs.test")
    response = page.goto(seeded.url + "/support/newham/outreach")
    assert response is not None and response.status == 403


def test_manager_approves_a_submitted_version(seeded, page, sign_in, assert_accessible):
    from boroughs.core.models import Organisation, User
    from boroughs.support.rules import service as rules_service

    with session_scope(seeded.engine) as db:
        org = db.scalar(select(Organisation).where(Organisation.slug == "newham"))
        officer = db.scalar(select(User).where(User.email == OFFICER))
        live = rules_service.live_version(db, org.id)
        v = rules_service.create_draft(db, org.id, officer, note="Same rules, re-approved (browser test)")
        rules_service.submit(db, v, officer)
        vid, live_id = v.id, live.id
    sign_in(page, MANAGER)
    page.goto(f"{seeded.url}/support/newham/rules/{live_id}")
    assert "The rules in plain English" in page.content()
    assert_accessible(page)
    page.goto(f"{seeded.url}/support/newham/rules/{vid}")
    assert_accessible(page)
    page.get_by_role("button", name="Approve and make live").click()
    page.wait_for_load_state()
    assert "Live" in page.content()
    page.goto(seeded.url + "/support/newham/rules")
    assert "Replaced" in page.content()
    assert_accessible(page)
