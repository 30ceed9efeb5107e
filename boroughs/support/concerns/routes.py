"""Concern pages (issue 17).

* ``/raise-a-concern``: the public form (no sign-in; honeypot, time check and rate limit; no CAPTCHA).
* ``/support/concerns/new``: the form for signed-in VCS partners.
* ``/support/<council>/concerns``: the council's queue (officers and managers), each read audited.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from boroughs.core import audit, permissions
from boroughs.core.errors import NotFound, PermissionDenied, ValidationFailed
from boroughs.core.models import Organisation, OrgKind, User
from boroughs.support.concerns import permissions as concern_permissions
from boroughs.support.concerns import service
from boroughs.support.web.pages import council_for
from boroughs.web.deps import client_ip, form_data, get_db, require_user
from boroughs.web.templating import render

assert concern_permissions  # registers the actions

router = APIRouter(include_in_schema=False)


def _form_ctx(db: Session, **extra: Any) -> dict[str, Any]:
    return {"councils": service.councils(db), "categories": service.CATEGORIES, "errors": {}, "values": {},
            **extra}


# ----------------------------------------------------------------------------- public form

@router.get("/raise-a-concern")
def public_form(request: Request, db: Session = Depends(get_db)) -> Response:
    """The public form to raise a concern about a resident."""
    return render(request, "support/concerns/form.html", _form_ctx(
        db, public=True, stamp=service.form_stamp(), action="/raise-a-concern"))


@router.post("/raise-a-concern")
def public_submit(request: Request, db: Session = Depends(get_db), form: FormData = Depends(form_data)) -> Response:
    """Send a concern from the public form."""
    data = service.from_form(form)
    address = client_ip(request)
    values = dict(form)
    try:
        service.check_spam(db, honeypot=str(form.get("website") or ""), stamp=str(form.get("stamp") or ""),
                           address=address)
        concern = service.raise_concern(db, data, address=address)
    except service.ConcernRefused as exc:
        audit.record(db, "support.concern.refused", object_type="concern", purpose="public concern form",
                     detail={"reason": exc.reason})
        db.commit()  # keep the audit entry although the response is an error
        return render(request, "support/concerns/form.html", _form_ctx(
            db, public=True, stamp=service.form_stamp(), action="/raise-a-concern", values=values,
            errors={"about_name": exc.message}), 429 if exc.reason == "rate limit" else 422)
    except ValidationFailed as exc:
        return render(request, "support/concerns/form.html", _form_ctx(
            db, public=True, stamp=str(form.get("stamp") or service.form_stamp()), action="/raise-a-concern",
            values=values, errors=getattr(exc, "errors", {"about_name": str(exc)})), 422)
    return RedirectResponse(f"/raise-a-concern/sent/{concern.reference}", status_code=303)


@router.get("/raise-a-concern/sent/{reference}")
def public_sent(request: Request, reference: str, db: Session = Depends(get_db)) -> Response:
    """The confirmation that a public concern was sent, with its reference."""
    from boroughs.support.concerns.models import Concern

    c = db.scalar(select(Concern).where(Concern.reference == reference, Concern.channel == "public"))
    if c is None:
        raise NotFound("There is no such concern.")
    council = db.get(Organisation, c.council_id)
    return render(request, "support/concerns/sent.html", {"reference": c.reference,
                                                          "council": council.name if council else "",
                                                          "public": True})


# ----------------------------------------------------------------------------- VCS partners

def _vcs_org(db: Session, user: User) -> Organisation:
    ids = permissions.orgs_where(user, "support.concern.raise")
    org = db.scalar(select(Organisation).where(Organisation.id.in_(ids), Organisation.kind == OrgKind.VCS.value)
                    .order_by(Organisation.name).limit(1)) if ids else None
    if org is None:
        raise PermissionDenied("Only VCS partners raise concerns here. Residents use the public form.")
    return org


@router.get("/support/concerns/new")
def vcs_form(request: Request, sent: str = "", db: Session = Depends(get_db),
             user: User = Depends(require_user)) -> Response:
    """The form for VCS staff to raise a concern."""
    org = _vcs_org(db, user)
    return render(request, "support/concerns/form.html", _form_ctx(
        db, public=False, action="/support/concerns/new", org=org, sent=sent,
        mine=service.raised_by(db, org.id), statuses=service.STATUSES,
        council_names={o.id: o.name for o in service.councils(db)}))


@router.post("/support/concerns/new")
def vcs_submit(request: Request, db: Session = Depends(get_db), user: User = Depends(require_user),
               form: FormData = Depends(form_data)) -> Response:
    """Send a concern from a VCS organisation."""
    org = _vcs_org(db, user)
    try:
        concern = service.raise_concern(db, service.from_form(form), user=user, vcs_org_id=org.id)
    except ValidationFailed as exc:
        return render(request, "support/concerns/form.html", _form_ctx(
            db, public=False, action="/support/concerns/new", org=org, values=dict(form),
            errors=getattr(exc, "errors", {"about_name": str(exc)}), mine=service.raised_by(db, org.id),
            statuses=service.STATUSES, council_names={o.id: o.name for o in service.councils(db)}), 422)
    return RedirectResponse(f"/support/concerns/new?sent={concern.reference}", status_code=303)


# ----------------------------------------------------------------------------- the council's queue

@router.get("/support/{slug}/concerns")
def council_queue(request: Request, slug: str, status: str = "", db: Session = Depends(get_db),
                  user: User = Depends(require_user)) -> Response:
    """A council's queue of concerns to triage."""
    org = council_for(db, slug, user, "support.concern.review")
    if status not in ("", *service.STATUSES):
        status = ""
    rows = service.queue(db, org.id, status=status or None)
    audit.record(db, "support.concern.queue", actor=user, organisation_id=org.id, object_type="concern",
                 purpose="work the council's queue of concerns", detail={"status": status, "rows": len(rows)})
    db.commit()
    names = {o.id: o.name for o in db.scalars(select(Organisation).where(
        Organisation.id.in_({r.raised_by_org_id for r in rows} - {None})))}
    return render(request, "support/concerns/queue.html", {
        "org": org, "rows": rows, "status": status, "statuses": service.STATUSES,
        "counts": service.counts(db, org.id), "names": names, "base": f"/support/{org.slug}"})


