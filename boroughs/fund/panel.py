"""Choosing the panel members who assess each proposal (issue 17).

The fund manager ticks the members who should assess a proposal; recusal stays automatic: a member who
belongs to any organisation in the partnership, or who declared a conflict, is recorded as recused and
cannot be chosen. A member who has already scored a proposal cannot be taken off it (their scores are part
of the record); anyone else can be.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from boroughs.core.errors import ValidationFailed
from boroughs.core.models import User
from boroughs.core.permissions import require
from boroughs.fund import assessment
from boroughs.fund._common import log
from boroughs.fund.models import Assignment, Proposal, Score


@dataclass
class Choice:
    member: User
    assigned: bool
    scored: bool
    recused: str | None


def _scorers(session: Session, proposal: Proposal) -> set[int]:
    return set(session.execute(select(Score.user_id).where(Score.proposal_id == proposal.id)).scalars())


def choices(session: Session, proposal: Proposal) -> list[Choice]:
    """Every member of the fund's panel, with whether they are assigned, have scored, or are recused."""
    assigned = {a.user_id for a in assessment.assignments(session, proposal)}
    scored = _scorers(session, proposal)
    return [Choice(m, m.id in assigned, m.id in scored, assessment.recusal_reason(session, m, proposal))
            for m in assessment.panel_members(session, proposal.call)]


def assign_chosen(session: Session, user: Any, proposal: Proposal, member_ids: list[int]
                  ) -> tuple[list[User], list[User], list[tuple[User, str]]]:
    """Make the proposal's assessors exactly ``member_ids``; return (added, removed, [(recused, reason)])."""
    call = proposal.call
    require(user, "fund.panel.assign", call.fund_body_id)
    if proposal.state not in assessment.ASSESSABLE:
        raise ValidationFailed("Only submitted proposals can be assigned to the panel.")
    wanted = set(member_ids)
    options = choices(session, proposal)
    by_id = {c.member.id: c for c in options}
    strangers = wanted - set(by_id)
    if strangers:
        raise ValidationFailed("Choose people who are on this fund's panel.")
    recused = []
    for c in options:  # recusal is automatic: recorded for every recused member, chosen or not
        if c.recused:
            assessment._record_automatic(session, c.member, proposal, c.recused)
            recused.append((c.member, c.recused))
    bad = [by_id[i] for i in sorted(wanted) if by_id[i].recused]
    if bad:
        raise ValidationFailed(" ".join(f"{c.member.name} cannot assess {proposal.reference}. {c.recused}"
                                        for c in bad))
    if not wanted:
        raise ValidationFailed(f"Choose at least one panel member to assess {proposal.reference}.")
    keep_scored = [c for c in options if c.assigned and c.scored and c.member.id not in wanted]
    if keep_scored:
        raise ValidationFailed(" ".join(
            f"{c.member.name} has already scored {proposal.reference}, so they stay assigned." for c in keep_scored))
    added, removed = [], []
    for c in options:
        if c.member.id in wanted and not c.assigned:
            assessment.assign(session, user, proposal, c.member.id)
            added.append(c.member)
        elif c.assigned and c.member.id not in wanted:
            session.execute(delete(Assignment).where(Assignment.proposal_id == proposal.id,
                                                     Assignment.user_id == c.member.id))
            log(session, "fund.panel.unassign", user, call.fund_body_id, proposal, member_id=c.member.id)
            removed.append(c.member)
    session.flush()
    return added, removed, recused
