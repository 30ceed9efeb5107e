"""Assessment: panel assignment, conflicts of interest and recusal, scoring, moderation and ranking.

Recusal is automatic and always worked out afresh: a panel member who belongs to *any* organisation in a
proposal's partnership (lead, partners, VCS partners or interested boroughs), or who has declared a
conflict, cannot be assigned to it, cannot score it, cannot see its scores, and any score they gave
before the conflict arose does not count.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core.db import utcnow
from boroughs.core.errors import NotFound, PermissionDenied, ValidationFailed
from boroughs.core.models import Membership, Organisation, Role, User
from boroughs.core.permissions import can, require
from boroughs.fund import messages
from boroughs.fund._common import log
from boroughs.fund.models import Assignment, Call, Conflict, Criterion, Proposal, Score
from boroughs.fund.proposals import org_ids

ASSESSABLE = ("submitted", "in_assessment")
WIDE_SPREAD = 2  # a criterion whose scores differ by this much or more is flagged for moderation


def panel_members(session: Session, call: Call) -> list[User]:
    q = (select(User).join(Membership, Membership.user_id == User.id)
         .where(Membership.organisation_id == call.fund_body_id, Membership.role == Role.PANEL_MEMBER.value,
                User.is_active.is_(True))
         .order_by(User.name))
    return list(session.execute(q).scalars().unique())


def recusal_reason(session: Session, member: Any, proposal: Proposal) -> str | None:
    """Why ``member`` is recused from ``proposal``, or None."""
    mine = {m.organisation_id for m in getattr(member, "memberships", [])}
    overlap = mine & set(org_ids(proposal))
    if overlap:
        names = sorted(session.get(Organisation, o).name for o in overlap)  # type: ignore[union-attr]
        return f"{member.name} belongs to {', '.join(names)}, which is part of this proposal's partnership."
    declared = session.execute(
        select(Conflict).where(Conflict.proposal_id == proposal.id, Conflict.user_id == member.id,
                               Conflict.kind == "declared")
    ).scalar_one_or_none()
    if declared:
        return f"{member.name} declared a conflict of interest: {declared.reason}"
    return None


def _record_automatic(session: Session, member: Any, proposal: Proposal, reason: str) -> None:
    exists = session.execute(
        select(Conflict.id).where(Conflict.proposal_id == proposal.id, Conflict.user_id == member.id,
                                  Conflict.kind == "automatic")
    ).first()
    if not exists:
        session.add(Conflict(proposal_id=proposal.id, user_id=member.id, kind="automatic", reason=reason))
        session.flush()


def conflicts(session: Session, proposal: Proposal) -> list[Conflict]:
    return list(session.execute(
        select(Conflict).where(Conflict.proposal_id == proposal.id).order_by(Conflict.recorded_at)
    ).scalars())


def assignments(session: Session, proposal: Proposal) -> list[Assignment]:
    return list(session.execute(
        select(Assignment).where(Assignment.proposal_id == proposal.id).order_by(Assignment.id)
    ).scalars())


def assign(session: Session, user: Any, proposal: Proposal, member_id: int) -> Assignment:
    """Assign a panel member; refused (and the conflict recorded) if they are recused."""
    call = proposal.call
    require(user, "fund.panel.assign", call.fund_body_id)
    if proposal.state not in ASSESSABLE:
        raise ValidationFailed("Only submitted proposals can be assigned to the panel.")
    member = session.get(User, member_id)
    if member is None or member.id not in {m.id for m in panel_members(session, call)}:
        raise ValidationFailed("Choose someone who is on this fund's panel.")
    reason = recusal_reason(session, member, proposal)
    if reason:
        _record_automatic(session, member, proposal, reason)
        log(session, "fund.panel.recused", user, call.fund_body_id, proposal, member_id=member.id)
        raise ValidationFailed(f"{member.name} cannot assess this proposal. {reason}")
    existing = session.execute(
        select(Assignment).where(Assignment.proposal_id == proposal.id, Assignment.user_id == member.id)
    ).scalar_one_or_none()
    if existing:
        return existing
    a = Assignment(proposal_id=proposal.id, user_id=member.id, assigned_by_id=getattr(user, "id", None))
    session.add(a)
    session.flush()
    log(session, "fund.panel.assign", user, call.fund_body_id, proposal, member_id=member.id)
    messages.panel_assigned(session, a, proposal)  # issue 15
    return a


def assign_all_eligible(session: Session, user: Any, proposal: Proposal) -> tuple[list[User], list[tuple[User, str]]]:
    """Assign every panel member who is not recused; return (assigned, [(recused member, reason)])."""
    assigned, recused = [], []
    for member in panel_members(session, proposal.call):
        reason = recusal_reason(session, member, proposal)
        if reason:
            _record_automatic(session, member, proposal, reason)
            recused.append((member, reason))
        else:
            assign(session, user, proposal, member.id)
            assigned.append(member)
    return assigned, recused


def declare_conflict(session: Session, user: Any, proposal: Proposal, reason: str) -> Conflict:
    """A panel member declares a conflict; they are recused from then on and their scores stop counting."""
    require(user, "fund.panel.declare", proposal.call.fund_body_id)
    if not reason.strip():
        raise ValidationFailed("Say briefly what the conflict is, for the record.")
    existing = session.execute(
        select(Conflict).where(Conflict.proposal_id == proposal.id, Conflict.user_id == user.id,
                               Conflict.kind == "declared")
    ).scalar_one_or_none()
    if existing:
        existing.reason = reason.strip()
        return existing
    c = Conflict(proposal_id=proposal.id, user_id=user.id, kind="declared", reason=reason.strip())
    session.add(c)
    session.flush()
    log(session, "fund.panel.declare", user, proposal.call.fund_body_id, proposal)
    return c


def is_assigned(session: Session, member: Any, proposal: Proposal) -> bool:
    return session.execute(
        select(Assignment.id).where(Assignment.proposal_id == proposal.id, Assignment.user_id == member.id)
    ).first() is not None


def score(
    session: Session, user: Any, proposal: Proposal, criterion_id: int, value: Any, comment: str
) -> Score:
    """Record (or change) a panel member's score for one criterion."""
    call = proposal.call
    require(user, "fund.panel.score", call.fund_body_id)
    reason = recusal_reason(session, user, proposal)
    if reason:
        if "declared a conflict" not in reason:
            _record_automatic(session, user, proposal, reason)
        log(session, "fund.panel.score_refused", user, call.fund_body_id, proposal, reason="recused")
        raise PermissionDenied(f"You are recused from this proposal and cannot score it. {reason}")
    if not is_assigned(session, user, proposal):
        raise PermissionDenied("You have not been assigned this proposal. Ask the fund manager to assign it.")
    if proposal.state != "in_assessment":
        raise ValidationFailed("Scores can only be given while the proposal is being assessed.")
    crit = session.get(Criterion, criterion_id)
    if crit is None or crit.call_id != call.id:
        raise NotFound("That criterion is not part of this call's rubric.")
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationFailed(f"{crit.title}: the score must be a whole number from 0 to 5.") from None
    if not 0 <= number <= 5 or str(value).strip() not in {str(i) for i in range(6)}:
        raise ValidationFailed(f"{crit.title}: the score must be a whole number from 0 to 5.")
    if not (comment or "").strip():
        raise ValidationFailed(f"{crit.title}: add a comment explaining your score.")
    existing = session.execute(
        select(Score).where(Score.proposal_id == proposal.id, Score.criterion_id == crit.id,
                            Score.user_id == user.id)
    ).scalar_one_or_none()
    if existing:
        existing.score, existing.comment, existing.updated_at = number, comment.strip(), utcnow()
        s = existing
    else:
        s = Score(proposal_id=proposal.id, criterion_id=crit.id, user_id=user.id, score=number,
                  comment=comment.strip())
        session.add(s)
    session.flush()
    log(session, "fund.panel.score", user, call.fund_body_id, proposal, criterion_id=crit.id, score=number)
    return s


