"""The messages referrals send (issue 15), queued in the outbox in the same transaction as the change.

What a data sharing agreement allows a message to carry is less than what the referral itself shares: a
message can be forwarded, printed or read on a phone in a shared office. So these messages say only that
something happened, the referral's reference (a random code, not derived from the resident), the service
and organisations involved, and a link; the resident's details, needs, notes and reasons stay behind the
sign-in. ``tests/support/referrals/test_referral_messages.py`` checks that no resident's name, date of birth, address
or phone number appears in any of them.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from boroughs.core import notify
from boroughs.core.models import Organisation, User
from boroughs.support.referrals.models import Referral

notify.register_template("support.referral.new", "You have a new referral ((reference))", """
Hello,

((council)) has sent ((organisation)) a new referral for ((service)). Its reference is ((reference)).

Please accept or decline it by ((respond_by)). Sign in to see the referral:

((link))

This email does not contain the resident's details. Do not reply to it with personal information.
""", "to the receiving organisation's staff when a referral is sent")

notify.register_template("support.referral.reminder", "Reminder: referral ((reference)) is waiting for a response", """
Hello,

Referral ((reference)) for ((service)) from ((council)) has been waiting longer than ((organisation)) promised to
respond. Please accept or decline it as soon as you can. If nobody responds, it will go back to the council.

((link))
""", "to the receiving organisation's staff when a referral is overdue")

notify.register_template("support.referral.update", "Referral ((reference)): ((what))", """
Hello,

((organisation)) has updated referral ((reference)) for ((service)): ((what)).

Sign in to see the details:

((link))

This email does not contain the resident's details.
""", "to the referring officer when a referral is accepted, declined, closed with an outcome or returned")

UPDATES = {
    "accepted": "accepted",
    "declined": "declined",
    "outcome": "outcome recorded",
    "returned": "returned to you because nobody responded in time",
}


def _names(db: Session, ref: Referral) -> dict[str, str]:
    council = db.get(Organisation, ref.council_id)
    vcs = db.get(Organisation, ref.vcs_org_id)
    from boroughs.support.directory.service import services_by_id

    service = services_by_id(db, [ref.service_id]).get(ref.service_id)
    return {"council": council.name if council else "A council", "organisation": vcs.name if vcs else "the organisation",
            "service": service.name if service else "a service", "reference": ref.reference}


def new_referral(db: Session, ref: Referral) -> None:
    """Tell the receiving organisation's staff that a referral has arrived."""
    users = notify.members_who_may(db, ref.vcs_org_id, "support.referral.respond")
    values = {**_names(db, ref), "respond_by": f"{ref.respond_by:%d %B %Y}",
              "link": notify.link(f"/support/vcs/referrals/{ref.id}")}
    notify.enqueue_to_users(db, "support.referral.new", users, values, organisation_id=ref.vcs_org_id,
                            reference=f"referral-{ref.id}", dedupe_key=f"support.referral.new:{ref.id}")


def reminder(db: Session, ref: Referral) -> None:
    users = notify.members_who_may(db, ref.vcs_org_id, "support.referral.respond")
    values = {**_names(db, ref), "link": notify.link(f"/support/vcs/referrals/{ref.id}")}
    notify.enqueue_to_users(db, "support.referral.reminder", users, values, organisation_id=ref.vcs_org_id,
                            reference=f"referral-{ref.id}", dedupe_key=f"support.referral.reminder:{ref.id}")


def update_for_referrer(db: Session, ref: Referral, what: str) -> None:
    """Tell the officer who made the referral (or, if they have left, the council's referral staff)."""
    referrer = db.get(User, ref.created_by_id) if ref.created_by_id else None
    users = [referrer] if referrer is not None and referrer.is_active and any(
        m.organisation_id == ref.council_id for m in referrer.memberships) else \
        notify.members_who_may(db, ref.council_id, "support.referral.view_sent")
    names = _names(db, ref)
    del names["council"]
    values = {**names, "what": UPDATES[what], "link": notify.link(f"/support/referrals/{ref.id}")}
    notify.enqueue_to_users(db, "support.referral.update", users, values, organisation_id=ref.council_id,
                            reference=f"referral-{ref.id}", dedupe_key=f"support.referral.{what}:{ref.id}")
