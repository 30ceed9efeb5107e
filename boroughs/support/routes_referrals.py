"""Pages for the service directory, data sharing agreements, consent, referrals and the VCS inbox.

Every read of a resident's data is audited with its purpose; every page checks permissions on the server.
A VCS user asking for another organisation's referral gets 'not found', exactly as for an id that does not
exist, so ids cannot be probed.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from boroughs.core import audit, permissions
from boroughs.core.db import utcnow
from boroughs.core.errors import NotFound, PermissionDenied, ValidationFailed
from boroughs.core.models import Organisation, OrgKind, User
from boroughs.support import (
    directory,
    governance,
    referral,
    referral_permissions,  # noqa: F401  (registers the actions)
)
from boroughs.support.directory_models import DirChange, DirImport, DirOrganisation, DirService
from boroughs.support.governance_models import Agreement, Consent
from boroughs.support.referral_models import Referral
from boroughs.support.routes_oruk import router as oruk_router
from boroughs.web.deps import form_data, get_db, require_user
from boroughs.web.templating import render

router = APIRouter(include_in_schema=False)
router.include_router(oruk_router)
NAV = [
    {"text": "Directory", "href": "/support/directory"},
    {"text": "Referrals", "href": "/support/referrals", "needs": "support.referral.view_sent"},
    {"text": "Referral inbox", "href": "/support/vcs/referrals", "needs": "support.referral.inbox"},
]
PER_PAGE = 50


def _orgs(db: Session, ids: set[int] | list[int]) -> dict[int, Organisation]:
    if not ids:
        return {}
    return {o.id: o for o in db.scalars(select(Organisation).where(Organisation.id.in_(list(ids))))}


def _resident(db: Session, user: User, rid: int, action: str, purpose: str) -> Any:
    """A resident of a council the user may act for; others get 'not found'. The read is audited."""
    from boroughs.support.models import Resident

    r = db.get(Resident, rid)
    if r is None or not permissions.can(user, action, r.organisation_id):
        raise NotFound("There is no such resident in your council's records.")
    audit.record(db, "support.resident.read", actor=user, organisation_id=r.organisation_id, object_type="resident",
                 object_id=r.id, purpose=purpose)
    return r


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


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
    return render(request, "support/directory_list.html", {
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
    return render(request, "support/directory_service.html", {
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
    return render(request, "support/directory_edit.html", {
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
        return render(request, "support/directory_edit.html", {
            "svc": svc, "needs": directory.needs(), "service_needs": set(values["needs"]), "errors": errors,
            "boroughs": _borough_names(db), "values": values}, 422)
    directory.propose_change(db, svc, user, values)
    return RedirectResponse(f"/support/directory/services/{sid}?proposed=1", status_code=303)


@router.get("/support/directory/services/{sid}/status", response_class=HTMLResponse)
def directory_status(request: Request, sid: int, db: Session = Depends(get_db),
                     user: User = Depends(require_user)) -> HTMLResponse:
    """The form to change a directory service's status."""
    svc = _owned_service(db, user, sid, "support.directory.status")
    return render(request, "support/directory_status.html", {"svc": svc, "errors": {}})


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
        return render(request, "support/directory_status.html", {"svc": svc, "errors": errors}, 422)
    directory.set_referral_status(db, svc, user, accepting=accepting == "yes", waiting_days=nums["waiting_days"],
                                  capacity_week=nums["capacity_week"], response_days=nums["response_days"])
    return RedirectResponse(f"/support/directory/services/{sid}?status=1", status_code=303)