def _counted(session: Session, props: list[Proposal]) -> dict[int, list[Score]]:
    """The scores that count, per proposal: from assigned panel members who are not recused now.

    Works in a fixed number of queries however many proposals and scores there are (the recusal rule is the
    same as ``recusal_reason``: membership of any organisation in the partnership, or a declared conflict).
    """
    ids = [p.id for p in props]
    if not ids:
        return {}
    scores = session.execute(select(Score).where(Score.proposal_id.in_(ids)).order_by(Score.id)).scalars().all()
    assigned = {(a, u) for a, u in session.execute(
        select(Assignment.proposal_id, Assignment.user_id).where(Assignment.proposal_id.in_(ids)))}
    declared = {(a, u) for a, u in session.execute(
        select(Conflict.proposal_id, Conflict.user_id).where(Conflict.proposal_id.in_(ids),
                                                             Conflict.kind == "declared"))}
    user_ids = {s.user_id for s in scores}
    orgs_of: dict[int, set[int]] = {uid: set() for uid in user_ids}
    if user_ids:
        for uid, oid in session.execute(select(Membership.user_id, Membership.organisation_id)
                                        .where(Membership.user_id.in_(user_ids))):
            orgs_of[uid].add(oid)
    partners = {p.id: set(org_ids(p)) for p in props}
    out: dict[int, list[Score]] = {pid: [] for pid in ids}
    for s in scores:
        key = (s.proposal_id, s.user_id)
        if key in assigned and key not in declared and not (orgs_of[s.user_id] & partners[s.proposal_id]):
            out[s.proposal_id].append(s)
    return out


def counted_scores(session: Session, proposal: Proposal) -> list[Score]:
    """The scores that count for one proposal (see ``_counted``)."""
    return _counted(session, [proposal])[proposal.id]


@dataclass
class CriterionResult:
    criterion: Criterion
    scores: list[int]
    comments: list[tuple[str, int, str]] = field(default_factory=list)  # (assessor, score, comment)

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.scores) if self.scores else None

    @property
    def spread(self) -> int | None:
        return (max(self.scores) - min(self.scores)) if self.scores else None

    @property
    def wide(self) -> bool:
        return self.spread is not None and self.spread >= WIDE_SPREAD


