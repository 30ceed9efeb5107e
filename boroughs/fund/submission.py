"""Sign-off and submission: partners sign off a particular version, the form and the partnership are
checked against the call's rules, and the proposal moves through its workflow (``workflows.PROPOSAL``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from boroughs.core.db import utcnow
from boroughs.core.errors import ValidationFailed
from boroughs.core.permissions import require
from boroughs.fund._common import gbp, log
from boroughs.fund.calls import accepting_proposals
from boroughs.fund.models import Partner, Proposal, Strand
from boroughs.fund.proposals import FORM_FIELDS, SIGNING_KINDS, owners, require_draft
from boroughs.fund.workflows import PROPOSAL


def sign_off(session: Session, user: Any, proposal: Proposal, organisation_id: int) -> Partner:
    """Sign off the current version on behalf of one partner organisation."""
    require(user, "fund.proposal.signoff", organisation_id)
    require_draft(proposal)
    partner = next((p for p in proposal.partners if p.organisation_id == organisation_id), None)
    if partner is None or partner.kind not in SIGNING_KINDS:
        raise ValidationFailed("Only the lead council and the partners in this proposal sign it off.")
    partner.signed_off_version = proposal.version
    partner.signed_off_at = utcnow()
    partner.signed_off_by_id = getattr(user, "id", None)
    session.flush()
    log(session, "fund.proposal.signoff", user, organisation_id, proposal, version=proposal.version)
    request_sign_offs(session, proposal)  # issue 15: ask the partners still to sign off this version
    return partner


def request_sign_offs(session: Session, proposal: Proposal) -> int:
    """Email every signing partner that has not signed off the current version (once per version)."""
    from boroughs.fund import messages

    return messages.request_sign_offs(session, proposal)


def missing_sign_offs(proposal: Proposal) -> list[Partner]:
    return [p for p in proposal.partners if p.kind in SIGNING_KINDS and p.signed_off_version != proposal.version]


def missing_fields(proposal: Proposal) -> list[str]:
    form = proposal.form or {}
    missing = [f.label for f in FORM_FIELDS
               if f.required and (proposal.is_data_project or not f.data_only)
               and not str(form.get(f.key) or "").strip()]
    if not proposal.summary.strip():
        missing.insert(0, "Summary")
    if proposal.strand_id is None:
        missing.insert(0, "Strand")
    if not proposal.measures:
        missing.append("At least one outcome measure")
    elif any(m.baseline is None or m.target is None for m in proposal.measures):
        missing.append("A baseline and a target for every outcome measure")
    if proposal.amount_requested <= 0:
        missing.append("Amount requested")
    return missing


def eligibility_problems(proposal: Proposal) -> list[str]:
    call = proposal.call
    problems = []
    councils = [p for p in proposal.partners if p.kind in ("lead", "partner")]
    if len(councils) < call.min_partner_councils:
        problems.append(
            f"This call needs at least {call.min_partner_councils} partner councils (including the lead); "
            f"this proposal has {len(councils)}."
        )
    strand: Strand | None = proposal.strand
    if strand is not None and proposal.amount_requested > strand.award_limit:
        problems.append(f"The amount requested ({gbp(proposal.amount_requested)}) is more than the "
                        f"{strand.title} strand's award limit ({gbp(strand.award_limit)}).")
    if call.max_amount_per_proposal and proposal.amount_requested > call.max_amount_per_proposal:
        problems.append(f"The amount requested is more than this call's limit of "
                        f"{gbp(call.max_amount_per_proposal)} a proposal.")
    shares = sum(p.budget for p in proposal.partners)
    if proposal.amount_requested and shares != proposal.amount_requested:
        problems.append(f"The budget by partner adds up to {gbp(shares)}, but the amount requested is "
                        f"{gbp(proposal.amount_requested)}: make them match.")
    return problems


def _g_call_open(p: Proposal) -> str | None:
    return accepting_proposals(p.call)


def _g_form_complete(p: Proposal) -> str | None:
    missing = missing_fields(p)
    return ("The proposal is not finished. Complete: " + "; ".join(missing) + ".") if missing else None


def _g_eligible(p: Proposal) -> str | None:
    problems = eligibility_problems(p)
    return " ".join(problems) if problems else None


def _g_all_signed_off(p: Proposal) -> str | None:
    missing = missing_sign_offs(p)
    if not missing:
        return None
    names = ", ".join(m.organisation.name for m in missing)
    return (f"Every partner must sign off version {p.version} before you submit. Still to sign off: {names}. "
            "Any change to the proposal needs signing off again.")


def _g_call_assessing(p: Proposal) -> str | None:
    if p.call.phase in ("assessment", "decision"):
        return None
    return "Proposals go to the panel once the call's submissions have closed."


def _g_call_deciding(p: Proposal) -> str | None:
    if p.call.phase in ("assessment", "decision"):
        return None
    return "Decisions can only be made while the call is in assessment or decisions."


PROPOSAL_GUARDS = {
    "call_open": _g_call_open,
    "form_complete": _g_form_complete,
    "eligible": _g_eligible,
    "all_signed_off": _g_all_signed_off,
    "call_assessing": _g_call_assessing,
    "call_deciding": _g_call_deciding,
}


def transition(session: Session, user: Any, proposal: Proposal, name: str, *, note: str = "") -> Proposal:
    """Take a workflow step (see ``workflows.PROPOSAL``). Awards go through ``decisions.decide``."""
    if name == "award":
        raise ValidationFailed("Awards are made on the decision screen, which checks the strand's budget.")
    return _fire(session, user, proposal, name, note=note)


def _fire(session: Session, user: Any, proposal: Proposal, name: str, *, note: str = "") -> Proposal:
    new = PROPOSAL.fire(name, proposal.state, user, owners(proposal), PROPOSAL_GUARDS, proposal)
    old = proposal.state
    proposal.state = new
    if name == "submit":
        proposal.submitted_at = utcnow()
    if name == "return_to_draft":
        proposal.submitted_at = None
    session.flush()
    org = proposal.call.fund_body_id if PROPOSAL.transition(name).owner == "fund_body" else proposal.lead_org_id
    log(session, f"fund.proposal.{name}", user, org, proposal, before=old, after=new, note=note or None)
    return proposal


def submit(session: Session, user: Any, proposal: Proposal) -> Proposal:
    return transition(session, user, proposal, "submit")
