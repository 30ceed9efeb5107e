"""Referrals end to end in the service layer: minimised sharing, the VCS side, reminders and returns,
consent, the share log and reports (issue 7)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core.db import utcnow
from boroughs.core.errors import NotFound, PermissionDenied, ValidationFailed
from boroughs.core.models import AuditEvent
from boroughs.support.governance import service as governance
from boroughs.support.governance.models import Agreement
from boroughs.support.referrals import service as referral
from boroughs.support.referrals.models import Referral, Share

from ..referral_factories import world


def _consent(session: Session, w, resident) -> governance.Consent:  # type: ignore[no-untyped-def]
    agreement = session.scalars(select(Agreement).where(Agreement.reference == "DSA-DEMO-2026-02")).one()
    return governance.record_consent(
        session, council_id=w.orgs["newham"].id, resident_id=resident.id, agreement_id=agreement.id,
        scope="Share my name, phone and postcode with Digital Buddies so they can help me get online",
        given_on=utcnow().date(), method="phone", recorded_by=w.users["officer"])


def test_refer_to_two_services_one_declines_one_accepts_and_records_outcome(session: Session) -> None:
    w = world(session)
    ada = w.residents["ada"]
    _consent(session, w, ada)
    batch = referral.send_referrals(
        session, w.users["officer"], council_id=w.orgs["newham"].id, resident_id=ada.id,
        service_ids=[w.services["food"].id, w.services["device"].id], needs_list=["food", "digital"],
        reason="Short of food since benefits stopped; no way to get online")
    food, device = batch.referrals
    # minimised: only the fields each agreement allows for its purpose
    assert set(food.shared) == {"first_name", "last_name", "phone", "address", "postcode", "needs", "referral_reason"}
    assert set(device.shared) == {"first_name", "phone", "postcode", "age_band", "needs", "referral_reason"}
    assert "date_of_birth" not in device.shared and "disability" not in food.shared
    # each service hears only of the assessed needs it meets
    assert food.shared["needs"] == ["Food"] and device.shared["needs"] == ["Digital access"]
    assert device.consent_id is not None and food.consent_id is None

    referral.decline(session, w.users["buddies"], device, "No devices left until next month")
    referral.accept(session, w.users["eastside"], food)
    referral.record_contact(session, w.users["eastside"], food, "Phoned, parcel delivered next day")
    referral.record_outcome(session, w.users["eastside"], food, "help_given", "Parcel delivered")

    seen = referral.sent_by_council(session, w.users["officer"], w.orgs["newham"].id, resident_id=ada.id)
    by_id = {r.id: r for r in seen}
    assert by_id[device.id].status == "declined" and (by_id[device.id].decline_reason or "").startswith("No devices")
    assert by_id[food.id].status == "closed" and by_id[food.id].outcome == "help_given"
    assert all(r.officer_unseen for r in seen)
    kinds = [e.kind for e in food.events]
    assert kinds == ["sent", "accepted", "contact", "outcome"]

    shares = referral.shares_for_resident(session, ada.id)
    assert {s["recipient"] for s in shares} == {w.orgs["eastside"].name, w.orgs["buddies"].name}
    assert all(s["lawful_basis"] and s["purpose"] for s in shares)
    audits = session.scalars(select(AuditEvent).where(AuditEvent.action == "support.referral.share")).all()
    assert len(audits) == 2 and all(a.purpose for a in audits)

    rows = referral.partnership_report(session, vcs_org_id=w.orgs["eastside"].id)
    food_row = next(r for r in rows if r["service"] == w.services["food"].name)
    assert food_row["received"] == 1 and food_row["accepted"] == 1 and food_row["outcome_help_given"] == 1
    assert food_row["median_hours_to_first_contact"] is not None
    assert "received" in referral.report_csv(rows).splitlines()[0]


def test_decline_needs_a_reason_and_transitions_are_enforced(session: Session) -> None:
    w = world(session)
    batch = referral.send_referrals(session, w.users["officer"], council_id=w.orgs["newham"].id,
                                    resident_id=w.residents["bo"].id, service_ids=[w.services["food"].id],
                                    needs_list=["food"], reason=None)
    ref = batch.referrals[0]
    with pytest.raises(ValidationFailed, match="reason"):
        referral.decline(session, w.users["eastside"], ref, "   ")
    with pytest.raises(ValidationFailed):
        referral.record_outcome(session, w.users["eastside"], ref, "help_given")
    referral.accept(session, w.users["eastside"], ref)
    with pytest.raises(ValidationFailed):
        referral.accept(session, w.users["eastside"], ref)
    with pytest.raises(ValidationFailed, match="outcome"):
        referral.record_outcome(session, w.users["eastside"], ref, "made_up")


def test_no_share_without_consent_where_consent_is_the_basis(session: Session) -> None:
    w = world(session)
    with pytest.raises(ValidationFailed, match="consent"):
        referral.send_referrals(session, w.users["officer"], council_id=w.orgs["newham"].id,
                                resident_id=w.residents["bo"].id, service_ids=[w.services["device"].id],
                                needs_list=["digital"], reason=None)
    assert session.scalar(select(Share)) is None and session.scalar(select(Referral)) is None


def test_withdrawn_consent_stops_sharing_at_once(session: Session) -> None:
    w = world(session)
    bo = w.residents["bo"]
    consent = _consent(session, w, bo)
    batch = referral.send_referrals(session, w.users["officer"], council_id=w.orgs["newham"].id,
                                    resident_id=bo.id, service_ids=[w.services["device"].id],
                                    needs_list=["digital"], reason="Wants to get online")
    ref = batch.referrals[0]
    assert referral.visible_shared(session, ref)
    stopped = governance.withdraw_consent(session, consent, w.users["officer"], "Resident phoned to withdraw")
    assert stopped == 1 and ref.status == "withdrawn"
    assert referral.visible_shared(session, ref) == {}
    with pytest.raises(ValidationFailed, match="consent"):
        referral.send_referrals(session, w.users["officer"], council_id=w.orgs["newham"].id, resident_id=bo.id,
                                service_ids=[w.services["skills"].id], needs_list=["digital"], reason=None)


def test_expired_consent_hides_shared_data_and_blocks_new_shares(session: Session) -> None:
    w = world(session)
    bo = w.residents["bo"]
    agreement = session.scalars(select(Agreement).where(Agreement.reference == "DSA-DEMO-2026-02")).one()
    today = utcnow().date()
    c = governance.record_consent(session, council_id=w.orgs["newham"].id, resident_id=bo.id,
                                  agreement_id=agreement.id, scope="Digital help", method="in_person",
                                  given_on=today - dt.timedelta(days=10), expires_on=today + dt.timedelta(days=1),
                                  recorded_by=w.users["officer"])
    batch = referral.send_referrals(session, w.users["officer"], council_id=w.orgs["newham"].id,
                                    resident_id=bo.id, service_ids=[w.services["device"].id],
                                    needs_list=["digital"], reason=None)
    c.expires_on = today - dt.timedelta(days=1)
    session.flush()
    assert referral.visible_shared(session, batch.referrals[0]) == {}
    with pytest.raises(ValidationFailed):
        referral.accept(session, w.users["buddies"], batch.referrals[0])
    with pytest.raises(ValidationFailed):
        governance.check_share(session, council_id=w.orgs["newham"].id, recipient_id=w.orgs["buddies"].id,
                               resident_id=bo.id)


@pytest.mark.parametrize("change", ["terminated", "ended", "unsigned", "not_started", "no_party"])
def test_no_share_outside_a_live_agreement(session: Session, change: str) -> None:
    w = world(session)
    a = session.scalars(select(Agreement).where(Agreement.reference == "DSA-DEMO-2026-01")).one()
    today = utcnow().date()
    if change == "terminated":
        governance.terminate_agreement(session, a, w.users["manager"])
    elif change == "ended":
        a.start_date, a.review_date, a.end_date = today - dt.timedelta(days=400), today - dt.timedelta(days=300), \
            today - dt.timedelta(days=1)
    elif change == "unsigned":
        a.signed = False
    elif change == "not_started":
        a.start_date, a.review_date = today + dt.timedelta(days=1), today + dt.timedelta(days=100)
    elif change == "no_party":
        a.parties = [p for p in a.parties if p.organisation_id != w.orgs["newham"].id]
    session.flush()
    with pytest.raises(ValidationFailed, match="no live data sharing agreement"):
        referral.send_referrals(session, w.users["officer"], council_id=w.orgs["newham"].id,
                                resident_id=w.residents["ada"].id, service_ids=[w.services["food"].id],
                                needs_list=["food"], reason=None)
    assert session.scalar(select(Share)) is None


def test_vcs_of_another_org_cannot_see_or_change_a_referral(session: Session) -> None:
    w = world(session)
    ref = referral.send_referrals(session, w.users["officer"], council_id=w.orgs["newham"].id,
                                  resident_id=w.residents["ada"].id, service_ids=[w.services["food"].id],
                                  needs_list=["food"], reason=None).referrals[0]
    for who in ("buddies", "buddies_manager", "other", "hackney_officer", "analyst"):
        with pytest.raises(NotFound):
            referral.get_for_vcs(session, w.users[who], ref.id)
        for act in (lambda u: referral.accept(session, u, ref),
                    lambda u: referral.decline(session, u, ref, "no"),
                    lambda u: referral.record_contact(session, u, ref, "x"),
                    lambda u: referral.record_outcome(session, u, ref, "help_given")):
            with pytest.raises(NotFound):
                act(w.users[who])
    with pytest.raises(PermissionDenied):
        referral.inbox(session, w.users["buddies"], w.orgs["eastside"].id)
    with pytest.raises(NotFound):
        referral.get_for_council(session, w.users["hackney_officer"], ref.id)
    assert ref.status == "sent"
    got = referral.get_for_vcs(session, w.users["eastside"], ref.id)
    assert got.id == ref.id
    read = session.scalars(select(AuditEvent).where(AuditEvent.action == "support.referral.read")).all()
    assert read and all(e.purpose for e in read)


def test_officer_cannot_refer_another_councils_resident(session: Session) -> None:
    w = world(session)
    with pytest.raises(NotFound):
        referral.send_referrals(session, w.users["officer"], council_id=w.orgs["newham"].id,
                                resident_id=w.residents["hackney"].id, service_ids=[w.services["food"].id],
                                needs_list=["food"], reason=None)
    with pytest.raises(PermissionDenied):
        referral.send_referrals(session, w.users["officer"], council_id=w.orgs["hackney"].id,
                                resident_id=w.residents["hackney"].id, service_ids=[w.services["food"].id],
                                needs_list=["food"], reason=None)


def test_reminder_then_return_to_officer(session: Session) -> None:
    w = world(session)
    t0 = utcnow() - dt.timedelta(days=10)
    ref = referral.send_referrals(session, w.users["officer"], council_id=w.orgs["newham"].id,
                                  resident_id=w.residents["ada"].id, service_ids=[w.services["food"].id],
                                  needs_list=["food"], reason=None, now=t0).referrals[0]
    promise = w.services["food"].response_days
    assert referral.process_overdue(session, t0 + dt.timedelta(days=promise) - dt.timedelta(minutes=1)) == \
        {"reminded": 0, "returned": 0}
    assert referral.process_overdue(session, t0 + dt.timedelta(days=promise, hours=1))["reminded"] == 1
    assert referral.process_overdue(session, t0 + dt.timedelta(days=promise, hours=2))["reminded"] == 0
    assert referral.process_overdue(session, t0 + dt.timedelta(days=2 * promise, hours=1))["returned"] == 1
    assert ref.status == "returned" and [e.kind for e in ref.events][-2:] == ["reminder", "returned"]


def test_ranking_prefers_needs_locality_and_accepting(session: Session) -> None:
    from boroughs.support.directory.service import rank_services

    w = world(session)
    matches = rank_services(session, needs_wanted=["food", "fuel"], borough_code="E09000025", age=40,
                            council_id=w.orgs["newham"].id)
    assert [m.service.name for m in matches][:2] == [w.services["food"].name, w.services["fuel"].name] or \
        {m.service.name for m in matches[:2]} == {w.services["food"].name, w.services["fuel"].name}
    w.services["food"].accepting_referrals = False
    session.flush()
    matches = rank_services(session, needs_wanted=["food", "fuel"], borough_code="E09000025", age=40,
                            council_id=w.orgs["newham"].id)
    assert matches[0].service.name == w.services["fuel"].name
    young = rank_services(session, needs_wanted=["digital"], borough_code="E09000012", age=16,
                          council_id=w.orgs["newham"].id)
    device = next(m for m in young if m.service.id == w.services["device"].id)
    assert not device.eligible and device.warnings


def test_a_purpose_that_names_its_needs_carries_only_referrals_for_them(session: Session) -> None:
    """Purpose limitation: the demo's help-to-claim agreement with Eastside (money and debt) never carries a
    food referral, and the food-and-fuel agreement never a referral for money and debt alone."""
    w = world(session)
    food = referral.send_referrals(session, w.users["officer"], council_id=w.orgs["newham"].id,
                                   resident_id=w.residents["ada"].id, service_ids=[w.services["food"].id],
                                   needs_list=["food"], reason=None).referrals[0]
    assert food.purpose_key == "food-fuel-referral" and "benefit_estimate" not in food.shared_fields
    from boroughs.support.entitlements.models import EntitlementEstimate

    session.add(EntitlementEstimate(organisation_id=w.orgs["newham"].id, resident_id=w.residents["bo"].id,
                                    benefit="council_tax_reduction", rates_year="2026-27",
                                    likelihood="likely", weekly_amount=6.25, annual_amount=325.0, explanation="x"))
    session.flush()
    money = referral.send_referrals(session, w.users["officer"], council_id=w.orgs["newham"].id,
                                    resident_id=w.residents["bo"].id, service_ids=[w.services["fuel"].id],
                                    needs_list=["money_debt"], reason="Wants help to claim").referrals[0]
    assert money.purpose_key == "benefit-claim-help"
    assert session.get(Agreement, money.agreement_id).reference == "DSA-DEMO-2026-03"
    assert money.shared["benefit_estimate"].startswith("Council Tax Reduction: about £6.25 a week (likely")
    # with the food-and-fuel agreement ended, a food referral to Eastside has no purpose left
    a = session.scalars(select(Agreement).where(Agreement.reference == "DSA-DEMO-2026-01")).one()
    governance.terminate_agreement(session, a, w.users["manager"])
    session.flush()
    with pytest.raises(ValidationFailed, match="no live data sharing agreement"):
        governance.check_share(session, council_id=w.orgs["newham"].id, recipient_id=w.orgs["eastside"].id,
                               resident_id=w.residents["ada"].id, needs=["food"])
    assert governance.check_share(session, council_id=w.orgs["newham"].id, recipient_id=w.orgs["eastside"].id,
                                  resident_id=w.residents["ada"].id, needs=["money_debt"]).purpose.key == \
        "benefit-claim-help"
