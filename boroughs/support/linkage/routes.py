"""Pages for linked residents: the resident view and clerical review of uncertain pairs.

Everything is under ``/support/<council slug>/``. Each page checks its action on the council on the
server. Every read of personal data is audited with its purpose: the resident view asks the officer for
the purpose before showing anything.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from boroughs.core import audit, permissions
from boroughs.core.errors import ValidationFailed
from boroughs.core.models import Organisation, User
from boroughs.support.linkage import permissions as linkage_permissions
from boroughs.support.linkage import residents
from boroughs.support.linkage import settings as linkage_settings
from boroughs.support.records.models import LinkRun, Resident, ResidentRecord, SourceRecord
from boroughs.support.records.schemas import SCHEMAS
from boroughs.support.referrals.service import shares_for_resident
from boroughs.support.web.pages import council_for as _council
from boroughs.support.web.pages import form_fields, see_other
from boroughs.web.deps import form_data, get_db, require_user
from boroughs.web.templating import render

assert linkage_permissions  # registers the actions

router = APIRouter()

PURPOSES = {
    "outreach": "Outreach: preparing or following up contact with the resident",
    "safeguarding": "Safeguarding: checking a concern about the resident's safety",
    "review": "Clerical review of record linkage",
    "request": "Responding to the resident's own request or complaint",
}


def _ctx(org: Organisation, user: User, **extra: Any) -> dict[str, Any]:
    return {"org": org, "base": f"/support/{org.slug}",
            "may_review": permissions.can(user, "support.linkage.review", org.id),
            "may_view": permissions.can(user, "support.resident.view", org.id),
            "titles": {k: s.title for k, s in SCHEMAS.items()}, **extra}


@router.get("/support/{slug}/residents")
def find_residents(request: Request, slug: str, q: str = "", purpose: str = "", db: Session = Depends(get_db),
                   user: User = Depends(require_user)) -> Response:
    """Find a resident by name, record id or postcode (a search is itself a read: purpose required)."""
    org = _council(db, slug, user, "support.resident.view")
    results: list[Resident] = []
    errors: dict[str, str] = {}
    q = q.strip()
    if q:
        if purpose not in PURPOSES:
            errors["purpose"] = "Choose why you are searching"
        elif len(q) < 2:
            errors["q"] = "Enter at least 2 characters"
        else:
            like = f"%{q.lower()}%"
            ids = select(ResidentRecord.resident_id).join(
                SourceRecord, SourceRecord.id == ResidentRecord.source_record_id
            ).where(SourceRecord.organisation_id == org.id, or_(
                func.lower(SourceRecord.last_name).like(like), func.lower(SourceRecord.first_name).like(like),
                SourceRecord.record_id == q, func.upper(SourceRecord.postcode) == q.upper()))
            results = list(db.scalars(select(Resident).where(Resident.id.in_(ids), Resident.active)
                                      .order_by(Resident.last_name, Resident.first_name).limit(50)))
            audit.record(db, "support.resident.search", actor=user, organisation_id=org.id,
                         object_type="support_resident", purpose=PURPOSES[purpose],
                         detail={"query": q, "results": len(results)})
    run = db.scalar(select(LinkRun).where(LinkRun.organisation_id == org.id).order_by(LinkRun.id.desc()).limit(1))
    return render(request, "support/linkage/find.html",
                  _ctx(org, user, q=q, purpose=purpose, purposes=PURPOSES, results=results, errors=errors, run=run))


@router.get("/support/{slug}/residents/{rid}")
def resident_view(request: Request, slug: str, rid: int, purpose: str = "", asked: str = "",
                  db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """A resident: their linked records from every source (asks for a purpose first)."""
    org = _council(db, slug, user, "support.resident.view")
    resident = residents.get_resident(db, org.id, rid)
    if purpose not in PURPOSES:
        return render(request, "support/linkage/purpose.html",
                      _ctx(org, user, resident_id=rid, purposes=PURPOSES,
                           errors={"purpose": "Choose why you need to see this resident"} if (purpose or asked) else {}))
    audit.record(db, "support.resident.view", actor=user, organisation_id=org.id, object_type="support_resident",
                 object_id=rid, purpose=PURPOSES[purpose])
    records = residents.resident_records(db, rid)
    timeline = residents.resident_timeline(db, rid)
    by_id = {r.id: r for rs in records.values() for r in rs}
    evidence, pairs_scored = residents.resident_link_evidence(db, list(by_id.values()))
    shares = shares_for_resident(db, rid)
    return render(request, "support/linkage/resident.html", _ctx(
        org, user, resident=resident, records=records, timeline=timeline[-200:], timeline_total=len(timeline),
        by_id=by_id, evidence=evidence, pairs_scored=pairs_scored, purpose=purpose, shares=shares,
        may_refer=permissions.can(user, "support.referral.create", org.id),
        may_consent=permissions.can(user, "support.consent.manage", org.id)))


@router.post("/support/{slug}/residents/{rid}/split")
def resident_split(request: Request, slug: str, rid: int, db: Session = Depends(get_db),
                   user: User = Depends(require_user), form: FormData = Depends(form_data)) -> Response:
    """Split records that belong to a different person out of a resident."""
    org = _council(db, slug, user, "support.linkage.review")
    ids = [int(str(x)) for x in form.getlist("record_ids") if str(x).isdigit()]
    reason = str(form.get("reason") or "") or None
    if not ids and form.get("from") == "review":
        resident = residents.get_resident(db, org.id, rid)
        return _render_split(request, db, org, user, resident,
                             {"split-records": "Select the records that belong to a different person"}, 422)
    new = residents.split_resident(db, org.id, rid, ids, user=user, reason=reason)
    if permissions.can(user, "support.resident.view", org.id):
        return see_other(f"/support/{org.slug}/residents/{new.id}?purpose=review")
    # Analysts review linkage but do not see residents' pages: they go back to the split page (issue 17).
    return see_other(f"/support/{org.slug}/review/split/{rid}?split_into={new.id}")


@router.get("/support/{slug}/review/split")
def split_find(request: Request, slug: str, resident: str = "", db: Session = Depends(get_db),
               user: User = Depends(require_user)) -> Response:
    """Analysts (and managers) choose a resident to split by number, from the review page (issue 17)."""
    org = _council(db, slug, user, "support.linkage.review")
    if not resident.strip().isdigit():
        return render(request, "support/linkage/review.html", _ctx(
            org, user, items=residents.review_queue(db, org.id, limit=20), fields=_REVIEW_FIELDS,
            errors={"split-resident": "Enter the resident's number, for example 1307"}), 422)
    return see_other(f"/support/{org.slug}/review/split/{int(resident)}")


@router.get("/support/{slug}/review/split/{rid}")
def split_page(request: Request, slug: str, rid: int, split_into: int | None = None, db: Session = Depends(get_db),
               user: User = Depends(require_user)) -> Response:
    """The resident's linked records only, to split a wrong merge: reachable with ``support.linkage.review``
    (analysts get 403 on the full resident page). The read is audited as clerical review."""
    org = _council(db, slug, user, "support.linkage.review")
    resident = residents.get_resident(db, org.id, rid)
    return _render_split(request, db, org, user, resident, {}, 200, split_into)


def _render_split(request: Request, db: Session, org: Organisation, user: User, resident: Resident,
                  errors: dict[str, str], status_code: int, split_into: int | None = None) -> Response:
    audit.record(db, "support.review.split_view", actor=user, organisation_id=org.id, object_type="support_resident",
                 object_id=resident.id, purpose=PURPOSES["review"])
    db.commit()
    return render(request, "support/linkage/split.html", _ctx(
        org, user, resident=resident, records=residents.resident_records(db, resident.id), errors=errors,
        split_into=split_into), status_code)


@router.get("/support/{slug}/review")
def review(request: Request, slug: str, db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """Clerical review: pairs of records that may be the same person."""
    org = _council(db, slug, user, "support.linkage.review")
    items = residents.review_queue(db, org.id, limit=20)
    audit.record(db, "support.review.view", actor=user, organisation_id=org.id, object_type="support_link_pair",
                 purpose=PURPOSES["review"], detail={"pairs_shown": [f"{i.pair.record_a_id}-{i.pair.record_b_id}"
                                                                     for i in items]})
    return render(request, "support/linkage/review.html", _ctx(org, user, items=items, fields=_REVIEW_FIELDS,
                                                                errors={}))


_REVIEW_FIELDS = [("first_name", "First name"), ("last_name", "Last name"), ("dob", "Date of birth"),
                  ("address_line_1", "Address"), ("address_line_2", "Address line 2"), ("postcode", "Postcode"),
                  ("uprn", "UPRN"), ("national_id", "NI number"), ("phone", "Phone"), ("email", "Email"),
                  ("sex", "Sex")]


@router.post("/support/{slug}/review")
def review_decide(request: Request, slug: str, db: Session = Depends(get_db),
                        user: User = Depends(require_user), data: FormData = Depends(form_data)) -> Response:
    """Decide whether two records are the same person."""
    org = _council(db, slug, user, "support.linkage.review")
    form = form_fields(data, lists={"record_ids"})
    try:
        a, b = int(form.get("record_a", "")), int(form.get("record_b", ""))
    except ValueError:
        raise ValidationFailed("The pair to decide on is missing; go back and try again.") from None
    decision = form.get("decision", "")
    if decision not in residents.DECISIONS:
        raise ValidationFailed("Choose whether the two records are the same person.")
    residents.decide(db, org.id, a, b, decision, user=user, reason=form.get("reason") or None)
    return see_other(f"/support/{org.slug}/review")


@router.get("/support/{slug}/linkage/settings")
def linkage_settings_page(request: Request, slug: str, threshold: str = "", review_low: str = "",
                          review_high: str = "", saved: str = "", db: Session = Depends(get_db),
                          user: User = Depends(require_user)) -> Response:
    """The threshold and review band, with the expected false and missed matches of a choice before saving."""
    org = _council(db, slug, user, "support.linkage.settings")
    eff = linkage_settings.effective(db, org.id)
    errors: dict[str, str] = {}
    proposed = None
    if threshold or review_low or review_high:
        try:
            proposed = linkage_settings.validate(threshold, review_low, review_high)
        except ValidationFailed as exc:
            errors["threshold"] = str(exc)
    t, lo, hi = proposed or (eff.threshold, eff.review_low, eff.review_high)
    expected = linkage_settings.choices(db, org.id, t, lo, hi)
    return render(request, "support/linkage/settings.html", _ctx(
        org, user, eff=eff, proposed=proposed, expected=expected, errors=errors, saved=bool(saved),
        form={"threshold": threshold or f"{eff.threshold:g}", "review_low": review_low or f"{eff.review_low:g}",
              "review_high": review_high or f"{eff.review_high:g}"}))


@router.post("/support/{slug}/linkage/settings")
def linkage_settings_save(request: Request, slug: str, form: FormData = Depends(form_data),
                          db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """Save the council's linkage threshold and review band."""
    org = _council(db, slug, user, "support.linkage.settings")
    linkage_settings.save(db, org.id, form.get("threshold"), form.get("review_low"), form.get("review_high"),
                          user=user)
    return see_other(f"/support/{org.slug}/linkage/settings?saved=1")
