"""A proposal's pages: the proposal and its partnership, the form (with autosave), sign-off, its workflow
steps and its saved versions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core.errors import NotFound, PermissionDenied, ValidationFailed
from boroughs.core.models import Organisation, OrgKind, User
from boroughs.core.permissions import can
from boroughs.fund import partnership, proposals, submission
from boroughs.fund.proposals import FORM_FIELDS, PARTNER_KINDS, EditConflict
from boroughs.fund.routes._common import Form, attempt, done, posted, reason, status
from boroughs.fund.workflows import PROPOSAL
from boroughs.web.deps import get_db, require_user
from boroughs.web.templating import render

router = APIRouter()


def render_proposal(request: Request, db: Session, pid: int, error: str | None = None) -> Response:
    user = request.state.user
    p = proposals.get_proposal(db, pid)
    proposals.require_view(user, p)
    my_signable = [x for x in p.partners if x.kind in proposals.SIGNING_KINDS
                   and can(user, "fund.proposal.signoff", x.organisation_id)]
    councils = db.execute(select(Organisation).where(Organisation.kind.in_([OrgKind.COUNCIL.value, OrgKind.VCS.value]))
                          .order_by(Organisation.kind, Organisation.name)).scalars().all()
    in_partnership = set(proposals.org_ids(p))
    return render(request, "fund/proposal.html", {
        "page_title": p.title, "p": p, "call": p.call, "editable": p.state == "draft" and proposals.may_edit(user, p),
        "my_signable": my_signable, "missing_fields": submission.missing_fields(p),
        "eligibility": submission.eligibility_problems(p), "missing_signoffs": submission.missing_sign_offs(p),
        "transitions": [t for t in PROPOSAL.available(p.state, user, proposals.owners(p)) if t.name not in ("award", "decline")],
        "candidates": [o for o in councils if o.id not in in_partnership], "PARTNER_KINDS": PARTNER_KINDS,
        "FORM_FIELDS": FORM_FIELDS, "PROPOSAL": PROPOSAL, "error": error, "done": done(request),
        "may_partner": any(can(user, "fund.proposal.partners", o) for o in proposals.org_ids(p, ("lead", "partner"))),
    }, status(error))


def _change(request: Request, db: Session, pid: int, change: Callable[[], object], *,
            refused: tuple[type[Exception], ...], done: str, message: Callable[[Exception], str] = str) -> Response:
    """A change made on the proposal's page: back to it, with the message or the reason it was refused."""
    return attempt(db, change, refused=refused, again=lambda exc: render_proposal(request, db, pid, message(exc)),
                   url=f"/fund/proposals/{pid}", done=done)


@router.get("/fund/proposals/{pid}")
def proposal_page(request: Request, pid: int, db: Session = Depends(get_db),
                  user: User = Depends(require_user)) -> Response:
    """A proposal: its partners, budget, sign-offs and state."""
    return render_proposal(request, db, pid)


def _edit_page(request: Request, db: Session, pid: int, error: str | None = None,
               values: dict[str, Any] | None = None) -> Response:
    user = request.state.user
    p = proposals.get_proposal(db, pid)
    proposals.require_view(user, p)
    if not proposals.may_edit(user, p):
        raise PermissionDenied("Only people in the partnership's organisations can edit this proposal.")
    data = proposals.snapshot(p)
    if values:
        data.update({k: v for k, v in values.items() if k in data})
    measures = [*list(data["measures"]), {"outcome": "", "name": "", "unit": "", "baseline": None, "target": None}]
    return render(request, "fund/proposal_edit.html", {
        "page_title": f"Edit: {p.title}", "p": p, "data": data, "measures": measures, "FORM_FIELDS": FORM_FIELDS,
        "error": error,
    }, status(error))


@router.get("/fund/proposals/{pid}/edit")
def edit_proposal(request: Request, pid: int, db: Session = Depends(get_db),
                  user: User = Depends(require_user)) -> Response:
    """The form to edit a proposal."""
    return _edit_page(request, db, pid)


