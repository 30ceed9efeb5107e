"""Referral messages (issue 15): a referral sent produces a delivered email in a real SMTP server on 127.0.0.1
and a delivery record; a rolled-back referral sends nothing; replies, reminders and returns reach the right
people; and no message carries the resident's details."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core import notify
from boroughs.core.db import session_factory, utcnow
from boroughs.core.notify import OutboxAttempt, OutboxMessage, Policy, SmtpBackend
from boroughs.support.referrals import service as referral

from ..referral_factories import world
from .test_referral_flow import _consent

POLICY = Policy(max_attempts=3, retry_seconds=60, retry_max_seconds=600, lease_seconds=300, batch_size=10)


def _send(db: Session, w, who: str = "bo", services: tuple[str, ...] = ("food",)):  # type: ignore[no-untyped-def]
    return referral.send_referrals(db, w.users["officer"], council_id=w.orgs["newham"].id,
                                   resident_id=w.residents[who].id,
                                   service_ids=[w.services[s].id for s in services], needs_list=["food"],
                                   reason="Bo Synthetic at 10 Synthetic Street has had no food since Tuesday")


def test_a_sent_referral_is_delivered_by_smtp_with_a_delivery_record(engine, smtp_server):
    with session_factory(engine)() as db, db.begin():
        w = world(db)
        ref = _send(db, w).referrals[0]
        ref_id, reference = ref.id, ref.reference
    backend = SmtpBackend(smtp_server.host, smtp_server.port, sender="Boroughs <no-reply@newham.gov.uk>",
                          starttls=False)
    counts = notify.run_once(engine, backend, POLICY)
    assert (counts.delivered, counts.failed) == (2, 0), counts.errors
    # both of Eastside's referral staff, nobody else
    got = sorted(m["To"] for m in smtp_server.messages)
    assert got == ["caseworker@eastside.test", "manager@eastside.test"]
    mail = smtp_server.to("caseworker@eastside.test")[0]
    assert mail["Subject"] == f"You have a new referral {reference}"
    assert f"http://127.0.0.1:8000/support/vcs/referrals/{ref_id}" in mail.get_content()
    assert mail["X-Boroughs-Reference"] == f"referral-{ref_id}"
    with Session(engine) as db:
        rows = db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [(m.status, m.backend, m.attempts) for m in rows] == [("delivered", "smtp", 1)] * 2
        assert {m.provider_id for m in rows} == {m["Message-ID"] for m in smtp_server.messages}
        assert all(m.organisation_id == w.orgs["eastside"].id for m in rows)
        assert db.scalar(select(OutboxAttempt).where(OutboxAttempt.message_id == rows[0].id)).ok


def test_a_rolled_back_referral_sends_nothing(engine, smtp_server):
    with session_factory(engine)() as db, db.begin():
        w = world(db)
        officer_id = w.users["officer"].id
    db = session_factory(engine)()
    from boroughs.core.models import User

    w.users["officer"] = db.get(User, officer_id)
    _send(db, w)
    assert db.scalars(select(OutboxMessage)).all()  # queued with the referral ...
    db.rollback()  # ... and gone with it
    db.close()
    counts = notify.run_once(engine, SmtpBackend(smtp_server.host, smtp_server.port, sender="b@x.test",
                                                 starttls=False), POLICY)
    assert counts.claimed == 0 and smtp_server.messages == []


def test_replies_reminders_and_returns_reach_the_referrer(session):
    w = world(session)
    _consent(session, w, w.residents["ada"])
    food, device = _send(session, w, "ada", ("food", "device")).referrals
    referral.decline(session, w.users["buddies"], device, "Ada Synthetic is not on our list")
    referral.accept(session, w.users["eastside"], food)
    referral.record_outcome(session, w.users["eastside"], food, "help_given", "Gave Ada a parcel")
    late = _send(session, w, "bo").referrals[0]
    promise = late.respond_by - late.sent_at
    assert referral.process_overdue(session, now=late.respond_by + dt.timedelta(hours=1))["reminded"] == 1
    assert referral.process_overdue(session, now=late.respond_by + dt.timedelta(hours=2))["reminded"] == 0
    assert referral.process_overdue(session, now=late.respond_by + promise + dt.timedelta(hours=1))["returned"] == 1
    sent = [(m.template, m.recipient, m.subject) for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    to_officer = [s for t, r, s in sent if r == "officer@newham.test"]
    assert to_officer == [f"Referral {device.reference}: declined", f"Referral {food.reference}: accepted",
                          f"Referral {food.reference}: outcome recorded",
                          f"Referral {late.reference}: returned to you because nobody responded in time"]
    reminders = [r for t, r, s in sent if t == "support.referral.reminder"]
    assert sorted(reminders) == ["caseworker@eastside.test", "manager@eastside.test"]  # once, not per run
    new = sorted(r for t, r, s in sent if t == "support.referral.new")
    assert new == ["caseworker@buddies.test", "caseworker@eastside.test", "caseworker@eastside.test",
                   "manager@buddies.test", "manager@eastside.test", "manager@eastside.test"]


def test_no_resident_details_in_any_referral_message(session):
    w = world(session)
    _consent(session, w, w.residents["ada"])
    food, device = _send(session, w, "ada", ("food", "device")).referrals
    referral.decline(session, w.users["buddies"], device, "Ada Synthetic, born 1 May 1970, is not eligible")
    referral.accept(session, w.users["eastside"], food, "Will call Ada on 07700 900123")
    referral.record_contact(session, w.users["eastside"], food, "Phoned Ada")
    referral.record_outcome(session, w.users["eastside"], food, "help_given", "Parcel to 10 Synthetic Street")
    late = _send(session, w, "bo").referrals[0]
    referral.process_overdue(session, now=late.respond_by + dt.timedelta(hours=1))
    referral.process_overdue(session, now=utcnow() + dt.timedelta(days=60))
    messages = session.scalars(select(OutboxMessage).where(OutboxMessage.template.like("support.referral.%"))).all()
    assert {m.template for m in messages} == {"support.referral.new", "support.referral.update",
                                              "support.referral.reminder"}
    forbidden = []
    for r in (w.residents["ada"], w.residents["bo"]):
        forbidden += [r.first_name, r.last_name, r.postcode, r.dob.isoformat(), f"{r.dob:%d/%m/%Y}",
                      f"{r.dob.day} {r.dob:%B %Y}", f"{r.dob:%d %B %Y}"]
    forbidden += ["10 Synthetic Street", "07700 900123", "07700900123", "example.invalid", "no food",
                  "not eligible", "parcel"]
    for m in messages:
        text = " ".join([m.subject, m.body, *map(str, m.personalisation.values())])
        for word in forbidden:
            assert not re.search(rf"\b{re.escape(word)}\b", text, re.IGNORECASE), (m.template, word, text)
