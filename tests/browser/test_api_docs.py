"""The API documentation page renders in real Chromium from this server alone (issue 15: nothing from a CDN)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_api_docs_render_with_no_request_leaving_this_machine(page, live_server, assert_accessible):
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(live_server.url + "/api/docs")
    # Swagger UI has drawn the operations from the OpenAPI document
    expect(page.locator(".opblock-tag").first).to_be_visible(timeout=15000)
    expect(page.get_by_text("/api/v1/geography/boroughs").first).to_be_visible()
    assert page.locator("html").get_attribute("lang") == "en"
    hosts = {urlsplit(u).hostname for u in requested if not u.startswith(("data:", "blob:"))}
    assert hosts == {"127.0.0.1"}, f"requests left the machine: {sorted(h for h in hosts if h != '127.0.0.1')}"
    assert any(u.endswith("/static/vendor/swagger-ui/swagger-ui-bundle.js") for u in requested)
    assert_accessible(page)
    # an operation opened to read its parameters and responses is accessible too
    page.locator(".opblock-summary-control").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    assert_accessible(page)