def _render_concern(request: Request, db: Session, org: Organisation, user: User, concern: Any,
                    errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    audit.record(db, "support.concern.view", actor=user, organisation_id=org.id, object_type="concern",
                 object_id=concern.id, purpose="work a concern raised about a resident")
    db.commit()
    raiser = db.get(Organisation, concern.raised_by_org_id) if concern.raised_by_org_id else None
    return render(request, "support/concerns/detail.html", {
        "org": org, "c": concern, "raiser": raiser, "statuses": service.STATUSES, "errors": errors or {},
        "base": f"/support/{org.slug}",
        "may_see_resident": permissions.can(user, "support.resident.view", org.id)}, status_code)


@router.get("/support/{slug}/concerns/{cid}")
def concern_page(request: Request, slug: str, cid: int, db: Session = Depends(get_db),
                 user: User = Depends(require_user)) -> Response:
    """A concern, with its triage history."""
    org = council_for(db, slug, user, "support.concern.review")
    return _render_concern(request, db, org, user, service.get_concern(db, org.id, cid))


@router.post("/support/{slug}/concerns/{cid}")
def concern_update(request: Request, slug: str, cid: int, db: Session = Depends(get_db),
                   user: User = Depends(require_user), form: FormData = Depends(form_data)) -> Response:
    """Triage a concern: change its state, link it to a resident or add a note."""
    org = council_for(db, slug, user, "support.concern.review")
    concern = service.get_concern(db, org.id, cid)
    raw = str(form.get("resident_id") or "").strip()
    if raw and not raw.isdigit():
        return _render_concern(request, db, org, user, concern,
                               {"resident_id": "Enter the resident's number, for example 1307"}, 422)
    try:
        service.update_concern(db, concern, user, status=str(form.get("status") or ""),
                               note=str(form.get("note") or ""), resident_id=int(raw) if raw else None)
    except ValidationFailed as exc:
        db.rollback()
        concern = service.get_concern(db, org.id, cid)
        field = "resident_id" if "resident" in str(exc) else ("note" if "closing" in str(exc) else "status")
        return _render_concern(request, db, org, user, concern, {field: str(exc)}, 422)
    return RedirectResponse(f"/support/{org.slug}/concerns/{concern.id}", status_code=303)