def _changes_from_form(form: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key in ("title", "summary", "strand_id", "amount_requested", *(f.key for f in FORM_FIELDS)):
        if key in form:
            changes[key] = form[key]
    changes["is_data_project"] = form.get("is_data_project") == "yes"
    measures = []
    i = 0
    while f"measure_{i}_name" in form:
        measures.append({k: form.get(f"measure_{i}_{k}", "") for k in ("outcome", "name", "unit", "baseline", "target")})
        i += 1
    changes["measures"] = measures
    return changes


@router.post("/fund/proposals/{pid}/edit")
def save_proposal(request: Request, pid: int, db: Session = Depends(get_db),
                  user: User = Depends(require_user), form: Form = Depends(posted)) -> Response:
    """Save a proposal's changes (refused if someone else changed it meanwhile)."""
    p = proposals.get_proposal(db, pid)
    return attempt(db, lambda: proposals.save_draft(db, user, p, _changes_from_form(form),
                                                    base_version=int(form.get("base_version") or 0)),
                   refused=(ValidationFailed, ValueError),
                   again=lambda exc: _edit_page(request, db, pid, str(exc),
                                                None if isinstance(exc, EditConflict) else form),
                   url=f"/fund/proposals/{pid}", done="saved")


class AutosaveIn(BaseModel):
    base_version: int
    changes: dict[str, Any]


class AutosaveOut(BaseModel):
    version: int
    changed: list[str]
    merged_from: list[int]


@router.post("/api/v1/fund/proposals/{pid}/autosave", response_model=AutosaveOut)
def autosave(pid: int, body: AutosaveIn, request: Request, db: Session = Depends(get_db),
             user: User = Depends(require_user)) -> Any:
    """Autosave a draft (the edit page calls this as partners type). 409 when a partner changed the same part."""
    p = proposals.get_proposal(db, pid)
    try:
        r = proposals.save_draft(db, user, p, body.changes, base_version=body.base_version, autosave=True)
    except EditConflict as exc:
        return JSONResponse({"detail": str(exc), "fields": sorted(exc.fields), "version": exc.current_version},
                            status_code=409)
    return AutosaveOut(version=r.version, changed=r.changed, merged_from=r.merged_from)


@router.post("/fund/proposals/{pid}/partners")
def add_partner(request: Request, pid: int, db: Session = Depends(get_db),
                user: User = Depends(require_user), form: Form = Depends(posted)) -> Response:
    """Add a partner organisation to a proposal."""
    p = proposals.get_proposal(db, pid)
    return _change(request, db, pid, lambda: partnership.add_partner(
        db, user, p, organisation_id=int(form.get("organisation_id") or 0), kind=form.get("kind", ""),
        role=form.get("role", ""), officer_days=form.get("officer_days") or 0,
        match_funding=form.get("match_funding") or 0, budget=form.get("budget") or 0,
        budget_purpose=form.get("budget_purpose", "")), refused=(ValidationFailed, ValueError, NotFound), done="partner")


@router.post("/fund/proposals/{pid}/partners/{partner_id}")
def update_partner(request: Request, pid: int, partner_id: int, db: Session = Depends(get_db),
                   user: User = Depends(require_user), form: Form = Depends(posted)) -> Response:
    """Change or remove a partner of a proposal."""
    p = proposals.get_proposal(db, pid)

    def change() -> None:
        if form.get("remove") == "yes":
            partnership.remove_partner(db, user, p, partner_id)
        else:
            partnership.update_partner(db, user, p, partner_id, **{
                k: form[k] for k in ("role", "officer_days", "match_funding", "budget", "budget_purpose") if k in form})

    return _change(request, db, pid, change, refused=(ValidationFailed,), done="partner")


@router.post("/fund/proposals/{pid}/sign-off")
def sign_off(request: Request, pid: int, db: Session = Depends(get_db),
             user: User = Depends(require_user), form: Form = Depends(posted)) -> Response:
    """Sign off a proposal on behalf of a partner organisation."""
    p = proposals.get_proposal(db, pid)

    def change() -> None:
        if int(form.get("version") or 0) != p.version:
            raise ValidationFailed("The proposal changed while you were reading it. Read the new version, then "
                                   "sign it off.")
        submission.sign_off(db, user, p, int(form.get("organisation_id") or 0))

    return _change(request, db, pid, change, refused=(ValidationFailed, ValueError), done="signed")


@router.post("/fund/proposals/{pid}/transition")
def proposal_transition(request: Request, pid: int, db: Session = Depends(get_db),
                        user: User = Depends(require_user), form: Form = Depends(posted)) -> Response:
    """Move a proposal to its next state (submit, withdraw, ...)."""
    p = proposals.get_proposal(db, pid)
    name = form.get("name", "")

    def change() -> None:
        PROPOSAL.transition(name)
        submission.transition(db, user, p, name, note=form.get("note", ""))

    return _change(request, db, pid, change, refused=(ValidationFailed, KeyError), message=reason,
                   done="submit" if name == "submit" else "transition")


@router.get("/fund/proposals/{pid}/versions")
def proposal_versions(request: Request, pid: int, db: Session = Depends(get_db),
                      user: User = Depends(require_user)) -> Response:
    """A proposal's earlier versions and what changed."""
    p = proposals.get_proposal(db, pid)
    proposals.require_view(user, p)
    return render(request, "fund/versions.html", {"page_title": f"Versions: {p.title}", "p": p,
                                                  "versions": proposals.versions(db, p)})