@router.get("/support/directory/review", response_class=HTMLResponse)
def directory_review(request: Request, db: Session = Depends(get_db),
                     user: User = Depends(require_user)) -> HTMLResponse:
    """Proposed changes to directory services, waiting for review."""
    permissions.require(user, "support.directory.review")
    return render(request, "support/directory_review.html", {
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
    return render(request, "support/directory_imports.html", {"runs": runs, "chosen": chosen})


# ---------------------------------------------------------------------------------------- agreements

@router.get("/support/agreements", response_class=HTMLResponse)
def agreement_list(request: Request, db: Session = Depends(get_db),
                   user: User = Depends(require_user)) -> HTMLResponse:
    """The data sharing agreements the user's organisations are party to."""
    orgs = permissions.orgs_where(user, "support.agreement.view")
    if not orgs:
        raise PermissionDenied("You do not have permission to see data sharing agreements.")
    agreements = governance.agreements_for(db, orgs)
    return render(request, "support/agreement_list.html", {
        "agreements": agreements, "state": governance.agreement_state,
        "can_create": bool(permissions.orgs_where(user, "support.agreement.manage"))})


def _agreement_for(db: Session, user: User, aid: int) -> Agreement:
    a = db.get(Agreement, aid)
    if a is None or not any(permissions.can(user, "support.agreement.view", p.organisation_id) for p in a.parties):
        raise NotFound("There is no such agreement.")
    return a


@router.get("/support/agreements/new", response_class=HTMLResponse)
def agreement_new(request: Request, db: Session = Depends(get_db),
                  user: User = Depends(require_user)) -> HTMLResponse:
    """The form to create a data sharing agreement."""
    councils = permissions.orgs_where(user, "support.agreement.manage")
    if not councils:
        raise PermissionDenied("Only council managers and administrators can create agreements.")
    return render(request, "support/agreement_new.html", _agreement_form_ctx(db, councils, {}, {}))


def _agreement_form_ctx(db: Session, councils: set[int], errors: dict[str, str], values: dict[str, Any]) -> dict[str, Any]:
    vcs = db.scalars(select(Organisation).where(Organisation.kind == OrgKind.VCS).order_by(Organisation.name)).all()
    today = utcnow().date()
    defaults = {"start": today.isoformat(), "end": (today + dt.timedelta(days=730)).isoformat(),
                "review": (today + dt.timedelta(days=365)).isoformat(), "retention_days": "365",
                "retention_action": "anonymise", "art6_basis": "e"}
    return {"councils": _orgs(db, councils), "vcs": vcs, "errors": errors, "values": {**defaults, **values},
            "art6": governance.ART6, "art9": governance.ART9, "fields": governance.FIELDS}


@router.post("/support/agreements/new", response_model=None)
def agreement_new_post(request: Request, db: Session = Depends(get_db),
                             user: User = Depends(require_user), form: FormData = Depends(form_data)) -> Response:
    """Create a data sharing agreement."""
    councils = permissions.orgs_where(user, "support.agreement.manage")
    if not councils:
        raise PermissionDenied("Only council managers and administrators can create agreements.")
    v = {k: str(form.get(k) or "").strip() for k in ("reference", "title", "summary", "art6_basis", "art6_detail",
                                                      "art9_condition", "start", "end", "review", "purpose_key",
                                                      "purpose_description", "retention_days", "retention_action",
                                                      "council")}
    recipients = [int(str(x)) for x in form.getlist("recipients") if str(x).isdigit()]
    fields = [str(f) for f in form.getlist("fields") if str(f) in governance.FIELDS]
    errors: dict[str, str] = {}
    council = _int(v["council"])
    if council not in councils:
        errors["council"] = "Choose your council"
    if not v["reference"]:
        errors["reference"] = "Enter the agreement's reference"
    elif db.scalar(select(Agreement).where(Agreement.reference == v["reference"])):
        errors["reference"] = "An agreement with this reference already exists"
    if not v["title"]:
        errors["title"] = "Enter a title"
    if not recipients:
        errors["recipients"] = "Choose at least one organisation that receives data"
    if v["art6_basis"] not in governance.ART6:
        errors["art6_basis"] = "Choose the Article 6 lawful basis"
    dates: dict[str, dt.date] = {}
    for k in ("start", "end", "review"):
        try:
            dates[k] = dt.date.fromisoformat(v[k])
        except ValueError:
            errors[k] = "Enter a date like 2026-04-01"
    if not v["purpose_key"] or not v["purpose_description"]:
        errors["purpose_key"] = "Name the purpose and describe it"
    if not fields:
        errors["fields"] = "Choose the fields this purpose may share"
    if not v["retention_days"].isdigit() or int(v["retention_days"]) < 1:
        errors["retention_days"] = "Enter the retention period in days"
    if any(f in governance.SPECIAL_CATEGORY for f in fields) and v["art9_condition"] not in governance.ART9:
        errors["art9_condition"] = "Special category data is shared: choose the Article 9 condition"
    ctx_values = {**v, "recipients": recipients, "fields": fields}
    if errors:
        return render(request, "support/agreement_new.html", _agreement_form_ctx(db, councils, errors, ctx_values), 422)
    assert council is not None
    a = governance.create_agreement(
        db, reference=v["reference"], title=v["title"], summary=v["summary"], disclosers=[council],
        recipients=recipients, art6_basis=v["art6_basis"], art6_detail=v["art6_detail"],
        art9_condition=v["art9_condition"] or None, dea_s35=form.get("dea_s35") == "yes", start=dates["start"],
        end=dates["end"], review=dates["review"], retention_action=v["retention_action"] or "anonymise",
        purposes=[governance.PurposeSpec(v["purpose_key"], v["purpose_description"], tuple(fields),
                                         int(v["retention_days"]))],
        sign=form.get("sign") == "yes", actor=user)
    return RedirectResponse(f"/support/agreements/{a.id}", status_code=303)


@router.get("/support/agreements/{aid}", response_class=HTMLResponse)
def agreement_detail(request: Request, aid: int, db: Session = Depends(get_db),
                     user: User = Depends(require_user)) -> HTMLResponse:
    """A data sharing agreement: its parties, purposes, fields and state."""
    a = _agreement_for(db, user, aid)
    orgs = _orgs(db, {p.organisation_id for p in a.parties})
    can_manage = any(permissions.can(user, "support.agreement.manage", p.organisation_id)
                     for p in a.parties if p.role == "discloser")
    return render(request, "support/agreement_detail.html", {
        "a": a, "orgs": orgs, "state": governance.agreement_state(a), "basis": governance.basis_label(a),
        "fields": governance.FIELDS, "needs_consent": governance.needs_consent(a), "can_manage": can_manage,
        "problems": governance.problems(a) if not a.signed else []})


@router.post("/support/agreements/{aid}/{action}", response_model=None)
def agreement_action(request: Request, aid: int, action: str, db: Session = Depends(get_db),
                     user: User = Depends(require_user), note: str = Form("")) -> Response:
    """Sign or terminate a data sharing agreement."""
    a = _agreement_for(db, user, aid)
    if not any(permissions.can(user, "support.agreement.manage", p.organisation_id)
               for p in a.parties if p.role == "discloser"):
        raise PermissionDenied("Only the disclosing council's managers can change this agreement.")
    if action == "sign":
        governance.sign_agreement(db, a, user)
    elif action == "terminate":
        governance.terminate_agreement(db, a, user, note)
    else:
        raise NotFound("No such action.")
    return RedirectResponse(f"/support/agreements/{aid}", status_code=303)


# ------------------------------------------------------------------------------------------- consent

@router.get("/support/residents/{rid}/consents", response_class=HTMLResponse)
def consent_page(request: Request, rid: int, db: Session = Depends(get_db),
                 user: User = Depends(require_user)) -> HTMLResponse:
    """A resident's consents."""
    r = _resident(db, user, rid, "support.consent.manage", "record or review consent to share")
    return render(request, "support/consent_page.html", _consent_ctx(db, r, {}, {}))


def _consent_ctx(db: Session, r: Any, errors: dict[str, str], values: dict[str, Any]) -> dict[str, Any]:
    consents = db.scalars(select(Consent).where(Consent.resident_id == r.id).order_by(Consent.id.desc())).all()
    agreements = [a for a in governance.agreements_for(db, [r.organisation_id])
                  if governance.needs_consent(a) and governance.is_live(a)]
    return {"r": r, "consents": consents, "agreements": agreements, "state": governance.consent_state,
            "methods": governance.CONSENT_METHODS, "errors": errors,
            "values": {"given_on": utcnow().date().isoformat(), **values},
            "agreement_names": {a.id: a.title for a in db.scalars(select(Agreement))}}


@router.post("/support/residents/{rid}/consents", response_model=None)
def consent_record(request: Request, rid: int, db: Session = Depends(get_db), user: User = Depends(require_user),
                   agreement_id: str = Form(""), scope: str = Form(""), method: str = Form(""),
                   given_by: str = Form(""), given_on: str = Form(""), expires_on: str = Form("")) -> Response:
    """Record a resident's consent."""
    r = _resident(db, user, rid, "support.consent.manage", "record consent to share")
    errors: dict[str, str] = {}
    aid = _int(agreement_id)
    allowed = {a.id for a in governance.agreements_for(db, [r.organisation_id]) if governance.needs_consent(a)}
    if aid not in allowed:
        errors["agreement_id"] = "Choose the agreement the resident consents to"
    if not scope.strip():
        errors["scope"] = "Describe what the resident agreed to"
    if method not in governance.CONSENT_METHODS:
        errors["method"] = "Choose how consent was given"
    dates: dict[str, dt.date | None] = {}
    for k, raw in (("given_on", given_on), ("expires_on", expires_on)):
        try:
            dates[k] = dt.date.fromisoformat(raw.strip()) if raw.strip() else None
        except ValueError:
            errors[k] = "Enter a date like 2026-04-01"
    if not errors and dates["given_on"] is None:
        errors["given_on"] = "Enter the date consent was given"
    if not errors:
        try:
            assert aid is not None and dates["given_on"] is not None
            governance.record_consent(db, council_id=r.organisation_id, resident_id=r.id, agreement_id=aid,
                                      scope=scope, given_on=dates["given_on"], method=method, recorded_by=user,
                                      given_by=given_by or "the resident", expires_on=dates["expires_on"])
        except ValidationFailed as exc:
            errors["scope"] = str(exc)
    if errors:
        values = {"agreement_id": aid, "scope": scope, "method": method, "given_by": given_by,
                  "given_on": given_on, "expires_on": expires_on}
        return render(request, "support/consent_page.html", _consent_ctx(db, r, errors, values), 422)
    back = request.query_params.get("next") or f"/support/residents/{rid}/consents"
    if not back.startswith("/support/"):
        back = f"/support/residents/{rid}/consents"
    return RedirectResponse(back, status_code=303)


@router.post("/support/consents/{cid}/withdraw", response_model=None)
def consent_withdraw(request: Request, cid: int, db: Session = Depends(get_db), user: User = Depends(require_user),
                     note: str = Form("")) -> Response:
    """Record that a resident withdrew a consent."""
    c = db.get(Consent, cid)
    if c is None or not permissions.can(user, "support.consent.manage", c.council_id):
        raise NotFound("There is no such consent.")
    governance.withdraw_consent(db, c, user, note)
    return RedirectResponse(f"/support/residents/{c.resident_id}/consents?withdrawn=1", status_code=303)


# -------------------------------------------------------------------------------- officer: referring

@router.get("/support/cases/{case_id}/refer")
def referral_from_case(request: Request, case_id: int, db: Session = Depends(get_db),
                       user: User = Depends(require_user)) -> RedirectResponse:
    """Start a referral from an outreach case."""
    from boroughs.support import outreach

    try:
        case = outreach.get_case(db, case_id)
    except NotFound:
        raise NotFound("There is no such outreach case.") from None
    if not permissions.can(user, "support.referral.create", case.organisation_id):
        raise NotFound("There is no such outreach case.")
    return RedirectResponse(f"/support/residents/{case.resident_id}/refer?case={case_id}", status_code=303)


@router.get("/support/referrals/start", response_model=None)
def referral_start_lookup(request: Request, resident: str = "", user: User = Depends(require_user)) -> Response:
    """Start a referral: look up the resident by number."""
    if not permissions.orgs_where(user, "support.referral.create"):
        raise PermissionDenied("Only council officers can make referrals.")
    rid = _int(resident.strip())
    if rid is None:
        return render(request, "support/referral_lookup.html", {"error": "Enter a resident number" if resident else None})
    return RedirectResponse(f"/support/residents/{rid}/refer", status_code=303)


def _refer_context(db: Session, user: User, rid: int, case: int | None, needs_selected: list[str] | None,
                   purpose: str) -> dict[str, Any]:
    r = _resident(db, user, rid, "support.referral.create", purpose)
    case_needs: list[str] = []
    if case is not None:
        res_id, case_needs = referral.case_needs(db, case, r.organisation_id)
        if res_id != r.id:
            raise NotFound("There is no such outreach case for this resident.")
    chosen = needs_selected if needs_selected is not None else case_needs
    facts = referral.resident_facts(db, r.id)
    council = db.get(Organisation, r.organisation_id)
    matches = directory.rank_services(db, needs_wanted=chosen, borough_code=council.ons_code if council else None,
                                      age=facts.age, council_id=r.organisation_id)
    return {"r": r, "case": case, "case_needs": case_needs, "chosen": chosen, "needs": directory.needs(),
            "matches": matches, "facts": facts}


@router.get("/support/residents/{rid}/refer", response_class=HTMLResponse)
def referral_choose(request: Request, rid: int, db: Session = Depends(get_db), user: User = Depends(require_user),
                    case: int | None = None) -> HTMLResponse:
    """Choose the services to refer a resident to."""
    needs_selected = request.query_params.getlist("need") if "need" in request.query_params else None
    ctx = _refer_context(db, user, rid, case, needs_selected, "choose services to refer a resident to")
    ctx["errors"] = {}
    return render(request, "support/referral_choose.html", ctx)


@router.post("/support/residents/{rid}/refer/preview", response_model=None)
def referral_preview(request: Request, rid: int, db: Session = Depends(get_db),
                           user: User = Depends(require_user), form: FormData = Depends(form_data)) -> Response:
    """Preview what a referral will share, with whom, before sending it."""
    case = _int(str(form.get("case") or ""))
    needs_selected = [str(n) for n in form.getlist("need")]
    service_ids = [int(str(s)) for s in form.getlist("service") if str(s).isdigit()]
    reason = str(form.get("reason") or "").strip()
    if not service_ids:
        ctx = _refer_context(db, user, rid, case, needs_selected, "choose services to refer a resident to")
        ctx["errors"] = {"services": "Choose at least one service"}
        ctx["reason"] = reason
        return render(request, "support/referral_choose.html", ctx, 422)
    r = _resident(db, user, rid, "support.referral.create", "check what a referral would share")
    drafts = referral.draft_referrals(db, user, council_id=r.organisation_id, resident_id=r.id,
                                      service_ids=service_ids, needs_list=needs_selected, reason=reason or None)
    return render(request, "support/referral_preview.html", {
        "r": r, "drafts": drafts, "fields": governance.FIELDS, "case": case, "needs_selected": needs_selected,
        "reason": reason, "basis": governance.basis_label, "any_refused": any(d.permit is None for d in drafts)})


@router.post("/support/residents/{rid}/refer/send", response_model=None)
def referral_send(request: Request, rid: int, db: Session = Depends(get_db),
                        user: User = Depends(require_user), form: FormData = Depends(form_data)) -> Response:
    """Send a referral."""
    r = _resident(db, user, rid, "support.referral.create", "send a referral")
    batch = referral.send_referrals(
        db, user, council_id=r.organisation_id, resident_id=r.id,
        service_ids=[int(str(s)) for s in form.getlist("service") if str(s).isdigit()],
        needs_list=[str(n) for n in form.getlist("need")], reason=str(form.get("reason") or "").strip() or None,
        outreach_case_id=_int(str(form.get("case") or "")))
    return RedirectResponse(f"/support/referrals?sent={batch.id}", status_code=303)


@router.get("/support/referrals", response_class=HTMLResponse)
def referral_list(request: Request, db: Session = Depends(get_db), user: User = Depends(require_user),
                  sent: int | None = None) -> HTMLResponse:
    """The referrals the user's council made."""
    councils = permissions.orgs_where(user, "support.referral.view_sent")
    if not councils:
        raise PermissionDenied("Only council officers and managers can see referrals their council made.")
    rows = []
    for c in sorted(councils):
        rows.extend(referral.sent_by_council(db, user, c))
    rows.sort(key=lambda x: (not x.officer_unseen, -x.sent_at.timestamp()))
    services = {s.id: s for s in db.scalars(select(DirService).where(DirService.id.in_({x.service_id for x in rows})))}
    from boroughs.support.models import Resident

    residents = {x.id: x for x in db.scalars(select(Resident).where(Resident.id.in_({x.resident_id for x in rows})))}
    audit.record(db, "support.referral.list", actor=user, object_type="referral_list",
                 purpose=referral.PURPOSE_OFFICER, detail={"count": len(rows)})
    return render(request, "support/referral_list.html", {
        "rows": rows, "services": services, "residents": residents, "labels": referral.STATUS_LABELS,
        "sent": sent, "overdue_now": utcnow()})


@router.get("/support/referrals/report", response_model=None)
def referral_report(request: Request, db: Session = Depends(get_db), user: User = Depends(require_user),
                    org: int | None = None, start: str = "", end: str = "", format: str = "html") -> Response:
    """The partnership report per service (``?format=csv`` downloads it)."""
    allowed = permissions.orgs_where(user, "support.referral.report")
    if not allowed:
        raise PermissionDenied("You do not have permission to see partnership reports.")
    orgs = _orgs(db, allowed)
    choice = org if org in allowed else sorted(allowed)[0]
    chosen = orgs[choice]
    dates: dict[str, dt.date | None] = {}
    for k, raw in (("start", start), ("end", end)):
        try:
            dates[k] = dt.date.fromisoformat(raw) if raw else None
        except ValueError:
            dates[k] = None
    kwargs: dict[str, Any] = {"start": dates["start"], "end": dates["end"]}
    if chosen.kind == OrgKind.VCS:
        kwargs["vcs_org_id"] = chosen.id
    else:
        kwargs["council_id"] = chosen.id
    rows = referral.partnership_report(db, **kwargs)
    if format == "csv":
        return Response(referral.report_csv(rows), media_type="text/csv", headers={
            "Content-Disposition": f'attachment; filename="partnership-report-{chosen.slug}.csv"'})
    return render(request, "support/referral_report.html", {
        "rows": rows, "orgs": orgs, "chosen": chosen, "start": start, "end": end, "outcomes": referral.OUTCOMES})


@router.get("/support/referrals/{ref_id}", response_class=HTMLResponse)
def referral_detail(request: Request, ref_id: int, db: Session = Depends(get_db),
                    user: User = Depends(require_user)) -> HTMLResponse:
    """A referral and what happened to it."""
    ref = referral.get_for_council(db, user, ref_id)
    referral.mark_seen(ref)
    from boroughs.support.models import Resident

    return render(request, "support/referral_detail.html", {
        "ref": ref, "svc": db.get(DirService, ref.service_id), "resident": db.get(Resident, ref.resident_id),
        "labels": referral.STATUS_LABELS, "fields": governance.FIELDS, "outcomes": referral.OUTCOMES,
        "agreement": db.get(Agreement, ref.agreement_id), "orgs": _orgs(db, {ref.vcs_org_id, ref.council_id})})


@router.get("/support/residents/{rid}/shares", response_class=HTMLResponse)
def referral_shares(request: Request, rid: int, db: Session = Depends(get_db),
                    user: User = Depends(require_user)) -> HTMLResponse:
    """What has been shared about a resident, and with whom."""
    r = _resident(db, user, rid, "support.referral.view_sent", "see who this resident's data was shared with")
    return render(request, "support/referral_shares.html", {"r": r, "shares": referral.shares_for_resident(db, r.id)})


# ------------------------------------------------------------------------------------------ VCS side

@router.get("/support/vcs/referrals", response_class=HTMLResponse)
def vcs_inbox(request: Request, db: Session = Depends(get_db), user: User = Depends(require_user),
              org: int | None = None, status: str = "open", page: int = Query(1, ge=1)) -> HTMLResponse:
    """A VCS organisation's referral inbox."""
    mine = referral.inbox_orgs(user)
    if not mine:
        raise PermissionDenied("Only staff of voluntary and community organisations have a referral inbox.")
    org_id = org if org in mine else sorted(mine)[0]
    rows, total = referral.inbox(db, user, org_id, status=status or None, page=page, per_page=PER_PAGE)
    services = dict(db.execute(select(DirService.id, DirService.name).where(
        DirService.id.in_({x.service_id for x in rows}))).all()) if rows else {}
    orgs = _orgs(db, mine | {x.council_id for x in rows})
    councils = {x.council_id: orgs[x.council_id].name for x in rows}
    response = render(request, "support/vcs_inbox.html", {
        "rows": rows, "total": total, "page": page, "pages": max(1, math.ceil(total / PER_PAGE)),
        "status": status, "org": orgs[org_id], "orgs": {i: orgs[i] for i in sorted(mine)}, "services": services,
        "councils": councils, "labels": referral.STATUS_LABELS, "now": utcnow(),
        "overdue": referral.overdue_for_org(db, org_id)})
    # audited last: the audit chain's lock is then held only for the insert and the commit
    audit.record(db, "support.referral.inbox", actor=user, organisation_id=org_id, object_type="referral_inbox",
                 purpose=referral.PURPOSE_READ, detail={"page": page, "status": status, "shown": len(rows)})
    return response


@router.get("/support/vcs/referrals/{ref_id}", response_class=HTMLResponse)
def vcs_referral(request: Request, ref_id: int, db: Session = Depends(get_db),
                 user: User = Depends(require_user)) -> HTMLResponse:
    """A referral received by a VCS organisation."""
    ref = referral.get_for_vcs(db, user, ref_id)
    return _vcs_page(request, db, user, ref, {})


def _vcs_page(request: Request, db: Session, user: User, ref: Referral, errors: dict[str, str],
              status_code: int = 200) -> HTMLResponse:
    return render(request, "support/vcs_referral.html", {
        "ref": ref, "svc": db.get(DirService, ref.service_id), "shared": referral.visible_shared(db, ref),
        "fields": governance.FIELDS, "labels": referral.STATUS_LABELS, "outcomes": referral.OUTCOMES,
        "council": db.get(Organisation, ref.council_id), "errors": errors,
        "can_respond": permissions.can(user, "support.referral.respond", ref.vcs_org_id),
        "agreement": db.get(Agreement, ref.agreement_id)}, status_code)


@router.post("/support/vcs/referrals/{ref_id}/{action}", response_model=None)
def vcs_action(request: Request, ref_id: int, action: str, db: Session = Depends(get_db),
               user: User = Depends(require_user), reason: str = Form(""), note: str = Form(""),
               outcome: str = Form("")) -> Response:
    """Respond to a referral: accept, decline, record contact or record the outcome."""
    ref = referral.get_for_vcs(db, user, ref_id, action="support.referral.respond")
    try:
        if action == "accept":
            referral.accept(db, user, ref, note)
        elif action == "decline":
            referral.decline(db, user, ref, reason)
        elif action == "contact":
            referral.record_contact(db, user, ref, note)
        elif action == "outcome":
            referral.record_outcome(db, user, ref, outcome, note)
        else:
            raise NotFound("No such action.")
    except ValidationFailed as exc:
        field = {"decline": "reason", "contact": "note", "outcome": "outcome"}.get(action, "action")
        db.rollback()
        ref = referral.get_for_vcs(db, user, ref_id, action="support.referral.respond")
        return _vcs_page(request, db, user, ref, {field: str(exc)}, 422)
    return RedirectResponse(f"/support/vcs/referrals/{ref_id}?done={action}", status_code=303)
