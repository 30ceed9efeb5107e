"""Partnership proposals: co-editing, versions, partners, sign-off and submission (issue 8)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from boroughs.core.db import utcnow
from boroughs.core.errors import PermissionDenied, ValidationFailed
from boroughs.fund import partnership, proposals, submission
from boroughs.fund.proposals import EditConflict

from . import factories as f


def test_partners_co_edit_different_fields_and_both_are_kept(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    p = f.draft(session, w, call)
    base = p.version
    r1 = proposals.save_draft(session, w.officer["barnet"], p, {"problem": "Barnet's words"}, base_version=base)
    # Brent started from the same version and changed another field: merged, not lost
    r2 = proposals.save_draft(session, w.officer["brent"], p, {"approach": "Brent's words"}, base_version=base)
    assert r2.merged_from == [r1.version]
    assert p.form["problem"] == "Barnet's words" and p.form["approach"] == "Brent's words"
    history = proposals.versions(session, p)
    assert [v.number for v in history][:2] == [r2.version, r1.version]
    assert history[1].snapshot["problem"] == "Barnet's words"


def test_same_field_conflict_is_refused_naming_who(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    p = f.draft(session, w, call)
    base = p.version
    proposals.save_draft(session, w.officer["barnet"], p, {"problem": "A"}, base_version=base)
    with pytest.raises(EditConflict, match="The problem \\(changed by Barnet Officer\\)"):
        proposals.save_draft(session, w.officer["brent"], p, {"problem": "B"}, base_version=base)
    assert p.form["problem"] == "A"


def test_autosave_without_change_makes_no_version(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    p = f.draft(session, w, call)
    v = p.version
    r = proposals.save_draft(session, w.officer["barnet"], p, {"problem": p.form["problem"]}, base_version=v,
                             autosave=True)
    assert r.version == v and r.changed == []
    r = proposals.save_draft(session, w.officer["barnet"], p, {"problem": "new"}, base_version=v, autosave=True)
    assert r.version == v + 1 and proposals.versions(session, p)[0].autosave


def test_outsider_cannot_edit(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    p = f.draft(session, w, call)
    with pytest.raises(PermissionDenied):
        proposals.save_draft(session, w.officer["newham"], p, {"problem": "x"}, base_version=p.version)
    assert not proposals.may_view(w.officer["newham"], p)
    assert proposals.may_view(w.manager, p)


def test_submission_missing_a_partners_sign_off_is_refused(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    p = f.draft(session, w, call)
    submission.sign_off(session, w.head["barnet"], p, w.councils["barnet"].id)
    with pytest.raises(ValidationFailed, match="Still to sign off: Brent"):
        submission.submit(session, w.head["barnet"], p)
    assert p.state == "draft"


def test_an_edit_after_sign_off_needs_signing_again(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    p = f.draft(session, w, call)
    f.sign_all(session, w, p)
    proposals.save_draft(session, w.officer["brent"], p, {"approach": "changed"}, base_version=p.version)
    with pytest.raises(ValidationFailed, match=f"sign off version {p.version}.*Barnet, Brent"):
        submission.submit(session, w.head["barnet"], p)
    f.sign_all(session, w, p)
    submission.submit(session, w.head["barnet"], p)
    assert p.state == "submitted" and p.submitted_at is not None


def test_officer_cannot_sign_off_or_submit(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    p = f.draft(session, w, call)
    with pytest.raises(PermissionDenied):
        submission.sign_off(session, w.officer["brent"], p, w.councils["brent"].id)
    with pytest.raises(PermissionDenied):
        submission.sign_off(session, w.head["barnet"], p, w.councils["brent"].id)  # not Barnet's to sign
    f.sign_all(session, w, p)
    with pytest.raises(PermissionDenied):
        submission.submit(session, w.officer["barnet"], p)
    with pytest.raises(PermissionDenied):
        submission.submit(session, w.head["brent"], p)  # only the lead council submits


def test_single_council_is_ineligible(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    p = f.draft(session, w, call, partners=())
    f.sign_all(session, w, p)
    with pytest.raises(ValidationFailed, match="at least 2 partner councils"):
        submission.submit(session, w.head["barnet"], p)


def test_budget_by_partner_must_match_and_respect_award_limit(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    p = f.draft(session, w, call, amount=80_000)
    f.sign_all(session, w, p)
    with pytest.raises(ValidationFailed, match="award limit"):
        submission.submit(session, w.head["barnet"], p)
    brent = next(x for x in p.partners if x.kind == "partner")
    proposals.save_draft(session, w.officer["barnet"], p, {"amount_requested": 60_000}, base_version=p.version)
    partnership.update_partner(session, w.officer["brent"], p, brent.id, budget=1)
    assert submission.eligibility_problems(p) == [
        "The budget by partner adds up to £40,001, but the amount requested is £60,000: make them match."]


def test_data_project_needs_ig_plan(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    p = f.draft(session, w, call)
    proposals.save_draft(session, w.officer["barnet"], p, {"is_data_project": True}, base_version=p.version)
    assert "Lawful basis" in submission.missing_fields(p)
    assert "Data protection impact assessment" in submission.missing_fields(p)
    with pytest.raises(ValidationFailed, match="choose one of"):
        proposals.save_draft(session, w.officer["barnet"], p, {"ig_dpia_status": "Maybe"}, base_version=p.version)


def test_measures_need_numbers_and_names(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    p = f.draft(session, w, call)
    with pytest.raises(ValidationFailed, match="measure 1: the baseline must be a number"):
        proposals.save_draft(session, w.officer["barnet"], p,
                             {"measures": [{"name": "x", "baseline": "lots", "target": 3}]}, base_version=p.version)
    proposals.save_draft(session, w.officer["barnet"], p,
                         {"measures": [{"name": "Residents helped", "baseline": "0", "target": "1,200"},
                                       {"name": "", "outcome": ""}]}, base_version=p.version)
    assert [(m.name, m.baseline, m.target) for m in p.measures] == [("Residents helped", 0.0, 1200.0)]


def test_partner_kinds_are_checked(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    p = f.draft(session, w, call, partners=())
    with pytest.raises(ValidationFailed, match="not a council"):
        partnership.add_partner(session, w.officer["barnet"], p, organisation_id=w.vcs.id, kind="partner")
    with pytest.raises(ValidationFailed, match="not a voluntary"):
        partnership.add_partner(session, w.officer["barnet"], p, organisation_id=w.councils["brent"].id, kind="vcs")
    partnership.add_partner(session, w.officer["barnet"], p, organisation_id=w.vcs.id, kind="vcs", role="Outreach")
    with pytest.raises(ValidationFailed, match="already in this partnership"):
        partnership.add_partner(session, w.officer["barnet"], p, organisation_id=w.vcs.id, kind="vcs")
    with pytest.raises(ValidationFailed, match="interested borough has no budget"):
        partnership.add_partner(session, w.officer["barnet"], p, organisation_id=w.councils["sutton"].id,
                              kind="interested", budget=100)
    # the VCS partner signs off too
    assert any(x.organisation_id == w.vcs.id for x in submission.missing_sign_offs(p))
    submission.sign_off(session, w.vcs_manager, p, w.vcs.id)


def test_no_submission_after_the_deadline(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    p = f.draft(session, w, call)
    f.sign_all(session, w, p)
    call.deadline = utcnow() - dt.timedelta(minutes=1)
    with pytest.raises(ValidationFailed, match="deadline .* has passed"):
        submission.submit(session, w.head["barnet"], p)


def test_submitted_proposal_is_frozen(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    p = f.submitted(session, w, call)
    with pytest.raises(ValidationFailed, match="no longer be changed"):
        proposals.save_draft(session, w.officer["barnet"], p, {"problem": "x"}, base_version=p.version)


def test_whole_form_sent_back_keeps_a_partners_newer_text(session: Session) -> None:
    """The edit page posts every field: fields this editor did not touch keep the partner's newer words."""
    w = f.world(session)
    call = f.open_call(session, w)
    p = f.draft(session, w, call)
    base = p.version
    whole_form = {k: p.form.get(k, "") for k in ("problem", "approach", "outcomes")}
    proposals.save_draft(session, w.officer["brent"], p, {"approach": "Brent's newer approach"}, base_version=base,
                         autosave=True)
    r = proposals.save_draft(session, w.officer["barnet"], p, {**whole_form, "problem": "Barnet's problem"},
                             base_version=base)
    assert r.changed == ["problem"]
    assert p.form["approach"] == "Brent's newer approach" and p.form["problem"] == "Barnet's problem"
