"""Retention deletes or anonymises exactly what has passed its period, and nothing else (hypothesis over
dates); subject access exports everything held including who it was shared with (issue 7)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core.db import utcnow
from boroughs.support.governance.models import Agreement
from boroughs.support.governance.retention import run_retention
from boroughs.support.governance.subject_access import subject_access_export
from boroughs.support.referrals import service as referral
from boroughs.support.referrals.models import Referral, ReferralBatch, ReferralEvent, RetentionLog, Share
from boroughs.support.referrals.retention import due

from ..referral_factories import World, world

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
STATUSES = ["sent", "accepted", "in_contact", "declined", "closed", "returned", "withdrawn"]


@settings(deadline=None)
@given(status=st.sampled_from(STATUSES), closed_days_ago=st.one_of(st.none(), st.integers(-5, 800)),
       retention=st.integers(1, 730), anonymised=st.booleans())
def test_due_is_exactly_terminal_closed_and_past_retention(status: str, closed_days_ago: int | None,
                                                          retention: int, anonymised: bool) -> None:
    ref = Referral(status=status, closed_at=None if closed_days_ago is None else NOW - dt.timedelta(days=closed_days_ago),
                   anonymised_at=NOW if anonymised else None)
    expected = (status in referral.TERMINAL and closed_days_ago is not None and not anonymised
                and closed_days_ago > retention)
    assert due(ref, retention, NOW) is expected


def _make(session: Session, w: World, service_key: str, status: str, closed_days_ago: int | None,
          agreement: Agreement) -> Referral:
    svc = w.services[service_key]
    batch = ReferralBatch(council_id=w.orgs["newham"].id, resident_id=w.residents["ada"].id)
    session.add(batch)
    session.flush()
    sent = NOW - dt.timedelta(days=(closed_days_ago or 0) + 3)
    ref = Referral(reference=f"R-{session.scalar(select(ReferralBatch.id).order_by(ReferralBatch.id.desc()))}X{status[:3]}",
                   batch_id=batch.id, council_id=w.orgs["newham"].id, resident_id=w.residents["ada"].id,
                   service_id=svc.id, vcs_org_id=svc.organisation.owner_org_id, agreement_id=agreement.id,
                   purpose_key=agreement.purposes[0].key, shared={"first_name": "Ada", "phone": "07700 900123"},
                   shared_fields=["first_name", "phone"], status=status, sent_at=sent, respond_by=sent,
                   decline_reason="Full" if status == "declined" else None,
                   closed_at=None if closed_days_ago is None else NOW - dt.timedelta(days=closed_days_ago))
    ref.events.append(ReferralEvent(kind="sent", at=sent, note="Sent with a note"))
    session.add(ref)
    session.flush()
    return ref


_cache: dict[str, Any] = {}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases=st.lists(st.tuples(st.sampled_from(["food", "device"]), st.sampled_from(STATUSES),
                                st.one_of(st.none(), st.integers(0, 800))), min_size=1, max_size=6),
       action=st.sampled_from(["anonymise", "delete"]), retention=st.integers(1, 400))
def test_retention_deletes_what_it_should_and_nothing_else(session: Session, cases: list[tuple[str, str, int | None]],
                                                           action: str, retention: int) -> None:
    key = str(id(session))
    if _cache.get("key") != key:
        _cache.update(key=key, world=world(session))
        session.commit()
    w: World = _cache["world"]
    savepoint = session.begin_nested()
    try:
        agreements = {a.reference: a for a in session.scalars(select(Agreement))}
        food_ag, device_ag = agreements["DSA-DEMO-2026-01"], agreements["DSA-DEMO-2026-02"]
        food_ag.retention_action = action
        food_ag.purposes[0].retention_days = retention
        made = [(_make(session, w, k, s, d, food_ag if k == "food" else device_ag), k, s, d) for k, s, d in cases]
        expected = {}
        for ref, k, s, d in made:
            days = retention if k == "food" else device_ag.purposes[0].retention_days
            ref_action = action if k == "food" else device_ag.retention_action
            if s in referral.TERMINAL and d is not None and d > days:
                expected[ref.reference] = ref_action
        before = {ref.reference: (dict(ref.shared), ref.status) for ref, *_ in made}
        result = run_retention(session, NOW)
        got = {r: "anonymise" for r in result.anonymised} | {r: "delete" for r in result.deleted}
        assert got == expected
        session.expire_all()
        for reference, (shared, status) in before.items():
            row = session.scalar(select(Referral).where(Referral.reference == reference))
            if expected.get(reference) == "delete":
                assert row is None
            elif expected.get(reference) == "anonymise":
                assert row is not None and row.shared == {} and row.anonymised_at is not None
                assert all(e.note is None for e in row.events) and row.status == status
            else:  # untouched
                assert row is not None and row.shared == shared and row.anonymised_at is None
                assert all(e.note == "Sent with a note" for e in row.events)
        logs = {log.referral_reference: log.action for log in session.scalars(select(RetentionLog))}
        assert logs == {r: ("anonymised" if a == "anonymise" else "deleted") for r, a in expected.items()}
        # running again changes nothing
        again = run_retention(session, NOW)
        assert again.anonymised == [] and again.deleted == []
    finally:
        savepoint.rollback()


def test_subject_access_export_includes_shares_and_consent(session: Session) -> None:
    from boroughs.support.governance import service as governance

    w = world(session)
    ada = w.residents["ada"]
    agreement = session.scalars(select(Agreement).where(Agreement.reference == "DSA-DEMO-2026-02")).one()
    governance.record_consent(session, council_id=w.orgs["newham"].id, resident_id=ada.id, agreement_id=agreement.id,
                              scope="Digital help", given_on=utcnow().date(), method="phone",
                              recorded_by=w.users["officer"])
    referral.send_referrals(session, w.users["officer"], council_id=w.orgs["newham"].id, resident_id=ada.id,
                            service_ids=[w.services["food"].id, w.services["device"].id],
                            needs_list=["food", "digital"], reason="Needs food")
    doc = subject_access_export(session, w.orgs["newham"].id, ada.id, actor=w.users["manager"])
    assert doc["synthetic"] is True and "SYNTHETIC" in doc["synthetic_note"]
    assert doc["resident"]["first_name"] == "Ada"
    assert len(doc["source_records"]) == 1 and doc["source_records"][0]["phone"] == "07700 900123"
    assert len(doc["consents"]) == 1 and len(doc["referrals"]) == 2
    assert {s["recipient"] for s in doc["shared_with"]} == {w.orgs["eastside"].name, w.orgs["buddies"].name}
    assert all(s["fields"] and s["lawful_basis"] for s in doc["shared_with"])
    assert any(a["action"] == "support.referral.share" for a in doc["access_log"])
    import json

    json.dumps(doc, default=str)  # serialisable
    assert session.scalar(select(Share).where(Share.resident_id == ada.id)) is not None
