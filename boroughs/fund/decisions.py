"""Award decisions: a set of awards is checked whole against each strand's budget and award limit.

Either every award in the set is made or none is, and the reason names the strand, the proposal and
the sums. On PostgreSQL the strands' rows are locked while the check and the awards happen, so two fund
managers deciding at once cannot overspend a strand between them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core.errors import NotFound, ValidationFailed
from boroughs.core.permissions import require
from boroughs.fund._common import check_amount, gbp, log
from boroughs.fund.calls import committed
from boroughs.fund.models import Award, Call, Proposal, Strand
from boroughs.fund.proposals import owners
from boroughs.fund.submission import PROPOSAL_GUARDS
from boroughs.fund.workflows import PROPOSAL


def decide(
    session: Session,
    user: Any,
    call: Call,
    awards: Iterable[tuple[int, int | str]],
    *,
    declines: Iterable[int] = (),
    award_date: dt.date | None = None,
    note: str = "",
) -> list[Award]:
    """Award ``(proposal_id, amount)`` pairs and decline ``declines``, all or nothing."""
    require(user, "fund.decide", call.fund_body_id)
    wanted = [(int(pid), check_amount(amount, "The award")) for pid, amount in awards]
    declined = [int(pid) for pid in declines]
    ids = [pid for pid, _ in wanted]
    if len(ids) != len(set(ids)):
        raise ValidationFailed("The same proposal appears twice in these awards.")
    if set(ids) & set(declined):
        raise ValidationFailed("A proposal cannot be both awarded and declined.")
    if not wanted and not declined:
        raise ValidationFailed("Choose at least one proposal to award or decline.")

    strand_ids = sorted({s.id for s in call.strands})
    locked = {s.id: s for s in session.execute(
        select(Strand).where(Strand.id.in_(strand_ids)).order_by(Strand.id).with_for_update()
    ).scalars()}
    per_strand: dict[int, list[tuple[Proposal, int]]] = defaultdict(list)
    proposals: dict[int, Proposal] = {}
    for pid in [*ids, *declined]:
        p = session.get(Proposal, pid)
        if p is None or p.call_id != call.id:
            raise NotFound(f"Proposal {pid} is not part of this call.")
        proposals[pid] = p
        # the workflow's own checks (state, role, call phase) for each proposal
        PROPOSAL.fire("award" if pid in ids else "decline", p.state, user, owners(p), PROPOSAL_GUARDS, p)
    for pid, amount in wanted:
        p = proposals[pid]
        if p.strand_id is None or p.strand_id not in locked:
            raise ValidationFailed(f"'{p.title}' has no strand in this call, so it cannot be awarded.")
        strand = locked[p.strand_id]
        if amount > strand.award_limit:
            raise ValidationFailed(
                f"{gbp(amount)} for '{p.title}' is more than the {strand.title} strand's award limit of "
                f"{gbp(strand.award_limit)}."
            )
        if amount > p.amount_requested:
            raise ValidationFailed(
                f"{gbp(amount)} for '{p.title}' is more than it asked for ({gbp(p.amount_requested)})."
            )
        per_strand[strand.id].append((p, amount))
    for sid, items in per_strand.items():
        strand = locked[sid]
        already = committed(session, strand)
        new = sum(a for _, a in items)
        if already >= strand.budget:
            raise ValidationFailed(
                f"The {strand.title} strand is full: {gbp(already)} of its {gbp(strand.budget)} budget is "
                f"already awarded, so it cannot fund '{items[0][0].title}'."
            )
        if already + new > strand.budget:
            raise ValidationFailed(
                f"These awards would take the {strand.title} strand to {gbp(already + new)}, over its "
                f"budget of {gbp(strand.budget)} by {gbp(already + new - strand.budget)}. "
                f"{gbp(strand.budget - already)} is left to award."
            )

    from boroughs.fund.projects import start_project

    made = []
    day = award_date or dt.date.today()
    for pid, amount in wanted:
        p = proposals[pid]
        award = Award(proposal_id=p.id, strand_id=p.strand_id, amount=amount, award_date=day,
                      grant_id=f"{call.grant_prefix}-{call.slug}-{p.reference}",
                      decided_by_id=getattr(user, "id", None), note=note)
        session.add(award)
        p.state = "awarded"
        session.flush()
        start_project(session, award)
        log(session, "fund.proposal.award", user, call.fund_body_id, p, amount=amount, strand_id=p.strand_id)
        made.append(award)
    for pid in declined:
        p = proposals[pid]
        p.state = "not_funded"
        log(session, "fund.proposal.decline", user, call.fund_body_id, p)
    session.flush()
    return made


def awards(session: Session, call: Call) -> list[Award]:
    return list(session.execute(
        select(Award).join(Strand).where(Strand.call_id == call.id).order_by(Award.id)
    ).scalars())
