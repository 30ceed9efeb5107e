"""Small helpers shared by the fund's services."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from boroughs.core import audit
from boroughs.core.errors import NotFound, ValidationFailed
from boroughs.core.models import Organisation, OrgKind

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def gbp(amount: int | float) -> str:
    """£75,000 (whole pounds) or £1,234.50."""
    if float(amount).is_integer():
        return f"£{int(amount):,}"
    return f"£{amount:,.2f}"


def check_slug(slug: str, what: str) -> str:
    if not SLUG_RE.match(slug or ""):
        raise ValidationFailed(
            f"The {what} short name {slug!r} must use lower-case letters, numbers and single hyphens, "
            "like 'smarter-use-of-data'."
        )
    return slug


def check_amount(value: Any, what: str, *, allow_zero: bool = False) -> int:
    """A whole number of pounds, or a clear refusal naming the field."""
    try:
        if isinstance(value, str):
            value = value.replace("£", "").replace(",", "").strip()
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationFailed(f"{what} must be a number of pounds, like 75000.") from None
    if not number.is_integer():
        raise ValidationFailed(f"{what} must be in whole pounds.")
    amount = int(number)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ValidationFailed(f"{what} must be more than £0." if not allow_zero else f"{what} cannot be negative.")
    return amount


def get_org(session: Session, org_id: int, kind: OrgKind | None = None, refusal: str = "") -> Organisation:
    """The organisation; when ``kind`` is given and it is of another kind, ``refusal`` (with ``{name}`` for
    its name) says why it cannot take part."""
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound(f"There is no organisation with id {org_id}.")
    if kind is not None and org.kind != kind:
        raise ValidationFailed(refusal.format(name=org.name))
    return org


def log(session: Session, action: str, actor: Any, org_id: int | None, obj: Any, **detail: Any) -> None:
    audit.record(
        session,
        action,
        actor=actor,
        organisation_id=org_id,
        object_type=type(obj).__tablename__ if hasattr(type(obj), "__tablename__") else type(obj).__name__,
        object_id=getattr(obj, "id", None),
        detail=detail or None,
    )
