"""Data sharing agreements and consent: the rules every share passes through.

``check_share`` is the single gate: no resident data leaves the council unless a *live* agreement names both
organisations and the purpose, the fields are among those the purpose allows, and — where consent is the
lawful basis — the resident's consent is in force (given, not withdrawn, not expired). ``minimise`` cuts a
resident's facts down to the allowed fields.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core import audit
from boroughs.core.db import utcnow
from boroughs.core.errors import NotFound, ValidationFailed
from boroughs.support.governance.models import Agreement, AgreementParty, AgreementPurpose, Consent

ART6 = {
    "a": "Article 6(1)(a) consent",
    "b": "Article 6(1)(b) contract",
    "c": "Article 6(1)(c) legal obligation",
    "d": "Article 6(1)(d) vital interests",
    "e": "Article 6(1)(e) public task",
    "f": "Article 6(1)(f) legitimate interests",
}
ART9 = {
    "a": "Article 9(2)(a) explicit consent",
    "b": "Article 9(2)(b) employment, social security and social protection",
    "c": "Article 9(2)(c) vital interests",
    "g": "Article 9(2)(g) substantial public interest",
    "h": "Article 9(2)(h) health or social care",
}
CONSENT_METHODS = {"phone": "By phone", "in_person": "In person", "letter": "By letter", "online": "Online",
                   "email": "By email"}

# Every resident field a referral could carry. Special category fields need an Article 9 condition.
FIELDS: dict[str, str] = {
    "first_name": "First name",
    "last_name": "Last name",
    "date_of_birth": "Date of birth",
    "age_band": "Age band",
    "phone": "Phone number",
    "email": "Email address",
    "address": "Address",
    "postcode": "Postcode",
    "needs": "Assessed needs",
    "referral_reason": "Reason for referral (officer's note)",
    "benefit_estimate": "Benefit take-up estimate (each benefit, its weekly amount and how sure)",
    "disability": "Disability (special category)",
}
SPECIAL_CATEGORY = {"disability"}


def basis_label(a: Agreement) -> str:
    parts = [ART6.get(a.art6_basis, a.art6_basis)]
    if a.special_category and a.art9_condition:
        parts.append(ART9.get(a.art9_condition, a.art9_condition))
    if a.dea_s35:
        parts.append("Digital Economy Act 2017 s.35")
    return "; ".join(parts)


def needs_consent(a: Agreement) -> bool:
    return a.art6_basis == "a" or (a.special_category and a.art9_condition == "a")


def agreement_state(a: Agreement, on: dt.date | None = None) -> str:
    """``draft`` (not signed), ``not started``, ``live``, ``review due`` (live, past its review date),
    ``ended`` or ``terminated``."""
    on = on or utcnow().date()
    if a.terminated_at is not None:
        return "terminated"
    if not a.signed:
        return "draft"
    if on < a.start_date:
        return "not started"
    if on > a.end_date:
        return "ended"
    if on > a.review_date:
        return "review due"
    return "live"


def is_live(a: Agreement, on: dt.date | None = None) -> bool:
    return agreement_state(a, on) in {"live", "review due"}


def problems(a: Agreement) -> list[str]:
    """What stops an agreement being signed, in plain English."""
    out = []
    if a.art6_basis not in ART6:
        out.append("Choose the UK GDPR Article 6 lawful basis.")
    if a.end_date <= a.start_date:
        out.append("The end date must be after the start date.")
    if not a.start_date <= a.review_date <= a.end_date:
        out.append("The review date must fall between the start and end dates.")
    roles = {p.role for p in a.parties}
    if "discloser" not in roles or "recipient" not in roles:
        out.append("Name at least one council that discloses and one organisation that receives.")
    if not a.purposes:
        out.append("Add at least one purpose with the fields it may share.")
    special = {f for p in a.purposes for f in p.fields} & SPECIAL_CATEGORY
    if (special or a.special_category) and a.art9_condition not in ART9:
        out.append("Special category data is shared: choose the Article 9 condition.")
    for p in a.purposes:
        unknown = set(p.fields) - set(FIELDS)
        if unknown:
            out.append(f"Purpose {p.key!r} names unknown fields: {', '.join(sorted(unknown))}.")
        if p.retention_days < 1:
            out.append(f"Purpose {p.key!r} needs a retention period of at least one day.")
    return out


@dataclass(frozen=True)
class PurposeSpec:
    key: str
    description: str
    fields: tuple[str, ...]
    retention_days: int = 365
    needs: tuple[str, ...] = ()  # the needs a referral under the purpose may be for; empty: any


def create_agreement(
    db: Session,
    *,
    reference: str,
    title: str,
    disclosers: Iterable[int],
    recipients: Iterable[int],
    purposes: Iterable[PurposeSpec],
    art6_basis: str,
    art6_detail: str = "",
    art9_condition: str | None = None,
    dea_s35: bool = False,
    start: dt.date,
    end: dt.date,
    review: dt.date,
    retention_action: str = "anonymise",
    summary: str = "",
    sign: bool = True,
    actor: Any = None,
) -> Agreement:
    specs = list(purposes)
    special = any(f in SPECIAL_CATEGORY for p in specs for f in p.fields)
    a = Agreement(reference=reference, title=title, summary=summary, art6_basis=art6_basis,
                  art6_detail=art6_detail, special_category=special or art9_condition is not None,
                  art9_condition=art9_condition, dea_s35=dea_s35, start_date=start, end_date=end,
                  review_date=review, retention_action=retention_action, signed=False,
                  created_by_id=getattr(actor, "id", None))
    a.parties = [AgreementParty(organisation_id=o, role="discloser") for o in disclosers] + [
        AgreementParty(organisation_id=o, role="recipient") for o in recipients]
    a.purposes = [AgreementPurpose(key=p.key, description=p.description, fields=list(p.fields),
                                   retention_days=p.retention_days, needs=list(p.needs)) for p in specs]
    if retention_action not in {"anonymise", "delete"}:
        raise ValidationFailed("Retention action must be 'anonymise' or 'delete'.")
    db.add(a)
    db.flush()
    if sign:
        sign_agreement(db, a, actor=actor)
    audit.record(db, "support.agreement.create", actor=actor, object_type="agreement", object_id=a.id,
                 detail={"reference": reference, "signed": a.signed})
    return a


def sign_agreement(db: Session, a: Agreement, actor: Any = None) -> None:
    issues = problems(a)
    if issues:
        raise ValidationFailed("This agreement cannot be signed yet: " + " ".join(issues))
    a.signed = True
    audit.record(db, "support.agreement.sign", actor=actor, object_type="agreement", object_id=a.id)


def terminate_agreement(db: Session, a: Agreement, actor: Any = None, note: str = "") -> None:
    a.terminated_at = utcnow()
    audit.record(db, "support.agreement.terminate", actor=actor, object_type="agreement", object_id=a.id,
                 detail={"note": note})


def set_purpose_needs(db: Session, a: Agreement, purpose_key: str, needs: Iterable[str], actor: Any = None) -> None:
    """Change which needs a purpose of the agreement covers (none: any need); audited with before and after."""
    purpose = next((p for p in a.purposes if p.key == purpose_key), None)
    if purpose is None:
        raise NotFound("This agreement has no such purpose.")
    before, after = list(purpose.needs or []), list(dict.fromkeys(needs))
    purpose.needs = after
    audit.record(db, "support.agreement.purpose_needs", actor=actor, object_type="agreement", object_id=a.id,
                 detail={"purpose": purpose_key, "before": before, "after": after})


def get_agreement(db: Session, agreement_id: int | None) -> Agreement | None:
    return db.get(Agreement, agreement_id) if agreement_id is not None else None


def agreement_references(db: Session, ids: Iterable[int]) -> dict[int, str]:
    """Agreement id -> its reference (e.g. ``DSA-NEWHAM-001``)."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = db.execute(select(Agreement.id, Agreement.reference).where(Agreement.id.in_(wanted)))
    return {agreement_id: reference for agreement_id, reference in rows}


