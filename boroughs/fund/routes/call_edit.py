"""Setting up and changing a call, its strands and its criteria (issue 17).

Every form lists all of its problems at once in the GOV.UK error summary, each linking to its field; the
rules about what may change once proposals exist are the service's (``boroughs.fund.call_edit``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from boroughs.core.errors import PermissionDenied, ValidationFailed
from boroughs.core.models import User
from boroughs.core.permissions import can
from boroughs.fund import call_edit, calls
from boroughs.fund.call_edit import FormErrors
from boroughs.fund.models import Call
from boroughs.fund.routes._common import Form, attempt, done, go, posted, status
from boroughs.fund.routes.calls import render_call, render_new_call
from boroughs.fund.workflows import CALL
from boroughs.web.deps import get_db, require_user
from boroughs.web.templating import render

router = APIRouter()


def _managed_call(db: Session, user: User, slug: str) -> Call:
    call = calls.get_call(db, slug)
    if not can(user, "fund.call.manage", call.fund_body_id):
        raise PermissionDenied("Only the fund's managers can change this call.")
    return call


def _problems(exc: Exception) -> dict[str, Any]:
    """How a page shows a refusal: every field's problem (``FormErrors``) or the one reason."""
    return {"errors": exc.errors} if isinstance(exc, FormErrors) else {"error": str(exc)}


# --- a new call ----------------------------------------------------------------------------------

@router.post("/fund/calls")
def create_call(request: Request, form: Form = Depends(posted), db: Session = Depends(get_db),
                user: User = Depends(require_user)) -> Response:
    """Create a call."""
    values = form
    clean, errors = call_edit.call_form_errors(db, values)
    if errors:
        return render_new_call(request, user, values=values, errors=errors)
    try:
        call = calls.create_call(
            db, user, fund_body_id=clean["fund_body_id"], slug=clean["slug"], title=clean["title"],
            total_budget=clean["total_budget"], summary=clean["summary"], guidance=clean["guidance"],
            deadline=clean["deadline"], min_partner_councils=clean["min_partner_councils"],
            blind_review=clean["blind_review"], grant_prefix=clean["grant_prefix"],
        )
    except ValidationFailed as exc:
        db.rollback()
        return render_new_call(request, user, str(exc), values)
    return go(f"/fund/calls/{call.slug}", "created")


# --- adding strands and criteria on the call's page -----------------------------------------------

def _add(request: Request, db: Session, user: User, slug: str, values: dict[str, Any], *,
         add: Callable[..., Any], values_key: str) -> Response:
    """Add a strand or a criterion from the call's page: the page again with every problem, or back to it."""
    call = calls.get_call(db, slug)

    def again(exc: Exception) -> Response:
        shown: dict[str, Any] = {**_problems(exc), values_key: values}
        return render_call(request, db, slug, **shown)

    return attempt(db, lambda: add(db, user, call, values), refused=(ValidationFailed,), again=again,
                   url=f"/fund/calls/{slug}", done="created")


@router.post("/fund/calls/{slug}/strands")
def add_strand(request: Request, slug: str, form: Form = Depends(posted), db: Session = Depends(get_db),
               user: User = Depends(require_user)) -> Response:
    """Add a strand (with its budget) to a call."""
    return _add(request, db, user, slug, form, add=call_edit.add_strand, values_key="strand_values")


@router.post("/fund/calls/{slug}/criteria")
def add_criterion(request: Request, slug: str, form: Form = Depends(posted), db: Session = Depends(get_db),
                  user: User = Depends(require_user)) -> Response:
    """Add an assessment criterion to a call."""
    return _add(request, db, user, slug, form, add=call_edit.add_criterion, values_key="criterion_values")


# --- the edit page -------------------------------------------------------------------------------

def _edit_page(request: Request, db: Session, user: User, slug: str, *, error: str | None = None,
               errors: dict[str, str] | None = None, values: dict[str, Any] | None = None) -> Response:
    call = _managed_call(db, user, slug)
    strands = [{"s": s, "awarded": calls.committed(db, s), "proposals": call_edit.strand_proposals(db, s)}
               for s in call.strands]
    data = {"title": call.title, "summary": call.summary, "guidance": call.guidance,
            "total_budget": call.total_budget, "deadline": call.deadline.date().isoformat() if call.deadline else "",
            "min_partner_councils": call.min_partner_councils, "blind_review": "yes" if call.blind_review else ""}
    if values is not None:
        data.update({k: v for k, v in values.items() if k in data})
        data["blind_review"] = values.get("blind_review", "")
    return render(request, "fund/call_edit.html", {
        "page_title": f"Change {call.title}", "call": call, "data": data, "strands": strands,
        "details_editable": call.phase in call_edit.DETAIL_PHASES,
        "rubric_editable": call.phase in call_edit.RUBRIC_PHASES,
        "strands_editable": call.phase in call_edit.STRAND_PHASES,
        "submitted": call_edit.has_submitted(db, call), "CALL": CALL,
        "error": error, "errors": errors or {}, "done": done(request),
    }, status(error, errors))


@router.get("/fund/calls/{slug}/edit")
def edit_call(request: Request, slug: str, db: Session = Depends(get_db),
              user: User = Depends(require_user)) -> Response:
    """The form to edit a call."""
    return _edit_page(request, db, user, slug)


