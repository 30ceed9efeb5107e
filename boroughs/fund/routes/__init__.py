"""The fund's pages and JSON API, one module a stage: ``calls`` (the home page, a call, starting a
proposal, the calls API), ``call_edit`` (setting up and changing a call), ``proposals`` (the proposal, its
form, partnership and sign-off), ``panel`` (managing the proposals, the panel's scores, moderation),
``decisions``, ``projects`` (funded projects and the open registers) and ``publishing`` (the grants data
and publishing it); what they share is in ``_common``.

Every page checks permissions on the server through the services (which call
``boroughs.core.permissions``); the templates only hide buttons people could not use anyway. A form that
breaks a rule is shown again with the reason, and nothing from that request is kept.
"""

from __future__ import annotations

from fastapi import APIRouter

from boroughs.fund.routes import call_edit, calls, decisions, panel, projects, proposals, publishing

router = APIRouter()
NAV = [{"text": "Fund", "href": "/fund"}]

# ``calls`` first: its /fund/calls/new comes before /fund/calls/{slug}.
for _stage in (calls, proposals, panel, decisions, projects, publishing, call_edit):
    router.include_router(_stage.router)
