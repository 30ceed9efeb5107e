"""The worker: claims due messages, sends them, and records each attempt.

Claiming is safe with several workers at once. On PostgreSQL due rows are locked with
``SELECT ... FOR UPDATE SKIP LOCKED`` (a second worker skips them rather than waiting); on SQLite a single
conditional ``UPDATE`` claims them (SQLite runs one write at a time, and the ``UPDATE`` re-checks that each
row is still due). A claim is a lease: a worker that dies mid-send leaves its messages to be claimed again
when the lease runs out, so delivery is at least once. Sending happens outside any transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from dataclasses import dataclass, field

from sqlalchemy import Engine, and_, or_, select, update
from sqlalchemy.orm import Session

from boroughs.config import Settings, get_settings
from boroughs.core.db import get_engine, utcnow
from boroughs.core.notify.backends import Backend, Outgoing, SendFailure, backend_from_settings
from boroughs.core.notify.models import OutboxAttempt, OutboxMessage
from boroughs.core.notify.templates import TEMPLATES

log = logging.getLogger("boroughs.notify")
M = OutboxMessage


@dataclass
class Policy:
    max_attempts: int = 6
    retry_seconds: float = 60.0
    retry_max_seconds: float = 3600.0
    lease_seconds: float = 300.0
    batch_size: int = 20

    @classmethod
    def from_settings(cls, s: Settings | None = None) -> Policy:
        s = s or get_settings()
        return cls(s.notify_max_attempts, s.notify_retry_seconds, s.notify_retry_max_seconds,
                   s.notify_lease_seconds, s.notify_batch_size)

    def delay(self, attempts: int) -> dt.timedelta:
        """Exponential backoff: the wait after the n-th failed attempt is retry × 2^(n-1), capped."""
        return dt.timedelta(seconds=min(self.retry_seconds * 2 ** max(attempts - 1, 0), self.retry_max_seconds))


@dataclass
class RunCounts:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        return self.delivered + self.retrying + self.failed


def _due(now: dt.datetime):  # type: ignore[no-untyped-def]
    return or_(and_(M.status.in_(("queued", "retrying")), M.next_attempt_at <= now),
               and_(M.status == "sending", M.lease_until < now))


def claim(engine: Engine, policy: Policy, *, now: dt.datetime | None = None) -> tuple[str, list[Outgoing]]:
    """Claim up to ``policy.batch_size`` due messages for this worker; returns the claim token and them."""
    now = now or utcnow()
    token = uuid.uuid4().hex
    lease = now + dt.timedelta(seconds=policy.lease_seconds)
    claimed = {"status": "sending", "claim_token": token, "lease_until": lease, "attempts": M.attempts + 1}
    with Session(engine) as db, db.begin():
        if engine.dialect.name == "postgresql":
            ids = list(db.scalars(select(M.id).where(_due(now)).order_by(M.next_attempt_at, M.id)
                                  .limit(policy.batch_size).with_for_update(skip_locked=True)))
            if ids:
                db.execute(update(M).where(M.id.in_(ids)).values(**claimed))
        else:
            due_ids = select(M.id).where(_due(now)).order_by(M.next_attempt_at, M.id).limit(policy.batch_size)
            db.execute(update(M).where(M.id.in_(due_ids.scalar_subquery()), _due(now)).values(**claimed)
                       .execution_options(synchronize_session=False))
        rows = db.execute(select(M.id, M.channel, M.recipient, M.template, M.subject, M.body, M.personalisation,
                                 M.reference).where(M.claim_token == token).order_by(M.id)).all()
    return token, [Outgoing(r.id, r.channel, r.recipient, r.template, r.subject, r.body,
                            dict(r.personalisation or {}), r.reference) for r in rows]


def record(engine: Engine, token: str, message: Outgoing, backend: str, *, provider_id: str | None = None,
           failure: SendFailure | None = None, policy: Policy | None = None, now: dt.datetime | None = None) -> str:
    """Write the outcome of one attempt; returns the message's new status. Only the worker holding the claim
    may write it (a worker whose lease ran out and was overtaken writes nothing)."""
    policy = policy or Policy()
    now = now or utcnow()
    with Session(engine) as db, db.begin():
        # release the claim first, in one conditional write: only the holder of the claim gets a row back
        held = db.execute(update(M).where(M.id == message.id, M.claim_token == token)
                          .values(claim_token=None, lease_until=None).returning(M.id)
                          .execution_options(synchronize_session=False)).first()
        if held is None:
            return "lost"
        row = db.get(M, message.id)
        assert row is not None
        db.add(OutboxAttempt(message_id=row.id, at=now, backend=backend, ok=failure is None,
                             permanent=bool(failure and failure.permanent), provider_id=provider_id,
                             error=str(failure) if failure else None))
        row.backend = backend
        if failure is None:
            row.status, row.provider_id, row.delivered_at, row.last_error = "delivered", provider_id, now, None
        else:
            row.last_error = str(failure)[:2000]
            if failure.permanent or row.attempts >= policy.max_attempts:
                row.status = "failed"
            else:
                row.status = "retrying"
                row.next_attempt_at = now + policy.delay(row.attempts)
        template = TEMPLATES.get(row.template)
        if template is not None and template.secret and row.status in ("delivered", "failed"):
            row.body, row.personalisation = "(removed once sent: it held a one-time link)", {}
        return row.status


def run_once(engine: Engine | None = None, backend: Backend | None = None, policy: Policy | None = None, *,
             now: dt.datetime | None = None, max_batches: int = 1000) -> RunCounts:
    """Send every message due now, batch by batch, and return what happened."""
    engine = engine or get_engine()
    backend = backend or backend_from_settings()
    policy = policy or Policy.from_settings()
    counts = RunCounts()
    for _ in range(max_batches):
        token, batch = claim(engine, policy, now=now)
        if not batch:
            break
        for message in batch:
            failure: SendFailure | None = None
            provider_id = None
            try:
                provider_id = backend.send(message)
            except SendFailure as exc:
                failure = exc
            except Exception as exc:  # a bug or an unexpected library error: retry, and say so in the log
                log.exception("notification %s: unexpected error from %s", message.id, backend.name)
                failure = SendFailure(f"unexpected error: {type(exc).__name__}: {exc}")
            status = record(engine, token, message, backend.name, provider_id=provider_id, failure=failure,
                            policy=policy, now=now)
            if status == "delivered":
                counts.delivered += 1
            elif status == "retrying":
                counts.retrying += 1
            elif status == "failed":
                counts.failed += 1
            if failure is not None:
                counts.errors.append(f"message {message.id}: {failure}")
                log.warning("notification %s to be %s: %s", message.id, status, failure)
    return counts


class BackgroundWorker:
    """``run_once`` every ``poll_seconds`` in a daemon thread (``BOROUGHS_NOTIFY_WORKER_IN_SERVE``): the web
    server's event loop never waits for it."""

    def __init__(self, engine: Engine | None = None, backend: Backend | None = None, policy: Policy | None = None,
                 poll_seconds: float | None = None) -> None:
        self.engine, self.backend, self.policy = engine, backend, policy
        self.poll_seconds = poll_seconds if poll_seconds is not None else get_settings().notify_poll_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="boroughs-notify", daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                run_once(self.engine, self.backend, self.policy)
            except Exception:
                log.exception("the notification worker failed; it will try again")
            self._stop.wait(self.poll_seconds)

    def start(self) -> BackgroundWorker:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()
