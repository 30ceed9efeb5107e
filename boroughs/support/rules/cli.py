"""``boroughs support flags``: evaluate a council's approved rules from a scheduler and write flags.csv."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import or_, select

from boroughs.core.db import session_scope
from boroughs.core.errors import NotFound
from boroughs.core.models import Organisation, OrgKind
from boroughs.support.rules import engine as rl
from boroughs.support.rules import service as rules_service
from boroughs.support.rules.data import frames_from_db


def find_council(db: object, ref: str) -> Organisation:
    from sqlalchemy.orm import Session

    assert isinstance(db, Session)
    org = db.scalar(select(Organisation).where(Organisation.kind == OrgKind.COUNCIL.value,
                                               or_(Organisation.ons_code == ref, Organisation.slug == ref)))
    if org is None:
        raise NotFound(f"no council with ONS code or slug {ref!r}: use a code such as E09000025 or a slug such as newham")
    return org


def flags_command(council: str, out: Path, *, as_of: dt.date | None = None, record: bool = True) -> str:
    with session_scope() as db:
        org = find_council(db, council)
        frames = frames_from_db(db, org.id)
        v, ev = rules_service.evaluate_live(db, org.id, frames=frames, as_of=as_of)
        path = rl.write_flags_csv(ev, out)
        if record:
            rules_service.run_flags(db, org.id, None, frames=frames, as_of=as_of)
    return (f"{org.name}: rules version {v.version} flagged {len(ev.flags):,} (resident, rule) pairs among "
            f"{ev.residents:,} residents ({ev.opted_out:,} objected to profiling and were not evaluated) in "
            f"{ev.seconds:.2f} s. Wrote {path}")
