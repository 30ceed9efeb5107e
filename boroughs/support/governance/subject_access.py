"""Subject access: everything the platform holds on one resident, including who it was shared with.

Governance writes the resident, their linked records and their consents itself; every other part of support
adds the section about what it holds with :func:`register_section` when it is imported (rules: flags and
objections; outreach: cases and messages; referrals: referrals and shares; concerns; benefit take-up), so
governance depends on none of them. What "everything" means is checked: ``COVERAGE`` names the section
covering each table about residents, and a test compares it with ``personal_data_tables`` (derived from the
models' metadata), so a new table about residents cannot be left out.

``boroughs support sar --council newham --resident 123 --out FILE.json``. The export says when data is
synthetic. Producing it is itself audited (purpose: subject access request).
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, inspect, or_, select
from sqlalchemy.orm import Session

from boroughs.core import audit
from boroughs.core.db import utcnow
from boroughs.core.errors import NotFound
from boroughs.core.models import AuditEvent, Organisation
from boroughs.support.governance.models import Consent
from boroughs.support.records.models import (
    LinkPair,
    RecordEvent,
    Resident,
    ResidentRecord,
    ReviewDecision,
    SourceRecord,
)


def plain(obj: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """A row as JSON-ready values (dates as ISO text, decimals as numbers), leaving out ``skip``."""
    out = {}
    for attr in inspect(obj).mapper.column_attrs:
        if attr.key in skip:
            continue
        v = getattr(obj, attr.key)
        if isinstance(v, (dt.date, dt.datetime)):
            v = v.isoformat()
        elif isinstance(v, decimal.Decimal):
            v = float(v)
        out[attr.key] = v
    return out


@dataclass(frozen=True)
class Section:
    """A part of the export, added by the part of support that holds the data.

    ``read(session, resident_id)`` returns the section (JSON-ready); ``tables`` are the tables it covers;
    ``audited(session, resident_id)`` names the objects (``{object_type: [ids]}``) whose reads belong in the
    resident's access log; ``position`` orders the sections in the export.
    """

    name: str
    tables: tuple[str, ...]
    read: Callable[[Session, int], Any]
    position: int
    audited: Callable[[Session, int], dict[str, list[str]]] | None = None


SECTIONS: dict[str, Section] = {}

# Every table holding data about a resident, and the section of the export that covers it (issue 17):
# governance's own here, the others' added with their sections.
COVERAGE: dict[str, str] = {
    "support_resident": "resident",
    "support_resident_record": "source_records",
    "support_source_record": "source_records",
    "support_record_event": "record_histories",
    "support_link_pair": "linkage_evidence",
    "support_review_decision": "linkage_review_decisions",
    "support_consent": "consents",
}


def register_section(section: Section) -> Section:
    SECTIONS[section.name] = section
    for table in section.tables:
        COVERAGE[table] = section.name
    return section


PERSON_ROOTS = ("support_resident", "support_source_record")


def personal_data_tables(metadata: Any) -> set[str]:
    """Tables about residents: the resident and source-record tables, every table with a ``resident_id``,
    and every table that refers (by foreign key, at any depth) to one of those."""
    tables = metadata.tables
    found = {t for t in PERSON_ROOTS if t in tables}
    changed = True
    while changed:
        changed = False
        for t in tables.values():
            if t.name in found:
                continue
            refers = {fk.column.table.name for fk in t.foreign_keys}
            if refers & found or "resident_id" in t.columns:
                found.add(t.name)
                changed = True
    return found


def _linked_records(db: Session, resident_id: int) -> list[Any]:
    return list(db.scalars(select(SourceRecord).join(ResidentRecord, ResidentRecord.source_record_id == SourceRecord.id)
                           .where(ResidentRecord.resident_id == resident_id).order_by(SourceRecord.id)))


def _records(db: Session, resident_id: int) -> dict[str, Any]:
    records = _linked_records(db, resident_id)
    record_ids = [r.id for r in records]
    links = {x.source_record_id: x for x in db.scalars(select(ResidentRecord)
                                                       .where(ResidentRecord.resident_id == resident_id))}
    either = (or_(LinkPair.record_a_id.in_(record_ids), LinkPair.record_b_id.in_(record_ids)) if record_ids
              else LinkPair.id.is_(None))
    decided = (or_(ReviewDecision.record_a_id.in_(record_ids), ReviewDecision.record_b_id.in_(record_ids))
               if record_ids else ReviewDecision.id.is_(None))
    return {
        "source_records": [{**plain(r), "match_probability": getattr(links.get(r.id), "match_probability", None)}
                           for r in records],
        "record_histories": [plain(e) for e in db.scalars(
            select(RecordEvent).where(RecordEvent.source_record_id.in_(record_ids))
            .order_by(RecordEvent.source_record_id, RecordEvent.event_date, RecordEvent.id))] if record_ids else [],
        "linkage_evidence": [plain(p) for p in db.scalars(select(LinkPair).where(either).order_by(LinkPair.id))],
        "linkage_review_decisions": [plain(d) for d in db.scalars(
            select(ReviewDecision).where(decided).order_by(ReviewDecision.id))],
    }


def subject_access_export(db: Session, council_id: int, resident_id: int, actor: Any = None) -> dict[str, Any]:
    resident = db.get(Resident, resident_id)
    if resident is None or resident.organisation_id != council_id:
        raise NotFound("That council holds no resident with that id.")
    council = db.get(Organisation, council_id)
    consents = db.scalars(select(Consent).where(Consent.resident_id == resident_id).order_by(Consent.id)).all()
    orgs = {o.id: o.name for o in db.scalars(select(Organisation))}
    sections = sorted(SECTIONS.values(), key=lambda s: s.position)
    objects: list[Any] = [and_(AuditEvent.object_type.in_(("resident", "support_resident")),
                               AuditEvent.object_id == str(resident_id))]
    for section in sections:
        for object_type, ids in (section.audited(db, resident_id) if section.audited else {}).items():
            objects.append(and_(AuditEvent.object_type == object_type, AuditEvent.object_id.in_(ids)))
    reads = db.scalars(select(AuditEvent).where(or_(*objects)).order_by(AuditEvent.id)).all()
    doc: dict[str, Any] = {
        "about": "Subject access request export from Boroughs",
        "synthetic": bool(resident.synthetic),
        "synthetic_note": ("SYNTHETIC: this resident was invented by the software; not a real person."
                           if resident.synthetic else None),
        "generated_at": utcnow().isoformat(),
        "controller": council.name if council else str(council_id),
        "covers": sorted(COVERAGE),
        "resident": plain(resident),
        **_records(db, resident_id),
        "consents": [plain(c) for c in consents],
        **{section.name: section.read(db, resident_id) for section in sections},
        "access_log": [{"at": e.at.isoformat(), "action": e.action, "by": e.actor_email,
                        "organisation": orgs.get(e.organisation_id or 0), "purpose": e.purpose}
                       for e in reads],
    }
    audit.record(db, "support.resident.sar", actor=actor, organisation_id=council_id, object_type="resident",
                 object_id=resident_id, purpose="subject access request")
    return doc