@router.post("/fund/calls/{slug}/edit")
def save_call(request: Request, slug: str, form: Form = Depends(posted), db: Session = Depends(get_db),
              user: User = Depends(require_user)) -> Response:
    """Save a call's changes."""
    values = form
    call = _managed_call(db, user, slug)
    return attempt(db, lambda: call_edit.edit_call(db, user, call, values), refused=(ValidationFailed,),
                   again=lambda exc: _edit_page(request, db, user, slug, **_problems(exc), values=values),
                   url=f"/fund/calls/{slug}/edit", done="call-saved")


# --- one strand, one criterion ---------------------------------------------------------------------

def _strand_page(request: Request, db: Session, user: User, slug: str, strand_id: int, *,
                 error: str | None = None, errors: dict[str, str] | None = None,
                 values: dict[str, Any] | None = None) -> Response:
    call = _managed_call(db, user, slug)
    strand = call_edit.get_strand(db, call, strand_id)
    data = {"title": strand.title, "slug": strand.slug, "description": strand.description,
            "budget": strand.budget, "award_limit": strand.award_limit}
    if values is not None:
        data.update({k: v for k, v in values.items() if k in data})
    return render(request, "fund/strand_edit.html", {
        "page_title": f"Change the {strand.title} strand", "call": call, "strand": strand, "data": data,
        "awarded": calls.committed(db, strand), "largest": call_edit.largest_award(db, strand),
        "proposals": call_edit.strand_proposals(db, strand),
        "others": sum(s.budget for s in call.strands if s is not strand),
        "error": error, "errors": errors or {},
    }, status(error, errors))


@router.get("/fund/calls/{slug}/strands/{strand_id}/edit")
def edit_strand(request: Request, slug: str, strand_id: int, db: Session = Depends(get_db),
                user: User = Depends(require_user)) -> Response:
    """The form to edit a call's strand."""
    return _strand_page(request, db, user, slug, strand_id)


def _save(request: Request, db: Session, user: User, slug: str, item_id: int, values: dict[str, Any], *,
          get: Callable[..., Any], update: Callable[..., Any], page: Callable[..., Response], done: str) -> Response:
    """Save a strand's or a criterion's form: the same page again with every problem, or back to the call."""
    item = get(db, _managed_call(db, user, slug), item_id)
    return attempt(db, lambda: update(db, user, item, values), refused=(ValidationFailed,),
                   again=lambda exc: page(request, db, user, slug, item_id, **_problems(exc), values=values),
                   url=f"/fund/calls/{slug}/edit", done=done)


def _remove(request: Request, db: Session, user: User, slug: str, item_id: int, *, get: Callable[..., Any],
            remove: Callable[..., Any], done: str) -> Response:
    """Remove a strand or a criterion, or say on the call's edit page why it cannot go."""
    item = get(db, _managed_call(db, user, slug), item_id)
    return attempt(db, lambda: remove(db, user, item), refused=(ValidationFailed,),
                   again=lambda exc: _edit_page(request, db, user, slug, error=str(exc)),
                   url=f"/fund/calls/{slug}/edit", done=done)


@router.post("/fund/calls/{slug}/strands/{strand_id}/edit")
def save_strand(request: Request, slug: str, strand_id: int, form: Form = Depends(posted),
                db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """Save a call's strand."""
    return _save(request, db, user, slug, strand_id, form, get=call_edit.get_strand,
                 update=call_edit.update_strand, page=_strand_page, done="strand-saved")


@router.post("/fund/calls/{slug}/strands/{strand_id}/remove")
def remove_strand(request: Request, slug: str, strand_id: int, form: Form = Depends(posted),
                  db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """Remove a strand from a call."""
    return _remove(request, db, user, slug, strand_id, get=call_edit.get_strand, remove=call_edit.remove_strand,
                   done="strand-removed")


def _criterion_page(request: Request, db: Session, user: User, slug: str, criterion_id: int, *,
                    error: str | None = None, errors: dict[str, str] | None = None,
                    values: dict[str, Any] | None = None) -> Response:
    call = _managed_call(db, user, slug)
    crit = call_edit.get_criterion(db, call, criterion_id)
    data = {"title": crit.title, "guidance": crit.guidance, "weight": crit.weight}
    if values is not None:
        data.update({k: v for k, v in values.items() if k in data})
    return render(request, "fund/criterion_edit.html", {
        "page_title": f"Change the criterion {crit.title}", "call": call, "crit": crit, "data": data,
        "submitted": call_edit.has_submitted(db, call), "editable": call.phase in call_edit.RUBRIC_PHASES,
        "error": error, "errors": errors or {},
    }, status(error, errors))


@router.get("/fund/calls/{slug}/criteria/{criterion_id}/edit")
def edit_criterion(request: Request, slug: str, criterion_id: int, db: Session = Depends(get_db),
                   user: User = Depends(require_user)) -> Response:
    """The form to edit a call's criterion."""
    return _criterion_page(request, db, user, slug, criterion_id)


@router.post("/fund/calls/{slug}/criteria/{criterion_id}/edit")
def save_criterion(request: Request, slug: str, criterion_id: int, form: Form = Depends(posted),
                   db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """Save a call's criterion."""
    return _save(request, db, user, slug, criterion_id, form, get=call_edit.get_criterion,
                 update=call_edit.update_criterion, page=_criterion_page, done="criterion-saved")


@router.post("/fund/calls/{slug}/criteria/{criterion_id}/remove")
def remove_criterion(request: Request, slug: str, criterion_id: int, form: Form = Depends(posted),
                     db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """Remove a criterion from a call."""
    return _remove(request, db, user, slug, criterion_id, get=call_edit.get_criterion,
                   remove=call_edit.remove_criterion, done="criterion-removed")
