"""What every council page of the support area starts with: the council from the address, checked against
the action the page needs, and the context its templates share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core import permissions
from boroughs.core.errors import NotFound
from boroughs.core.models import Organisation, OrgKind, User


def council_for(db: Session, slug: str, user: User, action: str) -> Organisation:
    """The council at ``/support/<slug>/``, once ``user`` may take ``action`` on it (else 404 or 403)."""
    org = db.scalar(select(Organisation).where(Organisation.slug == slug, Organisation.kind == OrgKind.COUNCIL.value))
    if org is None:
        raise NotFound("There is no such council.")
    permissions.require(user, action, org.id)
    return org


def page_context(org: Organisation, user: User, **extra: Any) -> dict[str, Any]:
    """The council, what the user may do in the support area there, and the pages' base address."""
    can = {a: permissions.can(user, a, org.id) for a in permissions.ACTIONS if a.startswith("support.")}
    return {"org": org, "can": can, "base": f"/support/{org.slug}", **extra}
