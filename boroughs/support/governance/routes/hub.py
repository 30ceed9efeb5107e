"""``/support/<council>/information-governance``: subject access and retention on the web (issue 17).

The information governance officer exports a resident's subject access file (JSON, everything held, the
same export as ``boroughs support sar``) and sees, then applies, the retention of the council's shared
referral data (as ``boroughs support referrals retention`` does, limited to the council). Each step is
audited.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from boroughs.core import audit, permissions
from boroughs.core.errors import NotFound
from boroughs.core.models import Organisation, OrgKind, User
from boroughs.support.governance import permissions as ig_permissions
from boroughs.support.web.pages import council_for as _council
from boroughs.web.deps import form_data, get_db, require_user
from boroughs.web.templating import render

assert ig_permissions  # registers the actions

router = APIRouter(include_in_schema=False)


def _hub(request: Request, db: Session, org: Organisation, user: User, *, errors: dict[str, str] | None = None,
         applied: object = None, status_code: int = 200, values: dict[str, str] | None = None) -> Response:
    from boroughs.support.governance.retention import run_retention
    from boroughs.support.governance.subject_access import COVERAGE

    may_retain = permissions.can(user, "support.ig.retention", org.id)
    due = run_retention(db, dry_run=True, council_id=org.id) if may_retain else None
    return render(request, "support/governance/hub.html", {
        "org": org, "base": f"/support/{org.slug}", "errors": errors or {}, "due": due, "applied": applied,
        "may_sar": permissions.can(user, "support.ig.sar", org.id), "may_retain": may_retain,
        "sections": sorted(set(COVERAGE.values())), "values": values or {}}, status_code)


@router.get("/support/{slug}/information-governance")
def hub(request: Request, slug: str, db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """Information governance: subject access requests and retention."""
    org = db.scalar(select(Organisation).where(Organisation.slug == slug, Organisation.kind == OrgKind.COUNCIL.value))
    if org is None:
        raise NotFound("There is no such council.")
    if not (permissions.can(user, "support.ig.sar", org.id) or permissions.can(user, "support.ig.retention", org.id)):
        permissions.require(user, "support.ig.sar", org.id)
    return _hub(request, db, org, user)


@router.post("/support/{slug}/information-governance/sar")
def sar_export(request: Request, slug: str, db: Session = Depends(get_db), user: User = Depends(require_user),
               form: FormData = Depends(form_data)) -> Response:
    """Export everything held on a resident (a subject access request), as JSON."""
    from boroughs.support.governance.subject_access import subject_access_export

    org = _council(db, slug, user, "support.ig.sar")
    raw = str(form.get("resident_id") or "").strip()
    request_ref = str(form.get("request_reference") or "").strip()[:100]
    values = {"resident_id": raw, "request_reference": request_ref}
    if not raw.isdigit():
        return _hub(request, db, org, user, errors={"resident_id": "Enter the resident's number, for example 1307"},
                    status_code=422, values=values)
    try:
        doc = subject_access_export(db, org.id, int(raw), actor=user)
    except NotFound:
        return _hub(request, db, org, user, errors={"resident_id": f"{org.name} holds no resident {raw}"},
                    status_code=422, values=values)
    if request_ref:
        doc["request_reference"] = request_ref
        audit.record(db, "support.ig.sar_request", actor=user, organisation_id=org.id, object_type="resident",
                     object_id=int(raw), purpose="subject access request", detail={"request": request_ref})
    body = json.dumps(doc, indent=1, ensure_ascii=False, default=str)
    return Response(body, media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="{org.slug}-resident-{int(raw)}-subject-access.json"'})


@router.post("/support/{slug}/information-governance/retention")
def retention_apply(request: Request, slug: str, db: Session = Depends(get_db), user: User = Depends(require_user),
                    form: FormData = Depends(form_data)) -> Response:
    """Apply the retention periods now (delete or anonymise what is past them)."""
    from boroughs.support.governance.retention import run_retention

    org = _council(db, slug, user, "support.ig.retention")
    if form.get("confirm") != "yes":
        return _hub(request, db, org, user, status_code=422,
                    errors={"confirm": "Confirm that the retention periods should be applied now"})
    result = run_retention(db, council_id=org.id, actor=user)
    audit.record(db, "support.ig.retention_run", actor=user, organisation_id=org.id, object_type="referral",
                 purpose="apply retention periods", detail={"anonymised": len(result.anonymised),
                                                            "deleted": len(result.deleted)})
    db.commit()
    return _hub(request, db, org, user, applied=result)