def agreements_for(db: Session, org_ids: Iterable[int]) -> list[Agreement]:
    ids = set(org_ids)
    if not ids:
        return []
    q = (select(Agreement).join(AgreementParty).where(AgreementParty.organisation_id.in_(ids))
         .order_by(Agreement.start_date.desc()))
    return list(db.scalars(q).unique())


def live_purposes(db: Session, council_id: int, recipient_id: int,
                  on: dt.date | None = None) -> list[tuple[Agreement, AgreementPurpose]]:
    """The (agreement, purpose) pairs under which ``council_id`` may share with ``recipient_id`` today."""
    out: list[tuple[Agreement, AgreementPurpose]] = []
    for a in agreements_for(db, [council_id]):
        parties = {(p.organisation_id, p.role) for p in a.parties}
        if (council_id, "discloser") in parties and (recipient_id, "recipient") in parties and is_live(a, on):
            out.extend((a, p) for p in a.purposes)
    return out


# --------------------------------------------------------------------------------------------- consent

def consent_in_force(c: Consent, on: dt.date | None = None) -> bool:
    on = on or utcnow().date()
    return c.withdrawn_at is None and c.given_on <= on and (c.expires_on is None or on <= c.expires_on)


def consent_state(c: Consent, on: dt.date | None = None) -> str:
    on = on or utcnow().date()
    if c.withdrawn_at is not None:
        return "withdrawn"
    if c.expires_on is not None and on > c.expires_on:
        return "expired"
    if on < c.given_on:
        return "not yet given"
    return "in force"


