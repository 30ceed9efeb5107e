"""The admin page of sent messages in real Chromium, checked with axe-core (issue 15)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from boroughs.core import notify
from boroughs.core.notify import FileBackend, Policy

pytestmark = pytest.mark.browser


def test_an_emailed_invitation_shows_as_delivered(page, live_server, sign_in, assert_accessible, tmp_path):
    sign_in(page, "admin@newham.demo.boroughs.test")
    page.goto(live_server.url + "/admin")
    page.get_by_role("link", name="London Borough of Newham").click()
    page.get_by_label("Full name").fill("Mo Messages")
    page.get_by_label("Email address").fill("mo.messages@newham.example")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("We have emailed the person a link")).to_be_visible()
    counts = notify.run_once(live_server.engine, FileBackend(tmp_path), Policy())
    assert counts.delivered >= 1
    page.goto(live_server.url + "/admin")
    page.get_by_role("link", name="Messages sent").click()
    expect(page.get_by_role("heading", name="Messages sent", level=1)).to_be_visible()
    row = page.get_by_role("row").filter(has_text="mo.messages@newham.example")
    expect(row.get_by_text("Delivered")).to_be_visible()
    expect(page.get_by_text("Use this link")).to_have_count(0)  # the message's text is never shown
    assert_accessible(page)
    page.get_by_label("Show").select_option("failed")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("No messages in this state.")).to_be_visible()
    assert_accessible(page)
