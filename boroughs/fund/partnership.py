"""A proposal's partnership: partner councils, VCS partners and interested boroughs, with their roles,
commitments (officer days, match funding) and shares of the budget. Every change is a new version of the
proposal, so partners must sign it off again."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from boroughs.core.errors import NotFound, PermissionDenied, ValidationFailed
from boroughs.core.models import OrgKind
from boroughs.core.permissions import can
from boroughs.fund._common import check_amount, get_org, log
from boroughs.fund.models import Partner, Proposal
from boroughs.fund.proposals import PARTNER_KINDS, bump, org_ids, require_draft


def add_partner(
    session: Session,
    user: Any,
    proposal: Proposal,
    *,
    organisation_id: int,
    kind: str,
    role: str = "",
    officer_days: int | str = 0,
    match_funding: int | str = 0,
    budget: int | str = 0,
    budget_purpose: str = "",
) -> Partner:
    """Add a partner council, a VCS partner or an interested borough."""
    _require_partners(user, proposal)
    require_draft(proposal)
    if kind not in PARTNER_KINDS or kind == "lead":
        raise ValidationFailed("A partner must be a partner council, a VCS partner or an interested borough.")
    org = get_org(session, organisation_id)
    if kind in ("partner", "interested") and org.kind != OrgKind.COUNCIL:
        raise ValidationFailed(f"{org.name} is not a council: add it as a VCS partner instead.")
    if kind == "vcs" and org.kind != OrgKind.VCS:
        raise ValidationFailed(f"{org.name} is not a voluntary or community sector organisation.")
    if organisation_id in org_ids(proposal):
        raise ValidationFailed(f"{org.name} is already in this partnership.")
    commitments = _commitments(kind, officer_days, match_funding, budget)
    partner = Partner(proposal=proposal, organisation_id=organisation_id, kind=kind, role=role.strip(),
                      budget_purpose=budget_purpose.strip(), position=len(proposal.partners), **commitments)
    session.add(partner)
    session.flush()
    bump(session, user, proposal, ["partners"], autosave=False)
    log(session, "fund.partner.add", user, proposal.lead_org_id, proposal, organisation_id=organisation_id,
        kind=kind)
    return partner


def _commitments(kind: str, officer_days: Any, match_funding: Any, budget: Any) -> dict[str, int]:
    out = {
        "officer_days": check_amount(officer_days or 0, "Officer days", allow_zero=True),
        "match_funding": check_amount(match_funding or 0, "Match funding", allow_zero=True),
        "budget": check_amount(budget or 0, "The partner's share of the budget", allow_zero=True),
    }
    if kind == "interested" and (out["budget"] or out["match_funding"] or out["officer_days"]):
        raise ValidationFailed("An interested borough has no budget or commitments: add it as a partner instead.")
    return out


def _require_partners(user: Any, proposal: Proposal) -> None:
    if not any(can(user, "fund.proposal.partners", o) for o in org_ids(proposal, ("lead", "partner"))):
        raise PermissionDenied("Only officers of the partner councils can change the partnership.")


def update_partner(session: Session, user: Any, proposal: Proposal, partner_id: int, **fields: Any) -> Partner:
    """Change a partner's role, commitments or budget share. Partners may change their own; the lead
    council may change anyone's."""
    require_draft(proposal)
    partner = next((p for p in proposal.partners if p.id == partner_id), None)
    if partner is None:
        raise NotFound("That organisation is not in this partnership.")
    own = can(user, "fund.proposal.edit", partner.organisation_id)
    lead = can(user, "fund.proposal.partners", proposal.lead_org_id)
    if not (own or lead):
        raise PermissionDenied("You can change your own organisation's commitments, or anyone's if you are "
                               "in the lead council.")
    allowed = {"role", "officer_days", "match_funding", "budget", "budget_purpose"}
    if set(fields) - allowed:
        raise ValidationFailed(f"Only these can be changed: {', '.join(sorted(allowed))}.")
    merged = {
        "officer_days": fields.get("officer_days", partner.officer_days),
        "match_funding": fields.get("match_funding", partner.match_funding),
        "budget": fields.get("budget", partner.budget),
    }
    values = _commitments(partner.kind, **merged)
    before = (partner.role, partner.budget_purpose, partner.officer_days, partner.match_funding, partner.budget)
    partner.role = str(fields.get("role", partner.role)).strip()
    partner.budget_purpose = str(fields.get("budget_purpose", partner.budget_purpose)).strip()
    for k, v in values.items():
        setattr(partner, k, v)
    after = (partner.role, partner.budget_purpose, partner.officer_days, partner.match_funding, partner.budget)
    if before != after:
        bump(session, user, proposal, ["partners"], autosave=False)
        log(session, "fund.partner.update", user, proposal.lead_org_id, proposal,
            organisation_id=partner.organisation_id)
    return partner


def remove_partner(session: Session, user: Any, proposal: Proposal, partner_id: int) -> None:
    _require_partners(user, proposal)
    require_draft(proposal)
    partner = next((p for p in proposal.partners if p.id == partner_id), None)
    if partner is None:
        raise NotFound("That organisation is not in this partnership.")
    if partner.kind == "lead":
        raise ValidationFailed("The lead council cannot be removed from its own proposal.")
    proposal.partners.remove(partner)
    session.flush()
    bump(session, user, proposal, ["partners"], autosave=False)
    log(session, "fund.partner.remove", user, proposal.lead_org_id, proposal,
        organisation_id=partner.organisation_id)
