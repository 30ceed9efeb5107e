"""Writing to the outbox: ``enqueue`` adds a message to the caller's session, so it is committed with the
change it reports and vanishes with it when that work rolls back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from boroughs.config import get_settings
from boroughs.core.db import utcnow
from boroughs.core.models import Membership, Role, User
from boroughs.core.notify.models import OutboxMessage
from boroughs.core.notify.templates import render
from boroughs.core.permissions import ACTIONS

CHANNELS = ("email", "sms")


def link(path: str) -> str:
    """An absolute address in the app for a message (``BOROUGHS_NOTIFY_PUBLIC_URL`` + ``path``)."""
    return get_settings().notify_public_url.rstrip("/") + "/" + path.lstrip("/")


def enqueue(
    db: Session,
    template: str,
    to: str,
    values: dict[str, str],
    *,
    organisation_id: int | None = None,
    user_id: int | None = None,
    channel: str = "email",
    reference: str | None = None,
    dedupe_key: str | None = None,
    not_before: dt.datetime | None = None,
) -> OutboxMessage | None:
    """Queue one message in the caller's transaction. Nothing is sent until that transaction commits and a
    worker picks the message up. With ``dedupe_key``, a message already queued under that key is not queued
    again (returns ``None``)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}: use email or sms")
    to = to.strip()
    if not to:
        raise ValueError("a message needs a recipient")
    subject, body = render(template, values)
    if dedupe_key is not None and db.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)):
        return None
    message = OutboxMessage(template=template, channel=channel, recipient=to, subject=subject, body=body,
                            personalisation=dict(values), reference=reference, dedupe_key=dedupe_key,
                            organisation_id=organisation_id, user_id=user_id, status="queued", attempts=0,
                            next_attempt_at=not_before or utcnow())
    if dedupe_key is None:
        db.add(message)
        db.flush()
        return message
    try:
        with db.begin_nested():  # another transaction queued the same key at the same moment: keep theirs
            db.add(message)
            db.flush()
    except IntegrityError:
        return None
    return message


def enqueue_to_users(db: Session, template: str, users: Iterable[User], values: dict[str, str], *,
                     organisation_id: int | None, reference: str | None = None,
                     dedupe_key: str | None = None) -> list[OutboxMessage]:
    """One message to each user (``dedupe_key`` gets ``:u<user id>`` appended per person)."""
    queued = []
    for user in users:
        m = enqueue(db, template, user.email, values, organisation_id=organisation_id, user_id=user.id,
                    reference=reference, dedupe_key=f"{dedupe_key}:u{user.id}" if dedupe_key else None)
        if m is not None:
            queued.append(m)
    return queued


def members_who_may(db: Session, organisation_id: int, action: str) -> list[User]:
    """The active members of an organisation whose role there allows ``action``: who a message about that
    organisation's work goes to."""
    roles: frozenset[Role] = ACTIONS[action].roles
    return list(db.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == organisation_id, Membership.role.in_([r.value for r in roles]),
               User.is_active.is_(True))
        .distinct().order_by(User.id)))


def recent(db: Session, organisation_ids: set[int] | None, *, limit: int = 200,
           status: str | None = None) -> list[OutboxMessage]:
    """The newest messages, for the admin page; ``organisation_ids=None`` means every organisation."""
    q = select(OutboxMessage)
    if organisation_ids is not None:
        q = q.where(OutboxMessage.organisation_id.in_(organisation_ids))
    if status:
        q = q.where(OutboxMessage.status == status)
    return list(db.scalars(q.order_by(OutboxMessage.id.desc()).limit(limit)))
