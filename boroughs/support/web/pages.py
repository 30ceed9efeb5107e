"""What the support area's pages share: the council from the address, checked against the action the page
needs; the context its templates share; form fields and the redirect after a form."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from boroughs.core import audit, permissions
from boroughs.core.errors import NotFound
from boroughs.core.models import Organisation, OrgKind, User


def council_for(db: Session, slug: str, user: User, action: str) -> Organisation:
    """The council at ``/support/<slug>/``, once ``user`` may take ``action`` on it (else 404 or 403)."""
    # a member's councils came with the signed-in user (boroughs.core.auth.find_signed_in): no query for them
    org = next((m.organisation for m in user.memberships if m.organisation.slug == slug), None)
    if org is None or org.kind != OrgKind.COUNCIL.value:
        org = db.scalar(select(Organisation).where(Organisation.slug == slug,
                                                   Organisation.kind == OrgKind.COUNCIL.value))
    if org is None:
        raise NotFound("There is no such council.")
    permissions.require(user, action, org.id)
    return org


class Allowed(dict[str, bool]):
    """``can["support.x"]``: whether the user may take a support action in the council, worked out when a
    page first asks (a page asks about two or three of the area's forty actions)."""

    def __init__(self, user: User, org_id: int) -> None:
        super().__init__()
        self.user, self.org_id = user, org_id

    def __missing__(self, action: str) -> bool:
        if not action.startswith("support."):
            raise KeyError(action)
        allowed = self[action] = permissions.can(self.user, action, self.org_id)
        return allowed


def page_context(org: Organisation, user: User, **extra: Any) -> dict[str, Any]:
    """The council, what the user may do in the support area there, and the pages' base address."""
    return {"org": org, "can": Allowed(user, org.id), "base": f"/support/{org.slug}", **extra}


def see_other(url: str) -> RedirectResponse:
    """The redirect after a form is handled (303, so the browser follows with a GET)."""
    return RedirectResponse(url, status_code=303)


def form_fields(form: FormData, *, lists: Collection[str] = ()) -> dict[str, Any]:
    """A form as a dict: a field named in ``lists``, ending ``[]`` or sent more than once gives a list."""
    out: dict[str, Any] = {}
    for k in form:
        values = form.getlist(k)
        out[k] = values if k in lists or k.endswith("[]") or len(values) > 1 else values[0]
    return out


def organisations_by_id(db: Session, ids: set[int] | list[int]) -> dict[int, Organisation]:
    if not ids:
        return {}
    return {o.id: o for o in db.scalars(select(Organisation).where(Organisation.id.in_(list(ids))))}


def resident_for(db: Session, user: User, rid: int, action: str, purpose: str) -> Any:
    """A resident of a council the user may act for; others get 'not found'. The read is audited."""
    from boroughs.support.records.models import Resident

    r = db.get(Resident, rid)
    if r is None or not permissions.can(user, action, r.organisation_id):
        raise NotFound("There is no such resident in your council's records.")
    audit.record(db, "support.resident.read", actor=user, organisation_id=r.organisation_id, object_type="resident",
                 object_id=r.id, purpose=purpose)
    return r


def int_or_none(value: str | None) -> int | None:
    """A whole number from a query or form field; None when it is empty or not a number."""
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None
