"""The append-only, keyed (HMAC) hash-chained audit trail, anchored by signed checkpoints outside the database.

Every entry stores an HMAC-SHA-256, under the audit key (``BOROUGHS_AUDIT_KEY`` or ``BOROUGHS_AUDIT_KEY_FILE``,
kept outside the database), of its own content together with the previous entry's seal, so that changing,
inserting or deleting any row breaks the chain, and nobody without the key can re-compute it. Entries
written before issue 11 carry a plain SHA-256 (``legacy``); they are accepted only before the first keyed
entry, whose seal covers the last of them. ``boroughs.core.audit_checkpoints`` writes signed checkpoints
(head, count, time) to an append-only file, so that deleting the newest entries, or all of them, is caught
too. ``verify`` walks the chain, checks it against every checkpoint and reports every break
(``boroughs admin verify-audit``). Reads of personal data must give a ``purpose``.

Appends are serialised on every backend (``_lock_chain``), so concurrent requests cannot fork the chain; an
entry recorded during a transaction is chained just before it commits, so the lock is held only briefly.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, func, insert, select, text
from sqlalchemy.orm import ORMExecuteState, Session

from boroughs.core import audit_checkpoints
from boroughs.core.audit_key import audit_key
from boroughs.core.db import utcnow
from boroughs.core.models import AuditEvent

GENESIS = "0" * 64
_TABLE = AuditEvent.metadata.tables[AuditEvent.__tablename__]
_COLUMNS = tuple(c.key for c in _TABLE.columns if c.key != "id")  # what an entry sets; the database gives the id


def _payload(e: AuditEvent) -> bytes:
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
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()


def _digest(e: AuditEvent) -> str:
    """The plain SHA-256 of an entry (how entries were sealed before issue 11)."""
    return hashlib.sha256(_payload(e)).hexdigest()


def _seal(e: AuditEvent, key: bytes) -> str:
    return hmac.new(key, _payload(e), hashlib.sha256).hexdigest()


def _lock_chain(session: Session) -> None:
    """Serialise appends so two writers cannot fork the chain.

    PostgreSQL: a transaction-level advisory lock. SQLite: take the database's write lock now, before the
    last entry is read (a no-op ``UPDATE`` begins the write transaction; SQLite allows one writer at a
    time, so the next appender waits for this transaction to commit and then reads its entry).
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7243001)"))
    elif dialect == "sqlite":
        session.execute(text("UPDATE core_audit_event SET id = id WHERE id < 0"))


PENDING = "audit_pending"  # session.info key: entries recorded in the open transaction, not yet chained


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
    """Record an entry in the caller's transaction: it lands or rolls back with the work it records.

    The entry is chained (sealed after the newest entry, under the chain's lock) just before the transaction
    commits (:func:`append_pending`), so the lock is held for the append and the commit only, not for the
    rest of the request: a team's page views do not queue behind each other's rendering."""
    audit_key()  # no key, no entry: fail now, where the caller can see why
    session.connection()  # begin the transaction now, so its commit or rollback always settles the entry
    entry = AuditEvent(
        actor_id=getattr(actor, "id", None),
        actor_email=getattr(actor, "email", None),
        organisation_id=organisation_id,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        purpose=purpose,
        detail=detail,
    )
    session.info.setdefault(PENDING, []).append(entry)
    return entry


def append_pending(session: Session) -> int:
    """Chain and add the entries recorded in this transaction, in order, under the chain's lock; returns how
    many. Runs before every commit; call it directly to see the entries before committing."""
    pending: list[AuditEvent] = session.info.pop(PENDING, [])
    if not pending:
        return 0
    key = audit_key()
    session.flush()
    _lock_chain(session)
    prev = session.execute(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).scalar()
    rows = []
    for entry in pending:
        entry.at = utcnow()  # the time it joins the chain, so times rise with the chain's order
        entry.prev_hash = prev or GENESIS
        entry.hash = prev = _seal(entry, key)
        rows.append({c: getattr(entry, c) for c in _COLUMNS})
    # one plain INSERT, in chain order (ids rise with it), not the ORM's unit of work: a third of the cost
    session.execute(insert(_TABLE), rows)
    session.info["audit_appended"] = session.info.get("audit_appended", 0) + len(pending)
    return len(pending)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    append_pending(session)


@event.listens_for(Session, "do_orm_execute")
def _before_reading_the_trail(state: ORMExecuteState) -> None:
    """A transaction reads its own entries: one that queries the trail chains what it has recorded first."""
    if state.session.info.get(PENDING) and any(m.class_ is AuditEvent for m in state.all_mappers):
        append_pending(state.session)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING, None)


