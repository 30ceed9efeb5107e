"""Raising and working concerns (issue 17).

* ``raise_concern`` checks the fields (plain-English problems keyed by field, for the GOV.UK error summary),
  stores the concern in the council's queue with a reference, and audits it. Nothing is stored when a field
  is wrong.
* The public form carries no CAPTCHA. Its defences: a honeypot field people never see (a filled one is
  refused without saying why), a signed time stamp (sent sooner than ``concern_min_seconds`` after the
  form was shown, or from a form older than ``concern_max_form_age_hours``, is refused) and a limit per
  network address per hour (``concern_public_limit_per_hour``), counted on a keyed hash of the address.
* ``update_concern`` moves a concern through new → in review → closed, optionally matching it to a
  resident, and audits each step.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from boroughs.config import get_settings
from boroughs.core import audit
from boroughs.core.db import utcnow
from boroughs.core.errors import NotFound, ValidationFailed
from boroughs.core.models import Organisation, OrgKind
from boroughs.support.concerns.models import Concern
from boroughs.support.records.schemas import EMAIL, SCHEMAS, UK_PHONE, UK_POSTCODE

CATEGORIES: tuple[str, ...] = SCHEMAS["vcs_concern"].field("category").choices
STATUSES = {"new": "New", "in_review": "Being looked at", "closed": "Closed"}
DETAIL_MAX = 2000
NAME_MAX = 200


class ConcernRefused(Exception):
    """A public submission failed a spam defence; ``reason`` is for the audit trail, not the sender."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass
class ConcernInput:
    council_slug: str = ""
    about_self: bool = False
    about_name: str = ""
    about_address: str = ""
    about_postcode: str = ""
    about_phone: str = ""
    about_email: str = ""
    category: str = ""
    detail: str = ""
    reporter_name: str = ""
    reporter_contact: str = ""
    knows_about_it: str = ""  # "yes" / "no" / ""


def from_form(form: Any) -> ConcernInput:
    def get(name: str) -> str:
        return str(form.get(name) or "").strip()

    return ConcernInput(
        council_slug=get("council"), about_self=get("about_self") == "yes", about_name=get("about_name"),
        about_address=get("about_address"), about_postcode=get("about_postcode").upper(),
        about_phone=get("about_phone"), about_email=get("about_email"), category=get("category"),
        detail=get("detail"), reporter_name=get("reporter_name"), reporter_contact=get("reporter_contact"),
        knows_about_it=get("knows_about_it"))


def councils(db: Session) -> list[Organisation]:
    return list(db.scalars(select(Organisation).where(Organisation.kind == OrgKind.COUNCIL.value)
                           .order_by(Organisation.name)))


def check(db: Session, data: ConcernInput, *, public: bool) -> tuple[Organisation | None, dict[str, str]]:
    """The council and the problems, keyed by the form field's id (in the order the form shows them)."""
    errors: dict[str, str] = {}
    council = db.scalar(select(Organisation).where(Organisation.slug == data.council_slug,
                                                   Organisation.kind == OrgKind.COUNCIL.value))
    if council is None:
        errors["council"] = "Choose the council the person lives in"
    if not data.about_name:
        errors["about_name"] = ("Enter your name" if data.about_self else "Enter the name of the person you are "
                                "worried about")
    elif len(data.about_name) > NAME_MAX:
        errors["about_name"] = f"The name must be {NAME_MAX} characters or fewer"
    if len(data.about_address) > 300:
        errors["about_address"] = "The address must be 300 characters or fewer"
    if data.about_postcode and not re.match(UK_POSTCODE, data.about_postcode):
        errors["about_postcode"] = "Enter a real postcode, like E15 1AA"
    if data.about_phone and not re.match(UK_PHONE, data.about_phone):
        errors["about_phone"] = "Enter a UK phone number, like 07700 900123 or 020 7946 0000"
    if data.about_email and (len(data.about_email) > 200 or not re.match(EMAIL, data.about_email)):
        errors["about_email"] = "Enter an email address in the correct format, like name@example.com"
    if not (data.about_address or data.about_postcode or data.about_phone or data.about_email):
        errors.setdefault("about_address", "Enter an address, postcode, phone number or email address, so the "
                                           "council can find the right person")
    if data.category not in CATEGORIES:
        errors["category"] = "Choose what the concern is about"
    if not data.detail:
        errors["detail"] = "Describe the concern"
    elif len(data.detail) > DETAIL_MAX:
        errors["detail"] = f"The description must be {DETAIL_MAX:,} characters or fewer"
    if public and not data.about_self:
        if not data.reporter_name:
            errors["reporter_name"] = "Enter your name"
        if data.knows_about_it not in ("yes", "no"):
            errors["knows_about_it"] = "Say whether the person knows you are raising this concern"
    if len(data.reporter_name) > NAME_MAX:
        errors["reporter_name"] = f"Your name must be {NAME_MAX} characters or fewer"
    if len(data.reporter_contact) > 200:
        errors["reporter_contact"] = "Your contact details must be 200 characters or fewer"
    return council, errors


def _reference() -> str:
    return "C-" + "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(8))


def source_hash(address: str) -> str:
    """A keyed hash of a network address: enough to count submissions, not to recover the address."""
    return hmac.new(get_settings().secret_key.encode(), f"concern:{address}".encode(), hashlib.sha256).hexdigest()


# ----------------------------------------------------------------------------- the public form's defences

