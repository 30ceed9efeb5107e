"""Subject access: everything the platform holds on one resident, including who it was shared with.

``boroughs support sar --council newham --resident 123 --out FILE.json``. The export says when data is
synthetic. Producing it is itself audited (purpose: subject access request).
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from sqlalchemy import and_, inspect, or_, select
from sqlalchemy.orm import Session

from boroughs.core import audit
from boroughs.core.db import utcnow
from boroughs.core.errors import NotFound
from boroughs.core.models import AuditEvent, Organisation
from boroughs.support.governance_models import Consent
from boroughs.support.referral import STATUS_LABELS, shares_for_resident
from boroughs.support.referral_models import Referral


def _plain(obj: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
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


def _optional_tables(db: Session, resident_id: int) -> dict[str, Any]:
    """Records other parts of the support area hold (linked source records, outreach cases), if present."""
    out: dict[str, Any] = {}
    try:
        from boroughs.support.models import ResidentRecord, SourceRecord

        recs = db.scalars(select(SourceRecord).join(ResidentRecord, ResidentRecord.source_record_id == SourceRecord.id)
                          .where(ResidentRecord.resident_id == resident_id)).all()
        out["source_records"] = [_plain(r) for r in recs]
    except ImportError:  # pragma: no cover - the linkage tables are part of the area
        pass
    try:
        from boroughs.support.outreach_models import OutreachCase

        cases = db.scalars(select(OutreachCase).where(OutreachCase.resident_id == resident_id)).all()
        out["outreach_cases"] = [{**_plain(c), "needs": [_plain(n) for n in c.needs],
                                  "contacts": [_plain(x) for x in c.contacts],
                                  "notes": [_plain(x) for x in c.notes]} for c in cases]
    except ImportError:
        pass
    return out


def subject_access_export(db: Session, council_id: int, resident_id: int, actor: Any = None) -> dict[str, Any]:
    from boroughs.support.models import Resident

    resident = db.get(Resident, resident_id)
    if resident is None or resident.organisation_id != council_id:
        raise NotFound("That council holds no resident with that id.")
    council = db.get(Organisation, council_id)
    referrals = db.scalars(select(Referral).where(Referral.resident_id == resident_id).order_by(Referral.id)).all()
    consents = db.scalars(select(Consent).where(Consent.resident_id == resident_id).order_by(Consent.id)).all()
    orgs = {o.id: o.name for o in db.scalars(select(Organisation))}
    reads = db.scalars(select(AuditEvent).where(or_(
        and_(AuditEvent.object_type == "resident", AuditEvent.object_id == str(resident_id)),
        and_(AuditEvent.object_type == "referral", AuditEvent.object_id.in_([str(r.id) for r in referrals])),
    )).order_by(AuditEvent.id)).all()
    doc: dict[str, Any] = {
        "about": "Subject access request export from Boroughs",
        "synthetic": bool(resident.synthetic),
        "synthetic_note": ("SYNTHETIC: this resident was invented by the software; not a real person."
                           if resident.synthetic else None),
        "generated_at": utcnow().isoformat(),
        "controller": council.name if council else str(council_id),
        "resident": _plain(resident),
        **_optional_tables(db, resident_id),
        "consents": [_plain(c) for c in consents],
        "referrals": [{
            **_plain(r), "status_label": STATUS_LABELS.get(r.status, r.status),
            "recipient": orgs.get(r.vcs_org_id),
            "timeline": [{"at": e.at.isoformat(), "kind": e.kind, "by": orgs.get(e.actor_org_id or 0),
                          "note": e.note} for e in r.events],
        } for r in referrals],
        "shared_with": shares_for_resident(db, resident_id),
        "access_log": [{"at": e.at.isoformat(), "action": e.action, "by": e.actor_email,
                        "organisation": orgs.get(e.organisation_id or 0), "purpose": e.purpose}
                       for e in reads],
    }
    audit.record(db, "support.resident.sar", actor=actor, organisation_id=council_id, object_type="resident",
                 object_id=resident_id, purpose="subject access request")
    return doc
