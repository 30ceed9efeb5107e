"""Notifications that are sent: an outbox written in the caller's transaction, a worker, and backends
(local folder, SMTP, GOV.UK Notify). See docs/notifications.md.

Areas call ``enqueue(db, template, to, values, ...)`` inside their service functions, after registering
their message templates with ``register_template``.
"""

from __future__ import annotations

from boroughs.core.notify.backends import (
    Backend,
    FileBackend,
    NotifyBackend,
    Outgoing,
    SendFailure,
    SmtpBackend,
    backend_from_settings,
)
from boroughs.core.notify.models import STATUS_LABELS, OutboxAttempt, OutboxMessage
from boroughs.core.notify.outbox import enqueue, enqueue_to_users, link, members_who_may, recent
from boroughs.core.notify.templates import TEMPLATES, render
from boroughs.core.notify.templates import register as register_template
from boroughs.core.notify.worker import BackgroundWorker, Policy, RunCounts, claim, record, run_once

__all__ = [
    "STATUS_LABELS",
    "TEMPLATES",
    "Backend",
    "BackgroundWorker",
    "FileBackend",
    "NotifyBackend",
    "OutboxAttempt",
    "OutboxMessage",
    "Outgoing",
    "Policy",
    "RunCounts",
    "SendFailure",
    "SmtpBackend",
    "backend_from_settings",
    "claim",
    "enqueue",
    "enqueue_to_users",
    "link",
    "members_who_may",
    "recent",
    "record",
    "register_template",
    "render",
    "run_once",
]
