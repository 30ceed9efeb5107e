"""What referrals hold on a resident, for subject access: the batches and referrals made for them, each
with its timeline, and who their details were shared with."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core.models import Organisation
from boroughs.support.governance.subject_access import Section, plain, register_section
from boroughs.support.referrals.models import Referral, ReferralBatch
from boroughs.support.referrals.service import STATUS_LABELS, shares_for_resident


def _batches(db: Session, resident_id: int) -> list[dict[str, Any]]:
    return [plain(b) for b in db.scalars(select(ReferralBatch).where(ReferralBatch.resident_id == resident_id)
                                         .order_by(ReferralBatch.id))]


def _of(db: Session, resident_id: int) -> list[Referral]:
    return list(db.scalars(select(Referral).where(Referral.resident_id == resident_id).order_by(Referral.id)))


def _referrals(db: Session, resident_id: int) -> list[dict[str, Any]]:
    orgs = {o.id: o.name for o in db.scalars(select(Organisation))}
    return [{**plain(r), "status_label": STATUS_LABELS.get(r.status, r.status), "recipient": orgs.get(r.vcs_org_id),
             "timeline": [{"at": e.at.isoformat(), "kind": e.kind, "by": orgs.get(e.actor_org_id or 0),
                           "note": e.note} for e in r.events]} for r in _of(db, resident_id)]


def _audited(db: Session, resident_id: int) -> dict[str, list[str]]:
    return {"referral": [str(r.id) for r in _of(db, resident_id)]}


register_section(Section("referral_batches", ("support_referral_batch",), _batches, position=50))
register_section(Section("referrals", ("support_referral", "support_referral_event"), _referrals, position=80,
                         audited=_audited))
register_section(Section("shared_with", ("support_share",), shares_for_resident, position=90))
