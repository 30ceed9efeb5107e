"""Assessment: the fund manager's list of a call's proposals (choosing the panel per proposal, moving
proposals on), the panel's scoring and conflicts of interest, and moderation."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from boroughs.core.errors import PermissionDenied, ValidationFailed
from boroughs.core.models import User
from boroughs.core.permissions import can
from boroughs.fund import assessment, calls, panel, proposals, submission
from boroughs.fund.models import Proposal
from boroughs.fund.proposals import FORM_FIELDS
from boroughs.fund.routes._common import Form, attempt, done, posted, reason, status
from boroughs.fund.workflows import PROPOSAL
from boroughs.web.deps import form_data, get_db, require_user
from boroughs.web.templating import render

router = APIRouter()


# --- the call's proposals, for its managers ------------------------------------------------------

def _manage_page(request: Request, db: Session, slug: str, error: str | None = None) -> Response:
    user = request.state.user
    call = calls.get_call(db, slug)
    if not can(user, "fund.proposals.manage", call.fund_body_id):
        raise PermissionDenied("Only the fund's managers can see every proposal.")
    rows = []
    for p in db.execute(select(Proposal).where(Proposal.call_id == call.id).order_by(Proposal.reference)).scalars():
        rows.append({"p": p, "assigned": assessment.assignments(db, p), "conflicts": assessment.conflicts(db, p),
                     "choices": panel.choices(db, p),
                     "transitions": [t for t in PROPOSAL.available(p.state, user, proposals.owners(p))
                                     if t.name not in ("award", "decline")]})
    return render(request, "fund/manage.html", {
        "page_title": f"Proposals to {call.title}", "call": call, "rows": rows,
        "panel": assessment.panel_members(db, call), "PROPOSAL": PROPOSAL, "error": error, "done": done(request),
    }, status(error))


@router.get("/fund/calls/{slug}/manage")
def manage(request: Request, slug: str, db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """Manage a call: assign panel members and move proposals through assessment."""
    return _manage_page(request, db, slug)


@router.post("/fund/proposals/{pid}/manage-transition")
def manage_transition(request: Request, pid: int, db: Session = Depends(get_db),
                      user: User = Depends(require_user), form: Form = Depends(posted)) -> Response:
    """Move a proposal through assessment (from the call's manage page)."""
    p = proposals.get_proposal(db, pid)

    def change() -> None:
        PROPOSAL.transition(form.get("name", ""))
        submission.transition(db, user, p, form.get("name", ""))

    return attempt(db, change, refused=(ValidationFailed, KeyError),
                   again=lambda exc: _manage_page(request, db, p.call.slug, reason(exc)),
                   url=f"/fund/calls/{p.call.slug}/manage", done="transition")


@router.post("/fund/proposals/{pid}/assign")
def assign_panel(request: Request, pid: int, form: FormData = Depends(form_data), db: Session = Depends(get_db),
                 user: User = Depends(require_user)) -> Response:
    """Assign panel members to a proposal."""
    p = proposals.get_proposal(db, pid)
    slug = p.call.slug
    try:
        ids = [int(v) for v in form.getlist("member_id") if isinstance(v, str) and v.strip()]
    except ValueError:
        return _manage_page(request, db, slug, "Choose panel members from the list.")
    return attempt(db, lambda: panel.assign_chosen(db, user, p, ids), refused=(ValidationFailed,),
                   again=lambda exc: _manage_page(request, db, slug, str(exc)),
                   url=f"/fund/calls/{slug}/manage", done="assigned")


# --- the panel: scoring and conflicts ------------------------------------------------------------

@router.get("/fund/assess")
def to_assess(request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """The proposals a panel member has to assess."""
    return render(request, "fund/assess_list.html", {
        "page_title": "Proposals to assess", "items": assessment.proposals_to_assess(db, user), "user": user,
        "display_partners": assessment.display_partners,
    })


def _assess_page(request: Request, db: Session, pid: int, error: str | None = None) -> Response:
    user = request.state.user
    p = proposals.get_proposal(db, pid)
    call = p.call
    if not (can(user, "fund.panel.score", call.fund_body_id) or can(user, "fund.moderate", call.fund_body_id)):
        raise PermissionDenied("Only the fund's panel can assess proposals.")
    why = assessment.recusal_reason(db, user, p)
    if why:
        raise PermissionDenied(f"You are recused from this proposal: you cannot see it on the panel or score it. "
                               f"{why}")
    if not can(user, "fund.moderate", call.fund_body_id) and not assessment.is_assigned(db, user, p):
        raise PermissionDenied("You have not been assigned this proposal, so you cannot open it. The fund manager "
                               "assigns proposals to panel members.")
    mine = {s.criterion_id: s for s in db.execute(select(assessment.Score).where(
        assessment.Score.proposal_id == p.id, assessment.Score.user_id == user.id)).scalars()}
    return render(request, "fund/assess.html", {
        "page_title": f"Assess: {p.title}", "p": p, "call": call, "mine": mine,
        "assigned": assessment.is_assigned(db, user, p), "partners": assessment.display_partners(p, user),
        "FORM_FIELDS": FORM_FIELDS, "error": error, "done": done(request),
    }, status(error))


@router.get("/fund/proposals/{pid}/assess")
def assess(request: Request, pid: int, db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """The assessment form for a proposal (a panel member's scores against the rubric)."""
    return _assess_page(request, db, pid)


@router.post("/fund/proposals/{pid}/assess")
def score(request: Request, pid: int, db: Session = Depends(get_db),
          user: User = Depends(require_user), form: Form = Depends(posted)) -> Response:
    """Save a panel member's scores for a proposal."""
    p = proposals.get_proposal(db, pid)

    def change() -> None:
        for c in p.call.criteria:
            assessment.score(db, user, p, c.id, form.get(f"score_{c.id}", ""), form.get(f"comment_{c.id}", ""))

    return attempt(db, change, refused=(ValidationFailed,), again=lambda exc: _assess_page(request, db, pid, str(exc)),
                   url=f"/fund/proposals/{pid}/assess", done="scored")


@router.post("/fund/proposals/{pid}/conflict")
def declare(request: Request, pid: int, db: Session = Depends(get_db),
            user: User = Depends(require_user), form: Form = Depends(posted)) -> Response:
    """Declare a conflict of interest with a proposal (the panel member is recused)."""
    p = proposals.get_proposal(db, pid)
    return attempt(db, lambda: assessment.declare_conflict(db, user, p, form.get("reason", "")),
                   refused=(ValidationFailed,), again=lambda exc: _assess_page(request, db, pid, str(exc)),
                   url="/fund/assess", done="conflict")


# --- moderation ----------------------------------------------------------------------------------

def _moderation_page(request: Request, db: Session, slug: str, error: str | None = None) -> Response:
    user = request.state.user
    call = calls.get_call(db, slug)
    results = []
    for strand in call.strands:
        ranked = assessment.ranking(db, call, ("in_assessment", "awarded", "not_funded")).get(strand.id, [])
        visible = [r for r in ranked if assessment.may_see_scores(db, user, r.proposal) is None]
        hidden = len(ranked) - len(visible)
        results.append((strand, visible, hidden))
    if not (can(user, "fund.moderate", call.fund_body_id) or can(user, "fund.panel.score", call.fund_body_id)):
        raise PermissionDenied("Only the fund's managers and panel can see the scores.")
    return render(request, "fund/moderation.html", {
        "page_title": f"Moderation: {call.title}", "call": call, "results": results,
        "moderator": can(user, "fund.moderate", call.fund_body_id), "WIDE": assessment.WIDE_SPREAD,
        "error": error, "done": done(request),
    }, status(error))


@router.get("/fund/calls/{slug}/moderation")
def moderation(request: Request, slug: str, db: Session = Depends(get_db),
               user: User = Depends(require_user)) -> Response:
    """A call's moderation page: panel scores side by side."""
    return _moderation_page(request, db, slug)


@router.post("/fund/proposals/{pid}/moderate")
def moderate(request: Request, pid: int, db: Session = Depends(get_db),
             user: User = Depends(require_user), form: Form = Depends(posted)) -> Response:
    """Record a moderated score for a proposal."""
    p = proposals.get_proposal(db, pid)
    return attempt(db, lambda: assessment.moderate(db, user, p, form.get("note", "")), refused=(ValidationFailed,),
                   again=lambda exc: _moderation_page(request, db, p.call.slug, str(exc)),
                   url=f"/fund/calls/{p.call.slug}/moderation", done="moderated")
