"""Choosing the panel per proposal, on the call's management page (issue 17)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from boroughs.core.errors import ValidationFailed
from boroughs.core.models import User
from boroughs.fund import panel, proposals
from boroughs.fund import routes as base
from boroughs.web.deps import form_data, get_db, require_user

router = APIRouter()


@router.post("/fund/proposals/{pid}/assign")
def assign_panel(request: Request, pid: int, form: FormData = Depends(form_data), db: Session = Depends(get_db),
                 user: User = Depends(require_user)) -> Response:
    """Assign panel members to a proposal."""
    p = proposals.get_proposal(db, pid)
    slug = p.call.slug
    try:
        ids = [int(v) for v in form.getlist("member_id") if isinstance(v, str) and v.strip()]
    except ValueError:
        return base._manage_page(request, db, slug, "Choose panel members from the list.")
    try:
        panel.assign_chosen(db, user, p, ids)
    except ValidationFailed as exc:
        db.rollback()
        return base._manage_page(request, db, slug, str(exc))
    return base._go(f"/fund/calls/{slug}/manage", "assigned")
