"""The fund's home page, a call's public page and its workflow, starting a proposal, and the calls API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from boroughs.core.errors import NotFound, PermissionDenied, ValidationFailed
from boroughs.core.models import User
from boroughs.core.permissions import can
from boroughs.fund import assessment, blind, calls, proposals
from boroughs.fund.routes._common import (
    Form,
    attempt,
    done,
    fund_bodies,
    go,
    posted,
    reason,
    status,
    unique,
    user_councils,
)
from boroughs.fund.workflows import CALL, PROPOSAL
from boroughs.web.deps import get_db, require_user
from boroughs.web.templating import render

router = APIRouter()


@router.get("/fund")
def fund_home(request: Request, db: Session = Depends(get_db)) -> Response:
    """The fund's home page: its calls, proposals and projects."""
    user = request.state.user
    all_calls = calls.list_calls(db)
    mine = proposals.proposals_for(db, user) if user else []
    to_assess = assessment.proposals_to_assess(db, user) if user else []
    manages = [c for c in all_calls if user and can(user, "fund.call.manage", c.fund_body_id)]
    return render(request, "fund/home.html", {
        "page_title": "Collaborative fund", "calls": [c for c in all_calls if c.phase != "drafting" or c in manages],
        "mine": mine, "to_assess": to_assess, "fund_bodies": fund_bodies(user), "done": done(request),
        "PROPOSAL": PROPOSAL, "CALL": CALL,
    })


@router.get("/fund/calls/new")
def new_call(request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """The form to create a call."""
    return render_new_call(request, user)


def render_new_call(request: Request, user: User, error: str | None = None, values: dict[str, Any] | None = None,
                    errors: dict[str, str] | None = None) -> Response:
    bodies = fund_bodies(user)
    if not bodies:
        raise PermissionDenied("Only a fund manager can open a call.")
    return render(request, "fund/call_new.html", {"page_title": "Set up a call", "bodies": bodies, "error": error,
                                                  "errors": errors or {}, "values": values or {}},
                  status(error, errors))


def render_call(request: Request, db: Session, slug: str, error: str | None = None, *,
                errors: dict[str, str] | None = None, strand_values: dict[str, Any] | None = None,
                criterion_values: dict[str, Any] | None = None) -> Response:
    call = calls.get_call(db, slug)
    user = request.state.user
    manager = can(user, "fund.call.manage", call.fund_body_id)
    if call.phase == "drafting" and not manager:
        raise NotFound(f"There is no call {slug!r}.")
    strands = [(s, calls.committed(db, s)) for s in call.strands]
    leads = unique(user_councils(user, "fund.proposal.create"))
    return render(request, "fund/call.html", {
        "page_title": call.title, "call": call, "strands": strands, "manager": manager, "leads": leads,
        "accepting": calls.accepting_proposals(call), "public": calls.public_proposals(db, call),
        "transitions": CALL.available(call.phase, user, {"fund_body": [call.fund_body_id]}) if user else [],
        "CALL": CALL, "error": error, "done": done(request), "errors": errors or {},
        "strand_values": strand_values or {}, "criterion_values": criterion_values or {},
    }, status(error, errors))


@router.get("/fund/calls/{slug}")
def call_page(request: Request, slug: str, db: Session = Depends(get_db)) -> Response:
    """A call: its strands, criteria, dates and proposals."""
    return render_call(request, db, slug)


@router.post("/fund/calls/{slug}/transition")
def call_transition(request: Request, slug: str, db: Session = Depends(get_db),
                    user: User = Depends(require_user), form: Form = Depends(posted)) -> Response:
    """Move a call to its next state (open, close, ...)."""
    call = calls.get_call(db, slug)
    return attempt(db, lambda: calls.transition_call(db, user, call, form.get("name", "")),
                   refused=(ValidationFailed, KeyError), again=lambda exc: render_call(request, db, slug, reason(exc)),
                   url=f"/fund/calls/{slug}", done="transition")


@router.get("/fund/calls/{slug}/proposals")
def submitted_proposals(request: Request, slug: str, db: Session = Depends(get_db)) -> Response:
    """The public list of every submitted proposal, after the deadline."""
    call = calls.get_call(db, slug)
    if call.phase == "drafting":
        raise NotFound(f"There is no call {slug!r}.")
    return render(request, "fund/public_proposals.html", {
        "page_title": f"Proposals submitted to {call.title}", "call": call,
        "public": calls.public_proposals(db, call), "partnership_names": proposals.partnership_names,
        "hidden": lambda p: blind.hidden_from(request.state.user, p), "HIDDEN": blind.HIDDEN,
    })


@router.post("/fund/calls/{slug}/proposals")
def start_proposal(request: Request, slug: str, db: Session = Depends(get_db),
                   user: User = Depends(require_user), form: Form = Depends(posted)) -> Response:
    """Start a proposal to a call."""
    call = calls.get_call(db, slug)
    try:
        p = proposals.create_proposal(db, user, call, lead_org_id=int(form.get("lead_org_id") or 0),
                                      title=form.get("title", ""),
                                      strand_id=int(form["strand_id"]) if form.get("strand_id") else None)
    except (ValidationFailed, ValueError) as exc:
        db.rollback()
        return render_call(request, db, slug, str(exc))
    return go(f"/fund/proposals/{p.id}", "created")


# --- JSON API ------------------------------------------------------------------------------------

class StrandOut(BaseModel):
    slug: str
    title: str
    budget: int
    award_limit: int
    awarded: int


class CallOut(BaseModel):
    slug: str
    title: str
    fund_body: str
    phase: str
    total_budget: int
    deadline: dt.datetime | None
    strands: list[StrandOut]


@router.get("/api/v1/fund/calls", response_model=list[CallOut])
def api_calls(db: Session = Depends(get_db)) -> Any:
    """Every call that has opened, with its strands, budgets and what is already awarded."""
    return [CallOut(slug=c.slug, title=c.title, fund_body=c.fund_body.name, phase=c.phase,
                    total_budget=c.total_budget, deadline=c.deadline,
                    strands=[StrandOut(slug=s.slug, title=s.title, budget=s.budget, award_limit=s.award_limit,
                                       awarded=calls.committed(db, s)) for s in c.strands])
            for c in calls.list_calls(db) if c.phase != "drafting"]