def find_consent(db: Session, council_id: int, resident_id: int, agreement_id: int, purpose_key: str,
                 on: dt.date | None = None) -> Consent | None:
    rows = db.scalars(select(Consent).where(Consent.council_id == council_id, Consent.resident_id == resident_id,
                                            Consent.agreement_id == agreement_id)
                      .order_by(Consent.id.desc()))
    for c in rows:
        if (c.purpose_key in (None, purpose_key)) and consent_in_force(c, on):
            return c
    return None


def record_consent(db: Session, *, council_id: int, resident_id: int, agreement_id: int, scope: str,
                   given_on: dt.date, method: str, recorded_by: Any, purpose_key: str | None = None,
                   given_by: str = "the resident", expires_on: dt.date | None = None) -> Consent:
    if method not in CONSENT_METHODS:
        raise ValidationFailed(f"Say how consent was given: one of {', '.join(CONSENT_METHODS.values())}.")
    if not scope.strip():
        raise ValidationFailed("Say what the resident agreed to (the scope of their consent).")
    if given_on > utcnow().date():
        raise ValidationFailed("The date consent was given cannot be in the future.")
    if expires_on is not None and expires_on <= given_on:
        raise ValidationFailed("The expiry date must be after the date consent was given.")
    c = Consent(council_id=council_id, resident_id=resident_id, agreement_id=agreement_id,
                purpose_key=purpose_key, scope=scope.strip(), given_on=given_on, method=method,
                given_by=given_by.strip() or "the resident", recorded_by_id=getattr(recorded_by, "id", None),
                expires_on=expires_on)
    db.add(c)
    db.flush()
    audit.record(db, "support.consent.record", actor=recorded_by, organisation_id=council_id,
                 object_type="consent", object_id=c.id, purpose="record consent to share",
                 detail={"resident_id": resident_id, "agreement_id": agreement_id, "method": method})
    return c


# What relies on a consent stops when it is withdrawn: support/referrals adds the function that stops open
# referrals made under it ((session, consent, actor) -> how many stopped). Governance knows no referral.
ON_CONSENT_WITHDRAWN: list[Callable[[Session, Consent, Any], int]] = []


