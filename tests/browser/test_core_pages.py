"""The home, sign-in, admin and error pages in real Chromium, checked with axe-core (WCAG 2.2 AA)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_home_page_explains_the_three_areas(page, live_server, assert_accessible):
    page.goto(live_server.url + "/")
    assert page.get_by_role("heading", name="Boroughs", level=1).is_visible()
    for area in ("Digital inclusion map", "Preventative support", "Collaborative fund"):
        assert page.get_by_role("link", name=area).is_visible()
    assert_accessible(page)


def test_pages_run_govuk_frontend_under_the_content_security_policy(page, live_server):
    # The page template's inline line marks the body as able to run GOV.UK Frontend; a policy that blocks
    # it leaves every component (error summary, header menu) without its script.
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    for path in ("/", "/sign-in", "/map"):
        page.goto(live_server.url + path)
        page.wait_for_load_state("load")
        assert "govuk-frontend-supported" in (page.locator("body").get_attribute("class") or ""), path
    assert not [p for p in problems if "Content Security Policy" in p or "SupportError" in p], problems


def test_sign_in_page_is_accessible_and_shows_errors(page, live_server, assert_accessible):
    page.goto(live_server.url + "/sign-in")
    assert_accessible(page)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("There is a problem")).to_be_visible()
    expect(page.get_by_role("link", name="Enter your email address")).to_be_visible()
    assert_accessible(page)


def test_admin_can_sign_in_see_orgs_and_invite(page, live_server, sign_in, assert_accessible):
    sign_in(page, "admin@demo.boroughs.test")
    page.goto(live_server.url + "/admin")
    assert page.get_by_role("link", name="London Borough of Newham").is_visible()
    assert_accessible(page)
    page.get_by_role("link", name="London Borough of Newham").click()
    expect(page.get_by_role("heading", name="London Borough of Newham")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Full name").fill("Ivy Invitee")
    page.get_by_label("Email address").fill("ivy@newham.example")
    page.get_by_role("button", name="Send invitation").click()
    link = page.locator("code").inner_text()
    assert re.search(r"/invitations/[\w-]+$", link)
    page.goto(live_server.url + "/admin/audit")
    assert page.locator("table").get_by_text("member.invite").first.is_visible()  # (the filter lists it too)
    assert page.get_by_text("The audit trail is intact").is_visible()
    assert_accessible(page)


def test_error_pages_are_friendly_and_accessible(page, live_server, sign_in, assert_accessible):
    response = page.goto(live_server.url + "/no-such-page")
    assert response is not None and response.status == 404
    assert page.get_by_role("heading", name="Page not found").is_visible()
    assert_accessible(page)
    sign_in(page, "caseworker@eastside-food.demo.boroughs.test")
    response = page.goto(live_server.url + "/admin")
    assert response is not None and response.status == 403
    assert page.get_by_role("heading", name="You cannot see this page").is_visible()
    assert_accessible(page)


def test_keyboard_reaches_sign_in_controls(page, live_server):
    page.goto(live_server.url + "/sign-in")
    seen = set()
    for _ in range(15):
        page.keyboard.press("Tab")
        seen.add(page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()"))
    assert {"email", "password"} <= seen
    assert "Sign in" in seen


def test_support_front_page_is_accessible(page, live_server, sign_in, assert_accessible):
    page.goto(live_server.url + "/support")
    assert page.get_by_role("heading", name="Preventative support").is_visible()
    assert_accessible(page)
    sign_in(page, "officer@newham.demo.boroughs.test")
    page.goto(live_server.url + "/support")
    assert page.get_by_role("link", name="Outreach worklist").is_visible()
    assert_accessible(page)
