"""Award decisions: the fund's managers award or decline each assessed proposal, strand by strand."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from boroughs.core.errors import NotFound, PermissionDenied, ValidationFailed
from boroughs.core.models import User
from boroughs.core.permissions import can
from boroughs.fund import assessment, award_checks, calls, decisions
from boroughs.fund.routes._common import Form, attempt, done, posted, status
from boroughs.web.deps import get_db, require_user
from boroughs.web.templating import render

router = APIRouter()


def _decisions_page(request: Request, db: Session, slug: str, error: str | None = None,
                    values: dict[str, Any] | None = None) -> Response:
    user = request.state.user
    call = calls.get_call(db, slug)
    if not can(user, "fund.decide", call.fund_body_id):
        raise PermissionDenied("Only the fund's managers make award decisions.")
    ranked = assessment.ranking(db, call, ("in_assessment", "awarded", "not_funded"))
    strands = [(s, ranked.get(s.id, []), calls.committed(db, s)) for s in call.strands]
    return render(request, "fund/decisions.html", {
        "page_title": f"Decisions: {call.title}", "call": call, "strands": strands, "values": values or {},
        "awards": {a.proposal_id: a for a in decisions.awards(db, call)}, "error": error, "done": done(request),
        "share_problem": award_checks.share_problem,
    }, status(error))


@router.get("/fund/calls/{slug}/decisions")
def decisions_page(request: Request, slug: str, db: Session = Depends(get_db),
                   user: User = Depends(require_user)) -> Response:
    """A call's decisions page: award or decline proposals within each strand's budget."""
    return _decisions_page(request, db, slug)


@router.post("/fund/calls/{slug}/decisions")
def decide(request: Request, slug: str, db: Session = Depends(get_db),
           user: User = Depends(require_user), form: Form = Depends(posted)) -> Response:
    """Record award decisions for a call's proposals."""
    call = calls.get_call(db, slug)
    awards, declines = [], []
    for key, value in form.items():
        if key.startswith("decision_"):
            pid = int(key.removeprefix("decision_"))
            if value == "award":
                awards.append((pid, form.get(f"amount_{pid}", "")))
            elif value == "decline":
                declines.append(pid)
    return attempt(db, lambda: decisions.decide(db, user, call, awards, declines=declines, note=form.get("note", "")),
                   refused=(ValidationFailed, NotFound),
                   again=lambda exc: _decisions_page(request, db, slug, str(exc), form),
                   url=f"/fund/calls/{slug}/decisions", done="decided")
