"""The service directory: the needs taxonomy, listings, provider edits with council review, referral status,
and ranking services for a resident's assessed needs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core import audit
from boroughs.core.db import utcnow
from boroughs.core.errors import NotFound, ValidationFailed
from boroughs.support.directory.models import DirChange, DirService, DirTaxonomy, DirTerm
from boroughs.support.records.needs import NEEDS

NEEDS_TAXONOMY_UUID = "0e6b6d8a-3c2a-4f55-9a53-5a7c1d6e0b11"

def needs() -> dict[str, str]:
    """Need key -> label (the shared vocabulary in :mod:`boroughs.support.records.needs`)."""
    return dict(NEEDS)


def ensure_needs_taxonomy(db: Session) -> DirTaxonomy:
    tax = db.scalar(select(DirTaxonomy).where(DirTaxonomy.uuid == NEEDS_TAXONOMY_UUID))
    if tax is None:
        tax = DirTaxonomy(uuid=NEEDS_TAXONOMY_UUID, name="Boroughs needs",
                          description="The needs an outreach officer assesses; services say which they meet.",
                          version="1")
        db.add(tax)
        db.flush()
    have = {t.code for t in db.scalars(select(DirTerm).where(DirTerm.taxonomy_id == tax.id))}
    for key, label in needs().items():
        if key not in have:
            db.add(DirTerm(taxonomy_id=tax.id, code=key, name=label, description=f"Help with: {label.lower()}",
                           need=key))
    db.flush()
    return tax


def need_terms(db: Session, keys: list[str]) -> list[DirTerm]:
    tax = ensure_needs_taxonomy(db)
    return list(db.scalars(select(DirTerm).where(DirTerm.taxonomy_id == tax.id, DirTerm.code.in_(keys))))


def service_needs(svc: DirService) -> set[str]:
    return {t.need for t in svc.terms if t.need}


def get_service(db: Session, service_id: int) -> DirService:
    svc = db.get(DirService, service_id)
    if svc is None:
        raise NotFound("There is no such service.")
    return svc


def services_by_id(db: Session, ids: Iterable[int]) -> dict[int, DirService]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {s.id: s for s in db.scalars(select(DirService).where(DirService.id.in_(wanted)))}


def service_names(db: Session, ids: Iterable[int]) -> dict[int, str]:
    """Services' names by id (a list that shows only names loads nothing else)."""
    wanted = set(ids)
    if not wanted:
        return {}
    return {int(i): str(n) for i, n in db.execute(select(DirService.id, DirService.name).where(DirService.id.in_(wanted)))}


def owner_of(svc: DirService) -> int | None:
    return svc.organisation.owner_org_id


# ----------------------------------------------------------------------------------- referral status

def set_referral_status(db: Session, svc: DirService, actor: Any, *, accepting: bool, waiting_days: int | None,
                        capacity_week: int | None, response_days: int | None = None) -> None:
    """A provider's referral status is published at once (it is operational, not a listing change)."""
    for name, v in (("waiting time", waiting_days), ("capacity", capacity_week), ("response time", response_days)):
        if v is not None and not 0 <= v <= 365:
            raise ValidationFailed(f"Enter a {name} between 0 and 365.")
    svc.receives_referrals = True
    svc.accepting_referrals = accepting
    svc.waiting_days = waiting_days
    svc.capacity_week = capacity_week
    if response_days:
        svc.response_days = response_days
    svc.status_updated_at = utcnow()
    audit.record(db, "support.directory.status", actor=actor, organisation_id=owner_of(svc),
                 object_type="service", object_id=svc.id,
                 detail={"accepting": accepting, "waiting_days": waiting_days, "capacity_week": capacity_week})


# -------------------------------------------------------------------------- listing changes + review

EDITABLE = {
    "name": "Name",
    "description": "Description",
    "url": "Website",
    "email": "Email",
    "eligibility": "Who it is for",
    "minimum_age": "Minimum age",
    "maximum_age": "Maximum age",
    "fees": "Fees",
    "needs": "Needs it meets",
    "areas": "Boroughs served",
}


def _current(svc: DirService, name: str) -> Any:
    if name == "needs":
        return sorted(service_needs(svc))
    if name == "areas":
        return sorted(svc.areas or [])
    return getattr(svc, name)


