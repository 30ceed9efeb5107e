"""Pages of information governance for referrals: data sharing agreements (drafted, signed, ended) and a
resident's consents (recorded and withdrawn). Every read of a resident's data is audited with its purpose."""


from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from boroughs.core import permissions
from boroughs.core.db import utcnow
from boroughs.core.errors import NotFound, PermissionDenied, ValidationFailed
from boroughs.core.models import Organisation, OrgKind, User
from boroughs.support.governance import service as governance
from boroughs.support.governance.models import Agreement, Consent
from boroughs.support.records.needs import NEEDS
from boroughs.support.web.pages import int_or_none as _int
from boroughs.support.web.pages import organisations_by_id as _orgs
from boroughs.support.web.pages import resident_for as _resident
from boroughs.web.deps import form_data, get_db, require_user
from boroughs.web.templating import render

router = APIRouter(include_in_schema=False)

# ---------------------------------------------------------------------------------------- agreements

@router.get("/support/agreements", response_class=HTMLResponse)
def agreement_list(request: Request, db: Session = Depends(get_db),
                   user: User = Depends(require_user)) -> HTMLResponse:
    """The data sharing agreements the user's organisations are party to."""
    orgs = permissions.orgs_where(user, "support.agreement.view")
    if not orgs:
        raise PermissionDenied("You do not have permission to see data sharing agreements.")
    agreements = governance.agreements_for(db, orgs)
    return render(request, "support/governance/agreement_list.html", {
        "agreements": agreements, "state": governance.agreement_state,
        "can_create": bool(permissions.orgs_where(user, "support.agreement.manage"))})


def _agreement_for(db: Session, user: User, aid: int) -> Agreement:
    a = db.get(Agreement, aid)
    if a is None or not any(permissions.can(user, "support.agreement.view", p.organisation_id) for p in a.parties):
        raise NotFound("There is no such agreement.")
    return a


def _managed_agreement(db: Session, user: User, aid: int) -> Agreement:
    """The agreement, for a manager of one of its disclosing councils (else PermissionDenied)."""
    a = _agreement_for(db, user, aid)
    if not any(permissions.can(user, "support.agreement.manage", p.organisation_id)
               for p in a.parties if p.role == "discloser"):
        raise PermissionDenied("Only the disclosing council's managers can change this agreement.")
    return a


@router.get("/support/agreements/new", response_class=HTMLResponse)
def agreement_new(request: Request, db: Session = Depends(get_db),
                  user: User = Depends(require_user)) -> HTMLResponse:
    """The form to create a data sharing agreement."""
    councils = permissions.orgs_where(user, "support.agreement.manage")
    if not councils:
        raise PermissionDenied("Only council managers and administrators can create agreements.")
    return render(request, "support/governance/agreement_new.html", _agreement_form_ctx(db, councils, {}, {}))


def _agreement_form_ctx(db: Session, councils: set[int], errors: dict[str, str], values: dict[str, Any]) -> dict[str, Any]:
    vcs = db.scalars(select(Organisation).where(Organisation.kind == OrgKind.VCS).order_by(Organisation.name)).all()
    today = utcnow().date()
    defaults = {"start": today.isoformat(), "end": (today + dt.timedelta(days=730)).isoformat(),
                "review": (today + dt.timedelta(days=365)).isoformat(), "retention_days": "365",
                "retention_action": "anonymise", "art6_basis": "e"}
    return {"councils": _orgs(db, councils), "vcs": vcs, "errors": errors, "values": {**defaults, **values},
            "art6": governance.ART6, "art9": governance.ART9, "fields": governance.FIELDS, "needs": NEEDS}


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
    purpose_needs = [str(n) for n in form.getlist("needs") if str(n) in NEEDS]  # none ticked: any need
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
    ctx_values = {**v, "recipients": recipients, "fields": fields, "needs": purpose_needs}
    if errors:
        return render(request, "support/governance/agreement_new.html", _agreement_form_ctx(db, councils, errors, ctx_values), 422)
    assert council is not None
    a = governance.create_agreement(
        db, reference=v["reference"], title=v["title"], summary=v["summary"], disclosers=[council],
        recipients=recipients, art6_basis=v["art6_basis"], art6_detail=v["art6_detail"],
        art9_condition=v["art9_condition"] or None, dea_s35=form.get("dea_s35") == "yes", start=dates["start"],
        end=dates["end"], review=dates["review"], retention_action=v["retention_action"] or "anonymise",
        purposes=[governance.PurposeSpec(v["purpose_key"], v["purpose_description"], tuple(fields),
                                         int(v["retention_days"]), needs=tuple(purpose_needs))],
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
    return render(request, "support/governance/agreement_detail.html", {
        "a": a, "orgs": orgs, "state": governance.agreement_state(a), "basis": governance.basis_label(a),
        "fields": governance.FIELDS, "needs": NEEDS, "needs_consent": governance.needs_consent(a),
        "can_manage": can_manage,
        "problems": governance.problems(a) if not a.signed else []})


@router.post("/support/agreements/{aid}/purposes/{key}/needs", response_model=None)
def agreement_purpose_needs(request: Request, aid: int, key: str, db: Session = Depends(get_db),
                            user: User = Depends(require_user), form: FormData = Depends(form_data)) -> Response:
    """Change the needs a purpose of the agreement covers (none ticked: any need)."""
    a = _managed_agreement(db, user, aid)
    governance.set_purpose_needs(db, a, key, [str(n) for n in form.getlist("needs") if str(n) in NEEDS], user)
    return RedirectResponse(f"/support/agreements/{aid}", status_code=303)


@router.post("/support/agreements/{aid}/{action}", response_model=None)
def agreement_action(request: Request, aid: int, action: str, db: Session = Depends(get_db),
                     user: User = Depends(require_user), note: str = Form("")) -> Response:
    """Sign or terminate a data sharing agreement."""
    a = _managed_agreement(db, user, aid)
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
    return render(request, "support/governance/consent.html", _consent_ctx(db, r, {}, {}))


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
        return render(request, "support/governance/consent.html", _consent_ctx(db, r, errors, values), 422)
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