@dataclass
class Result:
    proposal: Proposal
    criteria: list[CriterionResult]
    assessors: int

    @property
    def complete(self) -> bool:
        return bool(self.criteria) and all(c.scores for c in self.criteria)

    @property
    def weighted(self) -> float | None:
        """The weighted mean score on the 0–5 scale, over the criteria that have scores."""
        scored = [c for c in self.criteria if c.mean is not None]
        if not scored:
            return None
        total_w = sum(c.criterion.weight for c in scored)
        return sum(c.criterion.weight * (c.mean or 0) for c in scored) / total_w

    @property
    def percent(self) -> float | None:
        w = self.weighted
        return None if w is None else round(w / 5 * 100, 1)

    @property
    def wide_spread(self) -> list[CriterionResult]:
        return [c for c in self.criteria if c.wide]


def _results(session: Session, props: list[Proposal], *, blind: bool = False) -> list[Result]:
    counted = _counted(session, props)
    uids = {s.user_id for lst in counted.values() for s in lst}
    names: dict[int, str] = {uid: name for uid, name in session.execute(
        select(User.id, User.name).where(User.id.in_(uids)))} if uids else {}
    out = []
    for p in props:
        mine_all = counted[p.id]
        crits = []
        for c in p.call.criteria:
            mine = [s for s in mine_all if s.criterion_id == c.id]
            crits.append(CriterionResult(
                c, [s.score for s in mine],
                [("An assessor" if blind else names.get(s.user_id, "?"), s.score, s.comment) for s in mine],
            ))
        out.append(Result(p, crits, len({s.user_id for s in mine_all})))
    return out


def result(session: Session, proposal: Proposal, *, blind: bool = False) -> Result:
    return _results(session, [proposal], blind=blind)[0]


def may_see_scores(session: Session, viewer: Any, proposal: Proposal) -> str | None:
    """None if ``viewer`` may see the proposal's scores, else why not."""
    fund_body = proposal.call.fund_body_id
    reason = recusal_reason(session, viewer, proposal)
    if reason:
        return f"You are recused from this proposal, so its scores are hidden from you. {reason}"
    if can(viewer, "fund.moderate", fund_body):
        return None
    if can(viewer, "fund.panel.score", fund_body) and is_assigned(session, viewer, proposal):
        return None
    return "Only the fund manager and the proposal's assessors can see its scores."


def visible_result(session: Session, viewer: Any, proposal: Proposal) -> Result:
    reason = may_see_scores(session, viewer, proposal)
    if reason:
        raise PermissionDenied(reason)
    return result(session, proposal, blind=proposal.call.blind_review and not can(
        viewer, "fund.moderate", proposal.call.fund_body_id))


def ranking(session: Session, call: Call, states: tuple[str, ...] = ("in_assessment", "awarded", "not_funded")
            ) -> dict[int, list[Result]]:
    """Proposals per strand (by strand id), best weighted score first; unscored last."""
    props = session.execute(
        select(Proposal).where(Proposal.call_id == call.id, Proposal.state.in_(states))
    ).scalars().all()
    out: dict[int, list[Result]] = {s.id: [] for s in call.strands}
    for r in _results(session, [p for p in props if p.strand_id is not None]):
        assert r.proposal.strand_id is not None
        out.setdefault(r.proposal.strand_id, []).append(r)
    for lst in out.values():
        lst.sort(key=lambda r: (r.weighted is None, -(r.weighted or 0), r.proposal.reference))
    return out


def moderate(session: Session, user: Any, proposal: Proposal, note: str) -> Proposal:
    require(user, "fund.moderate", proposal.call.fund_body_id)
    if not note.strip():
        raise ValidationFailed("Write a moderation note: what the panel agreed and why.")
    proposal.moderation_note = note.strip()
    session.flush()
    log(session, "fund.moderate", user, proposal.call.fund_body_id, proposal)
    return proposal


def proposals_to_assess(session: Session, member: Any) -> list[Proposal]:
    """The proposals assigned to a panel member that still await assessment, with recused ones left out
    (awarded, declined, withdrawn or ineligible proposals leave the list)."""
    q = (select(Proposal).join(Assignment, Assignment.proposal_id == Proposal.id)
         .where(Assignment.user_id == member.id, Proposal.state.in_(ASSESSABLE)).order_by(Proposal.reference))
    return [p for p in session.execute(q).scalars() if recusal_reason(session, member, p) is None]


def display_partners(proposal: Proposal, viewer: Any) -> str:
    """Partner names, or a placeholder when the call uses blind review and the viewer is on the panel."""
    if proposal.call.blind_review and not can(viewer, "fund.moderate", proposal.call.fund_body_id):
        return "Hidden for blind review"
    return ", ".join(p.organisation.name for p in proposal.partners if p.kind in ("lead", "partner", "vcs"))
