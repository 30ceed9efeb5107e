"""Data sharing agreements and consent as data (issue 7)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core.errors import ValidationFailed
from boroughs.support.governance import service as governance
from boroughs.support.governance.models import Agreement, AgreementParty, AgreementPurpose, Consent

from ..referral_factories import world

TODAY = dt.date(2026, 6, 1)


def _agreement(**kw: object) -> Agreement:
    a = Agreement(reference="A", title="t", art6_basis="e", special_category=False, art9_condition=None,
                  start_date=TODAY - dt.timedelta(days=10), end_date=TODAY + dt.timedelta(days=300),
                  review_date=TODAY + dt.timedelta(days=100), signed=True, terminated_at=None)
    a.parties = [AgreementParty(organisation_id=1, role="discloser"), AgreementParty(organisation_id=2, role="recipient")]
    a.purposes = [AgreementPurpose(key="p", description="d", fields=["first_name"], retention_days=30)]
    for k, v in kw.items():
        setattr(a, k, v)
    return a


@pytest.mark.parametrize(("change", "state"), [
    ({}, "live"),
    ({"signed": False}, "draft"),
    ({"start_date": TODAY + dt.timedelta(days=1)}, "not started"),
    ({"end_date": TODAY - dt.timedelta(days=1)}, "ended"),
    ({"review_date": TODAY - dt.timedelta(days=1)}, "review due"),
    ({"terminated_at": dt.datetime(2026, 5, 1, tzinfo=dt.UTC)}, "terminated"),
])
def test_agreement_states(change: dict[str, object], state: str) -> None:
    a = _agreement(**change)
    assert governance.agreement_state(a, TODAY) == state
    assert governance.is_live(a, TODAY) is (state in ("live", "review due"))


def test_problems_block_signing() -> None:
    assert governance.problems(_agreement()) == []
    a = _agreement(art6_basis="z", end_date=TODAY - dt.timedelta(days=20))
    a.purposes[0].fields = ["first_name", "disability", "shoe_size"]
    text = " ".join(governance.problems(a))
    assert "Article 6" in text and "end date" in text and "Article 9" in text and "shoe_size" in text
    b = _agreement()
    b.parties = [p for p in b.parties if p.role == "discloser"]
    assert any("receives" in p for p in governance.problems(b))


def test_basis_label_names_every_basis() -> None:
    a = _agreement(art6_basis="e", special_category=True, art9_condition="g", dea_s35=True)
    assert governance.basis_label(a) == ("Article 6(1)(e) public task; Article 9(2)(g) substantial public interest; "
                                         "Digital Economy Act 2017 s.35")
    assert governance.needs_consent(_agreement(art6_basis="a"))
    assert not governance.needs_consent(a)


def test_create_agreement_refuses_special_category_without_article_9(session: Session) -> None:
    w = world(session)
    with pytest.raises(ValidationFailed, match="Article 9"):
        governance.create_agreement(
            session, reference="X-1", title="x", disclosers=[w.orgs["newham"].id], recipients=[w.orgs["other"].id],
            purposes=[governance.PurposeSpec("p", "d", ("first_name", "disability"))], art6_basis="e",
            start=TODAY, end=TODAY + dt.timedelta(days=365), review=TODAY + dt.timedelta(days=100))


def test_minimise_keeps_only_allowed_fields() -> None:
    a = _agreement()
    a.purposes[0].fields = ["first_name", "postcode", "needs"]
    permit = governance.Permit(a, a.purposes[0], None)
    facts = {"first_name": "Ada", "last_name": "Synthetic", "postcode": "E15 1AA", "needs": [],
             "date_of_birth": "1970-01-01"}
    assert governance.minimise(facts, permit) == {"first_name": "Ada", "postcode": "E15 1AA"}


def test_consent_validation_and_states(session: Session) -> None:
    w = world(session)
    a = session.scalars(select(Agreement).where(Agreement.reference == "DSA-DEMO-2026-02")).one()
    kw: dict[str, Any] = {"council_id": w.orgs["newham"].id, "resident_id": w.residents["ada"].id,
                          "agreement_id": a.id, "recorded_by": w.users["officer"]}
    with pytest.raises(ValidationFailed, match="how consent was given"):
        governance.record_consent(session, scope="x", given_on=TODAY, method="telepathy", **kw)
    with pytest.raises(ValidationFailed, match="agreed to"):
        governance.record_consent(session, scope=" ", given_on=TODAY, method="phone", **kw)
    with pytest.raises(ValidationFailed, match="future"):
        governance.record_consent(session, scope="x", given_on=dt.date(2999, 1, 1), method="phone", **kw)
    c = governance.record_consent(session, scope="x", given_on=TODAY, method="phone",
                                  expires_on=TODAY + dt.timedelta(days=30), **kw)
    assert governance.consent_state(c, TODAY) == "in force"
    assert governance.consent_state(c, TODAY + dt.timedelta(days=31)) == "expired"
    assert governance.find_consent(session, w.orgs["newham"].id, w.residents["ada"].id, a.id,
                                   "digital-inclusion-referral", TODAY) is c
    governance.withdraw_consent(session, c, w.users["officer"], "phoned")
    assert governance.consent_state(c) == "withdrawn"
    assert governance.find_consent(session, w.orgs["newham"].id, w.residents["ada"].id, a.id,
                                   "digital-inclusion-referral", TODAY) is None
    assert session.scalars(select(Consent).where(Consent.id == c.id)).one().withdrawal_note == "phoned"


@settings(deadline=None)
@given(allowed=st.sets(st.sampled_from(sorted(governance.FIELDS))),
       facts=st.dictionaries(st.sampled_from([*sorted(governance.FIELDS), "national_id", "ethnicity", "uprn"]),
                             st.one_of(st.none(), st.text(max_size=5), st.lists(st.text(max_size=3), max_size=2))))
def test_minimise_never_shares_a_field_outside_the_purpose(allowed: set[str], facts: dict[str, Any]) -> None:
    a = _agreement()
    a.purposes[0].fields = sorted(allowed)
    shared = governance.minimise(facts, governance.Permit(a, a.purposes[0], None))
    assert set(shared) <= allowed
    assert all(shared[k] == facts[k] and facts[k] not in (None, "", []) for k in shared)
    assert {k for k in allowed if facts.get(k) not in (None, "", [])} == set(shared)
