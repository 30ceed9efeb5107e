"""Pages of referrals: the officer choosing a service, previewing the minimised referral and sending it,
the sent list, report and resident's shares, and the VCS inbox.

Every read of a resident's data is audited with its purpose; every page checks permissions on the server.
A VCS user asking for another organisation's referral gets 'not found', exactly as for an id that does not
exist, so ids cannot be probed.
"""


from __future__ import annotations

import datetime as dt
import math
from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from boroughs.core import audit, permissions
from boroughs.core.db import utcnow
from boroughs.core.errors import NotFound, PermissionDenied, ValidationFailed
from boroughs.core.models import Organisation, OrgKind, User
from boroughs.support.directory import service as directory
from boroughs.support.governance import service as governance
from boroughs.support.referrals import service as referral
from boroughs.support.referrals.models import Referral
from boroughs.support.web.pages import int_or_none as _int
from boroughs.support.web.pages import organisations_by_id as _orgs
from boroughs.support.web.pages import resident_for as _resident
from boroughs.web.deps import form_data, get_db, require_user
from boroughs.web.templating import render

router = APIRouter(include_in_schema=False)
PER_PAGE = 50

# -------------------------------------------------------------------------------- officer: referring

@router.get("/support/cases/{case_id}/refer")
def referral_from_case(request: Request, case_id: int, db: Session = Depends(get_db),
                       user: User = Depends(require_user)) -> RedirectResponse:
    """Start a referral from an outreach case."""
    from boroughs.support.outreach import service as outreach

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
        return render(request, "support/referrals/lookup.html", {"error": "Enter a resident number" if resident else None})
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
    return render(request, "support/referrals/choose.html", ctx)


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
        return render(request, "support/referrals/choose.html", ctx, 422)
    r = _resident(db, user, rid, "support.referral.create", "check what a referral would share")
    drafts = referral.draft_referrals(db, user, council_id=r.organisation_id, resident_id=r.id,
                                      service_ids=service_ids, needs_list=needs_selected, reason=reason or None)
    return render(request, "support/referrals/preview.html", {
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
    services = directory.services_by_id(db, {x.service_id for x in rows})
    from boroughs.support.records.models import Resident

    residents = {x.id: x for x in db.scalars(select(Resident).where(Resident.id.in_({x.resident_id for x in rows})))}
    audit.record(db, "support.referral.list", actor=user, object_type="referral_list",
                 purpose=referral.PURPOSE_OFFICER, detail={"count": len(rows)})
    return render(request, "support/referrals/list.html", {
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
    return render(request, "support/referrals/report.html", {
        "rows": rows, "orgs": orgs, "chosen": chosen, "start": start, "end": end, "outcomes": referral.OUTCOMES})


@router.get("/support/referrals/{ref_id}", response_class=HTMLResponse)
def referral_detail(request: Request, ref_id: int, db: Session = Depends(get_db),
                    user: User = Depends(require_user)) -> HTMLResponse:
    """A referral and what happened to it."""
    ref = referral.get_for_council(db, user, ref_id)
    referral.mark_seen(ref)
    from boroughs.support.records.models import Resident

    return render(request, "support/referrals/detail.html", {
        "ref": ref, "svc": directory.services_by_id(db, [ref.service_id]).get(ref.service_id), "resident": db.get(Resident, ref.resident_id),
        "labels": referral.STATUS_LABELS, "fields": governance.FIELDS, "outcomes": referral.OUTCOMES,
        "agreement": governance.get_agreement(db, ref.agreement_id), "orgs": _orgs(db, {ref.vcs_org_id, ref.council_id})})


@router.get("/support/residents/{rid}/shares", response_class=HTMLResponse)
def referral_shares(request: Request, rid: int, db: Session = Depends(get_db),
                    user: User = Depends(require_user)) -> HTMLResponse:
    """What has been shared about a resident, and with whom."""
    r = _resident(db, user, rid, "support.referral.view_sent", "see who this resident's data was shared with")
    return render(request, "support/referrals/shares.html", {"r": r, "shares": referral.shares_for_resident(db, r.id)})


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
    services = directory.service_names(db, {x.service_id for x in rows})
    orgs = _orgs(db, mine | {x.council_id for x in rows})
    councils = {x.council_id: orgs[x.council_id].name for x in rows}
    response = render(request, "support/referrals/vcs_inbox.html", {
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
    return render(request, "support/referrals/vcs_referral.html", {
        "ref": ref, "svc": directory.services_by_id(db, [ref.service_id]).get(ref.service_id), "shared": referral.visible_shared(db, ref),
        "fields": governance.FIELDS, "labels": referral.STATUS_LABELS, "outcomes": referral.OUTCOMES,
        "council": db.get(Organisation, ref.council_id), "errors": errors,
        "can_respond": permissions.can(user, "support.referral.respond", ref.vcs_org_id),
        "agreement": governance.get_agreement(db, ref.agreement_id)}, status_code)


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
