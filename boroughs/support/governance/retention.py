"""Retention: delete or anonymise shared data whose retention period (per agreement purpose) has passed.

The retention period and action (``anonymise`` or ``delete``) are set per agreement purpose
(:func:`boroughs.support.governance.service.retention_terms`). Each part that holds shared data adds its
policy to :data:`POLICIES` (support/referrals: :mod:`boroughs.support.referrals.retention`), and
:func:`run_retention` applies them all. Every action is written to the audit trail; open work is never
touched. Run it daily (``boroughs support referrals retention``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session

from boroughs.core.db import utcnow


@dataclass
class RetentionResult:
    anonymised: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


class Policy(Protocol):
    def __call__(self, db: Session, now: dt.datetime, result: RetentionResult, *, dry_run: bool,
                 council_id: int | None, actor: object) -> None: ...


POLICIES: list[Policy] = []


def run_retention(db: Session, now: dt.datetime | None = None, *, dry_run: bool = False,
                  council_id: int | None = None, actor: object = None) -> RetentionResult:
    """Apply every retention policy (``council_id``: only that council's data, as its information governance
    officer does from the web; ``actor``: who ran it, for the audit trail; ``dry_run``: list, change nothing)."""
    now = now or utcnow()
    result = RetentionResult()
    for policy in POLICIES:
        policy(db, now, result, dry_run=dry_run, council_id=council_id, actor=actor)
    db.flush()
    return result