def propose_change(db: Session, svc: DirService, actor: Any, values: dict[str, Any]) -> DirChange | None:
    """Record a provider's edit; it is applied when council staff approve it. None when nothing changed."""
    changes = {}
    for k, v in values.items():
        if k not in EDITABLE:
            raise ValidationFailed(f"{k} cannot be changed here.")
        if k == "name" and not str(v or "").strip():
            raise ValidationFailed("Enter the service's name.")
        if k in {"minimum_age", "maximum_age"} and v is not None and not 0 <= int(v) <= 130:
            raise ValidationFailed("Ages must be between 0 and 130.")
        old = _current(svc, k)
        if k in {"needs", "areas"}:
            v = sorted(set(v or []))
        if v != old:
            changes[k] = {"old": old, "new": v}
    if not changes:
        return None
    pending = db.scalar(select(DirChange).where(DirChange.service_id == svc.id, DirChange.state == "pending"))
    if pending is not None:  # one pending change per service: newer edits fold into it
        merged = dict(pending.changes)
        merged.update(changes)
        pending.changes = merged
        pending.proposed_at = utcnow()
        pending.proposed_by_id = getattr(actor, "id", None)
        change = pending
    else:
        change = DirChange(service_id=svc.id, proposed_by_id=getattr(actor, "id", None), changes=changes)
        db.add(change)
    db.flush()
    audit.record(db, "support.directory.propose", actor=actor, organisation_id=owner_of(svc),
                 object_type="service", object_id=svc.id, detail={"fields": sorted(changes)})
    return change


def review_change(db: Session, change: DirChange, actor: Any, *, approve: bool, note: str = "") -> None:
    if change.state != "pending":
        raise ValidationFailed("This change has already been reviewed.")
    if not approve and not note.strip():
        raise ValidationFailed("Say why the change is rejected, so the provider can fix it.")
    svc = change.service
    if approve:
        for k, diff in change.changes.items():
            new = diff["new"]
            if k == "needs":
                keep = [t for t in svc.terms if not t.need]
                svc.terms = keep + need_terms(db, list(new))
            elif k == "areas":
                svc.areas = list(new)
            else:
                setattr(svc, k, new)
        svc.last_modified = utcnow()
    change.state = "approved" if approve else "rejected"
    change.reviewed_by_id = getattr(actor, "id", None)
    change.reviewed_at = utcnow()
    change.review_note = note.strip() or None
    audit.record(db, "support.directory.review", actor=actor, object_type="service", object_id=svc.id,
                 detail={"change_id": change.id, "approved": approve})


def pending_changes(db: Session) -> list[DirChange]:
    return list(db.scalars(select(DirChange).where(DirChange.state == "pending").order_by(DirChange.proposed_at)))


# ------------------------------------------------------------------------------------------ ranking

@dataclass
class Match:
    service: DirService
    score: float
    met_needs: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    eligible: bool = True
    can_share: bool = False  # a live agreement lets this council refer to the provider


def rank_services(
    db: Session,
    *,
    needs_wanted: list[str],
    borough_code: str | None,
    age: int | None,
    council_id: int | None = None,
    on: dt.date | None = None,
    limit: int = 30,
) -> list[Match]:
    """Services that take referrals, best first: fit to the assessed needs, then eligibility, locality,
    whether they accept referrals now and their typical wait. Each match says why it ranks where it does."""
    from boroughs.support.governance.service import live_purposes

    labels = needs()
    wanted = set(needs_wanted)
    q = select(DirService).where(DirService.receives_referrals.is_(True), DirService.status == "active")
    matches = []
    share_cache: dict[int, bool] = {}
    for svc in db.scalars(q).unique():
        met = sorted(service_needs(svc) & wanted)
        m = Match(svc, 0.0, [labels.get(n, n) for n in met])
        if wanted and not met:
            continue
        m.score += 10 * len(met)
        if met:
            m.reasons.append("Meets " + ", ".join(labels.get(n, n).lower() for n in met))
        if age is not None and ((svc.minimum_age is not None and age < svc.minimum_age)
                                or (svc.maximum_age is not None and age > svc.maximum_age)):
            m.eligible = False
            m.score -= 20
            m.warnings.append(f"Age limits {svc.minimum_age or 0}–{svc.maximum_age or 'any'}: "
                              "the resident may not be eligible")
        if not svc.areas:
            m.score += 2
            m.reasons.append("Works across London")
        elif borough_code and borough_code in svc.areas:
            m.score += 5
            m.reasons.append("Works in the resident's borough")
        else:
            m.score -= 8
            m.warnings.append("Does not list the resident's borough")
        if svc.accepting_referrals:
            m.score += 6
            m.reasons.append("Accepting referrals")
            if svc.capacity_week == 0:
                m.score -= 4
                m.warnings.append("No capacity left this week")
        else:
            m.score -= 15
            m.warnings.append("Not accepting referrals at the moment")
        if svc.waiting_days is not None:
            m.score -= min(svc.waiting_days, 30) / 10
        owner = owner_of(svc)
        if council_id is not None and owner is not None:
            if owner not in share_cache:
                share_cache[owner] = bool(live_purposes(db, council_id, owner, on))
            m.can_share = share_cache[owner]
            if not m.can_share:
                m.warnings.append("No live data sharing agreement with this organisation")
                m.score -= 30
        matches.append(m)
    matches.sort(key=lambda m: (-m.score, m.service.name))
    return matches[:limit]
