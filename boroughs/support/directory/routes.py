"""Pages of the service directory: browsing, editing and reviewing services, and the import history; the
Open Referral UK read API is included here too. Every page checks permissions on the server."""


from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from boroughs.core import permissions
from boroughs.core.errors import NotFound, PermissionDenied, ValidationFailed
from boroughs.core.models import Organisation, OrgKind, User
from boroughs.support.directory import service as directory
from boroughs.support.directory.models import DirChange, DirImport, DirOrganisation, DirService
from boroughs.support.directory.oruk.routes import router as oruk_router
from boroughs.web.deps import form_data, get_db, require_user
from boroughs.web.templating import render

router = APIRouter(include_in_schema=False)
router.include_router(oruk_router)
PER_PAGE = 50

# ----------------------------------------------------------------------------------------- directory

@router.get("/support/directory", response_class=HTMLResponse)
def directory_list(request: Request, db: Session = Depends(get_db), need: str = "", q: str = "",
                   referrals: str = "", page: int = Query(1, ge=1)) -> HTMLResponse:
    """The service directory, searchable."""
    stmt = select(DirService).join(DirOrganisation)
    if q.strip():
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(DirService.name.ilike(like), DirService.description.ilike(like),
                              DirOrganisation.name.ilike(like)))
    if need:
        terms = directory.need_terms(db, [need])
        stmt = stmt.where(DirService.terms.any(directory.DirTerm.id.in_([t.id for t in terms])))
    if referrals:
        stmt = stmt.where(DirService.receives_referrals.is_(True))
    total = int(db.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    services = db.scalars(stmt.order_by(DirService.receives_referrals.desc(), DirService.name)
                          .offset((page - 1) * PER_PAGE).limit(PER_PAGE)).unique().all()
    user = request.state.user
    pending = len(directory.pending_changes(db)) if permissions.can(user, "support.directory.review") else None
    return render(request, "support/directory/list.html", {
        "services": services, "total": total, "page": page, "pages": max(1, math.ceil(total / PER_PAGE)),
        "need": need, "q": q, "referrals": referrals, "needs": directory.needs(), "pending": pending,
        "can_import": permissions.can(user, "support.directory.import"),
        "query": lambda p: urlencode({"need": need, "q": q, "referrals": referrals, "page": p}),
    })


@router.get("/support/directory/services/{sid}", response_class=HTMLResponse)
def directory_service(request: Request, sid: int, db: Session = Depends(get_db)) -> HTMLResponse:
    """A directory service."""
    svc = directory.get_service(db, sid)
    user = request.state.user
    owner = directory.owner_of(svc)
    return render(request, "support/directory/service.html", {
        "svc": svc, "needs": directory.needs(), "service_needs": directory.service_needs(svc),
        "can_edit": owner is not None and permissions.can(user, "support.directory.edit", owner),
        "can_status": owner is not None and permissions.can(user, "support.directory.status", owner),
        "pending": db.scalar(select(DirChange).where(DirChange.service_id == svc.id, DirChange.state == "pending")),
        "boroughs": _borough_names(db),
    })


def _borough_names(db: Session) -> dict[str, str]:
    return {o.ons_code: o.name for o in db.scalars(select(Organisation).where(Organisation.kind == OrgKind.COUNCIL))
            if o.ons_code}


def _owned_service(db: Session, user: User, sid: int, action: str) -> DirService:
    svc = directory.get_service(db, sid)
    owner = directory.owner_of(svc)
    if owner is None or not permissions.can(user, action, owner):
        raise PermissionDenied("Only the organisation that runs this service can change its listing.")
    return svc


@router.get("/support/directory/services/{sid}/edit", response_class=HTMLResponse)
def directory_edit(request: Request, sid: int, db: Session = Depends(get_db),
                   user: User = Depends(require_user)) -> HTMLResponse:
    """The form to propose changes to a directory service."""
    svc = _owned_service(db, user, sid, "support.directory.edit")
    return render(request, "support/directory/edit.html", {
        "svc": svc, "needs": directory.needs(), "service_needs": directory.service_needs(svc), "errors": {},
        "boroughs": _borough_names(db)})


@router.post("/support/directory/services/{sid}/edit", response_model=None)
def directory_edit_post(request: Request, sid: int, db: Session = Depends(get_db),
                              user: User = Depends(require_user), form: FormData = Depends(form_data)) -> Response:
    """Propose changes to a directory service (a reviewer approves them)."""
    svc = _owned_service(db, user, sid, "support.directory.edit")
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for k in ("name", "description", "url", "email", "eligibility", "fees"):
        values[k] = str(form.get(k) or "").strip() or None
    if not values["name"]:
        errors["name"] = "Enter the service's name"
    for k in ("minimum_age", "maximum_age"):
        raw = str(form.get(k) or "").strip()
        if raw and (not raw.isdigit() or int(raw) > 130):
            errors[k] = "Enter an age as a whole number from 0 to 130"
        values[k] = int(raw) if raw.isdigit() else None
    values["needs"] = [str(v) for v in form.getlist("needs")]
    values["areas"] = [str(v) for v in form.getlist("areas")]
    if errors:
        return render(request, "support/directory/edit.html", {
            "svc": svc, "needs": directory.needs(), "service_needs": set(values["needs"]), "errors": errors,
            "boroughs": _borough_names(db), "values": values}, 422)
    directory.propose_change(db, svc, user, values)
    return RedirectResponse(f"/support/directory/services/{sid}?proposed=1", status_code=303)


@router.get("/support/directory/services/{sid}/status", response_class=HTMLResponse)
def directory_status(request: Request, sid: int, db: Session = Depends(get_db),
                     user: User = Depends(require_user)) -> HTMLResponse:
    """The form to change a directory service's status."""
    svc = _owned_service(db, user, sid, "support.directory.status")
    return render(request, "support/directory/status.html", {"svc": svc, "errors": {}})


@router.post("/support/directory/services/{sid}/status", response_model=None)
def directory_status_post(request: Request, sid: int, db: Session = Depends(get_db),
                          user: User = Depends(require_user), accepting: str = Form(""),
                          waiting_days: str = Form(""), capacity_week: str = Form(""),
                          response_days: str = Form("")) -> Response:
    """Change a directory service's status."""
    svc = _owned_service(db, user, sid, "support.directory.status")
    errors = {}
    if accepting not in ("yes", "no"):
        errors["accepting"] = "Say whether the service is accepting referrals"
    nums: dict[str, int | None] = {}
    for name, raw in (("waiting_days", waiting_days), ("capacity_week", capacity_week),
                      ("response_days", response_days)):
        raw = raw.strip()
        if raw and (not raw.isdigit() or int(raw) > 365):
            errors[name] = "Enter a whole number from 0 to 365"
        nums[name] = int(raw) if raw.isdigit() else None
    if errors:
        return render(request, "support/directory/status.html", {"svc": svc, "errors": errors}, 422)
    directory.set_referral_status(db, svc, user, accepting=accepting == "yes", waiting_days=nums["waiting_days"],
                                  capacity_week=nums["capacity_week"], response_days=nums["response_days"])
    return RedirectResponse(f"/support/directory/services/{sid}?status=1", status_code=303)


@router.get("/support/directory/review", response_class=HTMLResponse)
def directory_review(request: Request, db: Session = Depends(get_db),
                     user: User = Depends(require_user)) -> HTMLResponse:
    """Proposed changes to directory services, waiting for review."""
    permissions.require(user, "support.directory.review")
    return render(request, "support/directory/review.html", {
        "changes": directory.pending_changes(db), "labels": directory.EDITABLE, "needs": directory.needs()})


@router.post("/support/directory/changes/{cid}", response_model=None)
def directory_review_post(request: Request, cid: int, db: Session = Depends(get_db),
                          user: User = Depends(require_user), decision: str = Form(""),
                          note: str = Form("")) -> Response:
    """Approve or reject a proposed change to a directory service."""
    permissions.require(user, "support.directory.review")
    change = db.get(DirChange, cid)
    if change is None:
        raise NotFound("There is no such change.")
    if decision not in ("approve", "reject"):
        raise ValidationFailed("Choose whether to approve or reject the change.")
    directory.review_change(db, change, user, approve=decision == "approve", note=note)
    return RedirectResponse("/support/directory/review", status_code=303)


@router.get("/support/directory/imports", response_class=HTMLResponse)
def directory_imports(request: Request, db: Session = Depends(get_db),
                      user: User = Depends(require_user), show: int | None = None) -> HTMLResponse:
    """The directory's Open Referral UK imports and their faults."""
    permissions.require(user, "support.directory.import")
    runs = db.scalars(select(DirImport).order_by(DirImport.id.desc()).limit(20)).all()
    chosen = db.get(DirImport, show) if show else (runs[0] if runs else None)
    return render(request, "support/directory/imports.html", {"runs": runs, "chosen": chosen})