def withdraw_consent(db: Session, c: Consent, actor: Any, note: str = "") -> int:
    """Withdraw consent: no further sharing under it, and open referrals relying on it stop at once
    (their shared data is removed from the recipient's view). Returns how many referrals were stopped."""
    if c.withdrawn_at is not None:
        return 0
    c.withdrawn_at = utcnow()
    c.withdrawn_by_id = getattr(actor, "id", None)
    c.withdrawal_note = note.strip() or None
    audit.record(db, "support.consent.withdraw", actor=actor, organisation_id=c.council_id,
                 object_type="consent", object_id=c.id, purpose="resident withdrew consent",
                 detail={"resident_id": c.resident_id})
    return sum(stop(db, c, actor) for stop in ON_CONSENT_WITHDRAWN)


# ----------------------------------------------------------------------------------------- the gate

@dataclass(frozen=True)
class Permit:
    agreement: Agreement
    purpose: AgreementPurpose
    consent: Consent | None

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(f for f in FIELDS if f in self.purpose.fields)


class ShareRefused(ValidationFailed):
    """Sharing is not allowed; the message says why and what would allow it."""


def check_share(db: Session, *, council_id: int, recipient_id: int, resident_id: int,
                agreement_id: int | None = None, purpose_key: str | None = None,
                on: dt.date | None = None, needs: Iterable[str] | None = None) -> Permit:
    """The permit under which the council may share with the recipient now, or ``ShareRefused``.

    ``needs``: the assessed needs the referral is for; a purpose that lists its needs is used only for a
    referral for one of them (purpose limitation: an agreement to refer for food carries no other referral)."""
    options = live_purposes(db, council_id, recipient_id, on)
    if needs is not None:
        wanted = set(needs)
        options = [(a, p) for a, p in options if not p.needs or wanted & set(p.needs)]
    if agreement_id is not None:
        options = [(a, p) for a, p in options if a.id == agreement_id]
    if purpose_key is not None:
        options = [(a, p) for a, p in options if p.key == purpose_key]
    if not options:
        raise ShareRefused("There is no live data sharing agreement between your council and this "
                           "organisation for this purpose, so nothing can be shared. Ask your information "
                           "governance lead to agree one.")
    refusals = []
    for a, p in options:
        if needs_consent(a):
            c = find_consent(db, council_id, resident_id, a.id, p.key, on)
            if c is None:
                refusals.append(f"agreement {a.reference} relies on consent and the resident's consent is not "
                                "in force (not recorded, withdrawn or expired)")
                continue
            return Permit(a, p, c)
        return Permit(a, p, None)
    raise ShareRefused("Nothing can be shared: " + "; ".join(refusals) + ". Record the resident's consent first.")


def permit_still_valid(db: Session, *, council_id: int, resident_id: int, agreement: Agreement, purpose_key: str,
                       consent_id: int | None, on: dt.date | None = None) -> bool:
    """Whether data already shared may still be shown to the recipient (live agreement, consent in force)."""
    if not is_live(agreement, on):
        return False
    if needs_consent(agreement):
        c = db.get(Consent, consent_id) if consent_id else None
        return c is not None and consent_in_force(c, on)
    return True


def minimise(facts: dict[str, Any], permit: Permit) -> dict[str, Any]:
    """Only the fields the purpose allows, in the catalogue's order; absent values are left out."""
    return {f: facts[f] for f in permit.fields if facts.get(f) not in (None, "", [])}


@dataclass(frozen=True)
class RetentionTerm:
    """How long data shared for an agreement's purpose is kept, and what happens then."""

    agreement_id: int
    agreement_reference: str
    retention_days: int
    action: str  # "anonymise" or "delete"


def retention_terms(db: Session) -> dict[tuple[int, str], RetentionTerm]:
    """Every agreement purpose's retention, by (agreement id, purpose key)."""
    agreements = {a.id: a for a in db.scalars(select(Agreement))}
    out = {}
    for p in db.scalars(select(AgreementPurpose)):
        a = agreements.get(p.agreement_id)
        if a is not None:
            out[(p.agreement_id, p.key)] = RetentionTerm(a.id, a.reference, p.retention_days, a.retention_action)
    return out