@dataclass
class Break:
    entry_id: int | None
    reason: str


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str | None = None
    breaks: list[Break] = field(default_factory=list)
    checkpoints: int = 0
    legacy: int = 0
    since_id: int = 0

    def message(self) -> str:
        scope = f" (from entry {self.since_id + 1} on, after the latest checkpoint)" if self.since_id else ""
        anchor = f"; it matches {self.checkpoints:,} signed checkpoint(s)" if self.checkpoints else ""
        if self.ok:
            return f"The audit trail is intact: {self.checked:,} entries checked{scope}{anchor}."
        lines = [f"The audit trail is broken in {len(self.breaks):,} place(s); {self.checked:,} entries checked{scope}:"]
        lines += [f"- {'entry ' + str(b.entry_id) if b.entry_id is not None else 'the trail'}: {b.reason}"
                  for b in self.breaks[:200]]
        if len(self.breaks) > 200:
            lines.append(f"- ... and {len(self.breaks) - 200:,} more")
        lines.append("Restore the database from a backup taken before the first break and investigate who had "
                     "write access.")
        return "\n".join(lines)


def verify(session: Session, batch: int = 5000, *, since_checkpoint: bool = False) -> VerifyResult:
    """Check every entry's seal and link and the chain against the signed checkpoints; report every break.

    ``since_checkpoint``: trust the entries up to the latest checkpoint once its head entry, seal and count
    match, and walk only the entries after it (fast on a long trail; run a full check regularly too).
    """
    key = audit_key()
    breaks: list[Break] = []
    cps, cp_problems = audit_checkpoints.read_checkpoints(key)
    breaks += [Break(None, p) for p in cp_problems]
    by_head = {c.head_id: c for c in cps}
    latest = cps[-1] if cps else None
    prev = GENESIS
    checked = 0
    last_id = 0
    count = 0  # entries with id <= last_id
    keyed_seen = False
    legacy = 0
    since_id = 0
    if since_checkpoint and latest is not None and latest.head_id:
        head = session.get(AuditEvent, latest.head_id)
        below = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.id <= latest.head_id))
        if head is not None and head.hash == latest.head_hash and below == latest.count:
            prev, last_id, count, since_id, keyed_seen = head.hash, head.id, latest.count, head.id, True
            by_head = {}
        else:
            breaks.append(Break(latest.head_id, "the latest checkpoint does not match the database: run a full "
                                "check (without --since-checkpoint)"))
    while True:
        rows = session.execute(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).scalars().all()
        if not rows:
            break
        for e in rows:
            # checkpoints whose head lies in a gap before this entry: that entry was deleted
            for cp_id in [i for i in by_head if last_id < i < e.id]:
                c = by_head.pop(cp_id)
                breaks.append(Break(cp_id, f"it is missing, but the checkpoint of {c.at} names it as the newest "
                                    "entry then (entries were deleted)"))
            count += 1
            if e.prev_hash != prev:
                breaks.append(Break(e.id, "it does not point at the entry before it (an entry was deleted or inserted)"))
            if hmac.compare_digest(_seal(e, key), e.hash):
                keyed_seen = True
            elif not keyed_seen and _digest(e) == e.hash:
                legacy += 1
            elif _digest(e) == e.hash:
                breaks.append(Break(e.id, "it is sealed with plain SHA-256 after keyed entries (it was re-written "
                                    "without the audit key)"))
            else:
                breaks.append(Break(e.id, "its content does not match its seal (it was changed)"))
            found = by_head.pop(e.id, None)
            if found is not None:
                c = found
                if e.hash != c.head_hash:
                    breaks.append(Break(e.id, f"it differs from the checkpoint of {c.at} (the chain was re-written)"))
                if count != c.count:
                    breaks.append(Break(e.id, f"{count:,} entries up to here, but the checkpoint of {c.at} counted "
                                        f"{c.count:,} (entries were deleted or inserted)"))
            prev = e.hash
            checked += 1
            last_id = e.id
        session.expunge_all()
    for c in by_head.values():
        if c.head_id:
            breaks.append(Break(c.head_id, f"it is missing, but the checkpoint of {c.at} counted {c.count:,} entries "
                                "up to it (the newest entries, or all of them, were deleted)"))
    if latest is None and count and legacy < count:
        breaks.append(Break(None, "there is no signed checkpoint (the checkpoint file "
                            f"{audit_checkpoints.checkpoint_path()} is missing or empty), so deleting the newest "
                            "entries could not be detected"))
    first = next((b for b in breaks if b.entry_id is not None), breaks[0] if breaks else None)
    return VerifyResult(not breaks, checked, first.entry_id if first else None, first.reason if first else None,
                        breaks, len(cps), legacy, since_id)