def _signer() -> TimestampSigner:
    return TimestampSigner(get_settings().secret_key, salt="boroughs-concern-form")


def form_stamp() -> str:
    """A signed time stamp put in the public form when it is shown."""
    return _signer().sign(secrets.token_hex(4)).decode()


def check_spam(db: Session, *, honeypot: str, stamp: str, address: str, now: dt.datetime | None = None) -> None:
    """Raise ``ConcernRefused`` when a public submission looks automated or exceeds the limit."""
    settings = get_settings()
    if honeypot.strip():
        raise ConcernRefused("honeypot", "Your concern could not be sent. Please try again.")
    try:
        _, signed_at = _signer().unsign(stamp, max_age=settings.concern_max_form_age_hours * 3600,
                                        return_timestamp=True)
    except SignatureExpired:
        raise ConcernRefused("form too old", "The form was open for a long time, so it was not sent. Check your "
                                             "answers and send it again.") from None
    except BadSignature:
        raise ConcernRefused("bad stamp", "Your concern could not be sent. Please reload the page and try again."
                             ) from None
    now = now or utcnow()
    if (now - signed_at).total_seconds() < settings.concern_min_seconds:
        raise ConcernRefused("too fast", "Your concern could not be sent. Please check your answers and send it "
                                         "again.")
    since = now - dt.timedelta(hours=1)
    sent = db.scalar(select(func.count()).select_from(Concern).where(
        Concern.source_hash == source_hash(address), Concern.created_at >= since)) or 0
    if sent >= settings.concern_public_limit_per_hour:
        raise ConcernRefused("rate limit", "Too many concerns have been sent from this connection in the last hour. "
                                           "Please try again later, or phone the council.")


# ----------------------------------------------------------------------------- raising and working

def raise_concern(db: Session, data: ConcernInput, *, user: Any = None, vcs_org_id: int | None = None,
                  address: str | None = None) -> Concern:
    """Store a concern in the council's queue and audit it; ``ValidationFailed`` (with ``errors``) if a field
    is wrong. ``user``/``vcs_org_id`` for a signed-in partner; ``address`` for the public form."""
    public = user is None
    council, errors = check(db, data, public=public)
    if errors or council is None:
        exc = ValidationFailed("; ".join(errors.values()))
        exc.errors = errors  # type: ignore[attr-defined]
        raise exc
    concern = Concern(
        reference=_reference(), council_id=council.id, channel="public" if public else "vcs",
        raised_by_org_id=vcs_org_id, raised_by_user_id=getattr(user, "id", None), about_self=data.about_self,
        about_name=data.about_name, about_address=data.about_address or None,
        about_postcode=data.about_postcode or None, about_phone=data.about_phone or None,
        about_email=data.about_email or None, category=data.category, detail=data.detail,
        reporter_name=data.reporter_name or None, reporter_contact=data.reporter_contact or None,
        knows_about_it={"yes": True, "no": False}.get(data.knows_about_it), status="new",
        source_hash=source_hash(address) if address else None,
    )
    db.add(concern)
    db.flush()
    audit.record(db, "support.concern.raise", actor=user, organisation_id=council.id, object_type="concern",
                 object_id=concern.id, purpose="raise a concern about a resident with the council",
                 detail={"reference": concern.reference, "channel": concern.channel, "category": data.category,
                         "vcs_org_id": vcs_org_id})
    return concern


def queue(db: Session, council_id: int, *, status: str | None = None, limit: int = 200) -> list[Concern]:
    q = select(Concern).where(Concern.council_id == council_id)
    if status:
        q = q.where(Concern.status == status)
    return list(db.scalars(q.order_by(Concern.created_at.desc(), Concern.id.desc()).limit(limit)))


def counts(db: Session, council_id: int) -> dict[str, int]:
    rows = db.execute(select(Concern.status, func.count()).where(Concern.council_id == council_id)
                      .group_by(Concern.status)).all()
    return {k: 0 for k in STATUSES} | {s: int(n) for s, n in rows}


def get_concern(db: Session, council_id: int, concern_id: int) -> Concern:
    c = db.get(Concern, concern_id)
    if c is None or c.council_id != council_id:
        raise NotFound("There is no such concern.")
    return c


def raised_by(db: Session, vcs_org_id: int, limit: int = 50) -> list[Concern]:
    return list(db.scalars(select(Concern).where(Concern.raised_by_org_id == vcs_org_id)
                           .order_by(Concern.id.desc()).limit(limit)))


def update_concern(db: Session, concern: Concern, user: Any, *, status: str, note: str = "",
                   resident_id: int | None = None) -> None:
    from boroughs.support.records.models import Resident

    if status not in STATUSES:
        raise ValidationFailed("Choose what happens to the concern.")
    if status == "closed" and not note.strip():
        raise ValidationFailed("Say what was done before closing the concern.")
    if resident_id is not None:
        r = db.get(Resident, resident_id)
        if r is None or r.organisation_id != concern.council_id:
            raise ValidationFailed("This council holds no resident with that number.")
        concern.resident_id = resident_id
    concern.status = status
    if note.strip():
        concern.outcome_note = note.strip()[:DETAIL_MAX]
    concern.reviewed_by_id = getattr(user, "id", None)
    concern.reviewed_at = utcnow()
    db.flush()
    audit.record(db, "support.concern.update", actor=user, organisation_id=concern.council_id,
                 object_type="concern", object_id=concern.id, purpose="work a concern raised about a resident",
                 detail={"status": status, "resident_id": concern.resident_id})
