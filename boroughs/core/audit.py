"""The append-only, hash-chained audit trail.

Every entry stores the SHA-256 of its own content together with the previous entry's hash, so that
changing or deleting any row breaks the chain from that row on. ``verify`` walks the chain and reports the
first broken link (``boroughs admin verify-audit``). Reads of personal data must give a ``purpose``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from boroughs.core.db import utcnow
from boroughs.core.models import AuditEvent

GENESIS = "0" * 64


def _digest(e: AuditEvent) -> str:
    payload = {
        "at": e.at.isoformat(timespec="microseconds"),
        "actor_id": e.actor_id,
        "actor_email": e.actor_email,
        "organisation_id": e.organisation_id,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "purpose": e.purpose,
        "detail": e.detail,
        "prev_hash": e.prev_hash,
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _lock_chain(session: Session) -> None:
    """Serialise appends so two writers cannot fork the chain."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7243001)"))


def record(
    session: Session,
    action: str,
    *,
    actor: Any = None,
    organisation_id: int | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    purpose: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an entry in the caller's transaction (it lands or rolls back with the work it records)."""
    _lock_chain(session)
    session.flush()
    prev = session.execute(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).scalar()
    event = AuditEvent(
        at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_email=getattr(actor, "email", None),
        organisation_id=organisation_id,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        purpose=purpose,
        detail=detail,
        prev_hash=prev or GENESIS,
    )
    event.hash = _digest(event)
    session.add(event)
    session.flush()
    return event


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str | None = None

    def message(self) -> str:
        if self.ok:
            return f"The audit trail is intact: {self.checked:,} entries checked."
        return (
            f"The audit trail is broken at entry {self.broken_id}: {self.reason}. "
            f"{self.checked:,} entries before it are intact. Restore the database from a backup "
            "taken before that entry and investigate who had write access."
        )


def verify(session: Session, batch: int = 5000) -> VerifyResult:
    prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = session.execute(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).scalars().all()
        if not rows:
            return VerifyResult(True, checked)
        for e in rows:
            if e.prev_hash != prev:
                return VerifyResult(False, checked, e.id, "it does not point at the entry before it "
                                    "(an entry was deleted or inserted)")
            if _digest(e) != e.hash:
                return VerifyResult(False, checked, e.id, "its content does not match its hash (it was changed)")
            prev = e.hash
            checked += 1
            last_id = e.id
        session.expunge_all()
