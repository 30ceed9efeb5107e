"""Pages of the benefit take-up campaign, under ``/support/<council slug>/entitlements``.

The summary (households, estimated annual value, by ward, and how accurate past estimates were) is for
every council staff role; the campaign worklist and its cases name residents, so they are for officers and
managers, and each read is audited with its purpose.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from boroughs.core import audit, permissions
from boroughs.core.errors import NotFound, PermissionDenied, ValidationFailed
from boroughs.core.models import Organisation, User
from boroughs.support.entitlements import campaign
from boroughs.support.entitlements import permissions as entitlement_permissions
from boroughs.support.entitlements.rates import for_date
from boroughs.support.entitlements.schemes import working_age_scheme
from boroughs.support.outreach import service as outreach
from boroughs.support.web.pages import council_for as _council
from boroughs.support.web.pages import page_context
from boroughs.web.deps import form_data, get_db, require_user
from boroughs.web.templating import render

assert entitlement_permissions  # registers the actions
router = APIRouter()


def _ctx(org: Organisation, user: User, **extra: Any) -> dict[str, Any]:
    return page_context(org, user, benefits=campaign.BENEFITS, **extra)


@router.get("/support/{slug}/entitlements")
def summary_page(request: Request, slug: str, db: Session = Depends(get_db),
                 user: User = Depends(require_user)) -> Response:
    """Benefit take-up: households likely missing out on Pension Credit, Housing Benefit or Council Tax
    Reduction, how much and where."""
    import datetime as dt

    org = _council(db, slug, user, "support.entitlements.view")
    households, annual, wards = campaign.summary(db, org.id)
    rates = for_date(dt.date.today())
    return render(request, "support/entitlements/summary.html", _ctx(
        org, user, households=households, annual=annual, wards=wards, accuracy=campaign.accuracy(db, org.id),
        per_benefit=campaign.by_benefit(db, org.id), working_age=working_age_scheme(org.ons_code, dt.date.today()),
        rates=rates, fair=campaign.fairness(db, org.id), refreshed=request.query_params.get("refreshed")))


@router.post("/support/{slug}/entitlements/refresh")
def refresh(slug: str, db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """Estimate take-up again from the latest records and open new cases."""
    org = _council(db, slug, user, "support.entitlements.refresh")
    result = campaign.refresh(db, org.id, user)
    return RedirectResponse(f"/support/{org.slug}/entitlements?refreshed={result.current}&opened={result.cases_opened}",
                            status_code=303)


@router.get("/support/{slug}/entitlements/campaign")
def campaign_page(request: Request, slug: str, ward: str = "", benefit: str = "", min_annual: str = "",
                  page: int = 1, db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """The take-up campaign's worklist."""
    org = _council(db, slug, user, "support.outreach.view")
    try:
        floor = float(min_annual) if min_annual.strip() else None
    except ValueError:
        floor = None
    page = max(1, min(page, 10_000))
    rows, total = campaign.worklist(db, org.id, ward=ward or None, benefit=benefit or None, min_annual=floor, page=page)
    manager = permissions.can(user, "support.outreach.assign", org.id)
    audit.record(db, "support.entitlements.worklist", actor=user, organisation_id=org.id, object_type="worklist",
                 purpose="benefit take-up outreach: choose residents to contact",
                 detail={"ward": ward, "benefit": benefit, "page": page, "rows": len(rows)})
    db.commit()
    _, _, wards = campaign.summary(db, org.id)
    pages = max(1, -(-total // campaign.PAGE_SIZE))
    return render(request, "support/entitlements/campaign.html", _ctx(
        org, user, rows=rows, total=total, page=page, pages=pages, ward=ward, benefit=benefit, min_annual=min_annual,
        wards=[w.ward for w in wards], manager=manager, officers=outreach.officers(db, org.id) if manager else [],
        query=lambda **kw: urlencode({"ward": ward, "benefit": benefit, "min_annual": min_annual, **kw})))


@router.post("/support/{slug}/entitlements/campaign/assign")
def assign(slug: str, form: FormData = Depends(form_data), db: Session = Depends(get_db),
           user: User = Depends(require_user)) -> Response:
    """Assign take-up cases to an officer."""
    org = _council(db, slug, user, "support.outreach.assign")
    ids = [int(x) for x in form.getlist("case_ids") if isinstance(x, str) and x.isdigit()]
    officer = str(form.get("officer_id") or "")
    if not officer.isdigit():
        raise ValidationFailed("Choose the officer to assign the cases to.")
    n = outreach.bulk_assign(db, org.id, ids, int(officer), user)
    return RedirectResponse(f"/support/{org.slug}/entitlements/campaign?assigned={n}", status_code=303)


@router.get("/support/{slug}/entitlements/by-case/{cid}")
def by_case(slug: str, cid: int, db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """The take-up estimate of an outreach case."""
    from boroughs.support.entitlements.models import EntitlementEstimate

    org = _council(db, slug, user, "support.outreach.view")
    est = db.scalar(select(EntitlementEstimate).where(EntitlementEstimate.organisation_id == org.id,
                                                      EntitlementEstimate.case_id == cid)
                    .order_by(EntitlementEstimate.annual_amount.desc()).limit(1))
    if est is None:
        raise NotFound("This outreach case has no take-up estimate.")
    return RedirectResponse(f"/support/{org.slug}/entitlements/cases/{est.id}", status_code=303)


@router.get("/support/{slug}/entitlements/cases/{eid}")
def case_page(request: Request, slug: str, eid: int, db: Session = Depends(get_db),
              user: User = Depends(require_user)) -> Response:
    """A take-up case: the estimate, its reasons and what happened."""
    from boroughs.support.records.models import Resident

    org = _council(db, slug, user, "support.outreach.view")
    est = campaign.get_estimate(db, org.id, eid)
    resident = db.get(Resident, est.resident_id)
    case = outreach.get_case(db, est.case_id) if est.case_id else None
    audit.record(db, "support.entitlements.case_view", actor=user, organisation_id=org.id, object_type="resident",
                 object_id=est.resident_id, purpose="benefit take-up outreach: work the case")
    db.commit()
    may_record = permissions.can(user, "support.entitlements.outcome", org.id) and (
        permissions.can(user, "support.outreach.assign", org.id) or (case is not None and case.assigned_to_id == user.id))
    return render(request, "support/entitlements/case.html", _ctx(
        org, user, est=est, resident=resident, case=case, outcomes=campaign.outcomes_of(db, est.id),
        others=campaign.others_of(db, est), choices=campaign.OUTCOMES, may_record=may_record, errors={}, values={}))


@router.post("/support/{slug}/entitlements/cases/{eid}/outcome")
def record_outcome(request: Request, slug: str, eid: int, form: FormData = Depends(form_data),
                   db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """Record what happened with a take-up case."""
    from boroughs.support.records.models import Resident

    org = _council(db, slug, user, "support.entitlements.outcome")
    est = campaign.get_estimate(db, org.id, eid)
    case = outreach.get_case(db, est.case_id) if est.case_id else None
    if not (permissions.can(user, "support.outreach.assign", org.id) or (case and case.assigned_to_id == user.id)):
        raise PermissionDenied("Only the officer the case is assigned to, or a manager, can record what happened.")
    values = {k: str(form.get(k) or "") for k in ("outcome", "awarded_weekly", "note")}
    try:
        campaign.record_outcome(db, est, user, outcome=values["outcome"], awarded_weekly=values["awarded_weekly"],
                                note=values["note"])
    except ValidationFailed as exc:
        db.rollback()
        field = "awarded_weekly" if values["outcome"] == "awarded" else "outcome"
        return render(request, "support/entitlements/case.html", _ctx(
            org, user, est=est, resident=db.get(Resident, est.resident_id), case=case,
            outcomes=campaign.outcomes_of(db, est.id), others=campaign.others_of(db, est), choices=campaign.OUTCOMES,
            may_record=True,
            errors={field: str(exc)}, values=values), status_code=422)
    return RedirectResponse(f"/support/{org.slug}/entitlements/cases/{est.id}?recorded=1", status_code=303)
