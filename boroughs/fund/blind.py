"""Blind review: for a call that hides partnerships from its panel, who the partners are stays hidden
everywhere a panel member can reach (the public list of submitted proposals, the funded projects, the
360Giving grants) until the decisions are published, that is, until the call moves to delivery (issue 17).

The fund's managers and the partners themselves always see their own partnership.
"""

from __future__ import annotations

from typing import Any

from boroughs.core.permissions import can
from boroughs.fund.models import Call, Proposal

DECISIONS_PUBLISHED = ("delivery", "closed")
HIDDEN = "Hidden for blind review until the decisions are published"


def partners_hidden(call: Call) -> bool:
    """True while a blind call's partnerships are secret from the public and the panel."""
    return bool(call.blind_review) and call.phase not in DECISIONS_PUBLISHED


def hidden_from(viewer: Any, proposal: Proposal) -> bool:
    """True when ``viewer`` (None when signed out) may not learn who is in ``proposal``'s partnership."""
    call = proposal.call
    if not partners_hidden(call):
        return False
    if viewer is None:
        return True
    if can(viewer, "fund.moderate", call.fund_body_id):
        return False
    return not any(can(viewer, "fund.proposal.view", p.organisation_id) for p in proposal.partners)
