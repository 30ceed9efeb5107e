"""The admin page of sent messages (issue 15): what the outbox holds and whether it was delivered.

Platform administrators see every organisation's messages; an organisation's administrators see those sent
to their own people. Nobody sees a message's text here: only its subject (which never carries personal data
beyond the recipient's address), recipient, status and attempts.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core import notify, permissions
from boroughs.core.errors import PermissionDenied
from boroughs.core.models import Organisation, User
from boroughs.web.deps import get_db, require
from boroughs.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)


@router.get("/notifications", response_class=HTMLResponse)
def notifications(request: Request, status: str = "", db: Session = Depends(get_db),
                  user: User = Depends(require("admin.view"))) -> HTMLResponse:
    """The emails and text messages sent to an organisation's staff, with their delivery state."""
    if permissions.is_platform_admin(user):
        orgs: set[int] | None = None
    else:
        orgs = permissions.orgs_where(user, "notify.view")
        if not orgs:
            raise PermissionDenied("You do not have permission to see the messages sent to this organisation's "
                                   "people.")
    status = status if status in notify.STATUS_LABELS else ""
    messages = notify.recent(db, orgs, status=status or None)
    names = dict(db.execute(select(Organisation.id, Organisation.name)).all())
    return render(request, "core/admin/notifications.html", {
        "messages": messages, "org_names": names, "status": status, "labels": notify.STATUS_LABELS,
        "all_orgs": orgs is None,
        "status_items": [{"value": "", "text": "All messages", "selected": not status}]
        + [{"value": k, "text": v, "selected": status == k} for k, v in notify.STATUS_LABELS.items()]})
