"""Calls and strands: set up a call, its strands, rubric and eligibility, and move it through its phases."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from boroughs.core.db import utcnow
from boroughs.core.errors import NotFound, ValidationFailed
from boroughs.core.models import OrgKind
from boroughs.core.permissions import require
from boroughs.fund._common import check_amount, check_slug, gbp, get_org, log
from boroughs.fund.models import Award, Call, Criterion, Proposal, Strand
from boroughs.fund.workflows import CALL

SUBMITTED_STATES = ("submitted", "in_assessment", "awarded", "not_funded", "ineligible")


def get_call(session: Session, call_id_or_slug: int | str) -> Call:
    if isinstance(call_id_or_slug, int) or str(call_id_or_slug).isdigit():
        call = session.get(Call, int(call_id_or_slug))
    else:
        call = session.execute(select(Call).where(Call.slug == call_id_or_slug)).scalar_one_or_none()
    if call is None:
        raise NotFound(f"There is no call {call_id_or_slug!r}.")
    return call


def list_calls(session: Session) -> list[Call]:
    return list(session.execute(select(Call).order_by(Call.created_at.desc(), Call.id.desc())).scalars())


def create_call(
    session: Session,
    user: Any,
    *,
    fund_body_id: int,
    slug: str,
    title: str,
    total_budget: int | str,
    summary: str = "",
    guidance: str = "",
    opens_at: dt.datetime | None = None,
    deadline: dt.datetime | None = None,
    decision_date: dt.date | None = None,
    min_partner_councils: int = 2,
    max_amount_per_proposal: int | None = None,
    blind_review: bool = False,
    grant_prefix: str = "360G-boroughs",
    is_demo: bool = False,
) -> Call:
    require(user, "fund.call.manage", fund_body_id)
    get_org(session, fund_body_id, OrgKind.FUND_BODY, "{name} is not a fund body, so it cannot run a call.")
    check_slug(slug, "call")
    if not title.strip():
        raise ValidationFailed("Give the call a title.")
    if session.execute(select(Call.id).where(Call.slug == slug)).first():
        raise ValidationFailed(f"A call with the short name {slug!r} already exists: choose another.")
    if min_partner_councils < 1:
        raise ValidationFailed("A call needs at least one council per proposal.")
    if not grant_prefix.startswith("360G-"):
        raise ValidationFailed("The grant identifier prefix must start with 360G- (your 360Giving prefix).")
    _check_dates(opens_at, deadline)
    call = Call(
        fund_body_id=fund_body_id, slug=slug, title=title.strip(), summary=summary, guidance=guidance,
        total_budget=check_amount(total_budget, "The total budget"), opens_at=opens_at, deadline=deadline,
        decision_date=decision_date, min_partner_councils=min_partner_councils,
        max_amount_per_proposal=max_amount_per_proposal, blind_review=blind_review,
        grant_prefix=grant_prefix, is_demo=is_demo,
    )
    session.add(call)
    session.flush()
    log(session, "fund.call.create", user, fund_body_id, call, slug=slug)
    return call


def _check_dates(opens_at: dt.datetime | None, deadline: dt.datetime | None) -> None:
    for value, what in ((opens_at, "opening date"), (deadline, "deadline")):
        if value is not None and value.tzinfo is None:
            raise ValidationFailed(f"The {what} needs a time zone.")
    if opens_at and deadline and deadline <= opens_at:
        raise ValidationFailed("The deadline must be after the call opens.")


EDITABLE_CALL_FIELDS = {
    "title", "summary", "guidance", "opens_at", "deadline", "decision_date", "total_budget",
    "min_partner_councils", "max_amount_per_proposal", "blind_review",
}


def update_call(session: Session, user: Any, call: Call, **changes: Any) -> Call:
    require(user, "fund.call.manage", call.fund_body_id)
    unknown = set(changes) - EDITABLE_CALL_FIELDS
    if unknown:
        raise ValidationFailed(f"These call fields cannot be changed: {', '.join(sorted(unknown))}.")
    if call.phase not in ("drafting", "open") and ({"total_budget", "min_partner_councils"} & set(changes)):
        raise ValidationFailed("The budget and eligibility rules cannot change once assessment has started.")
    if "total_budget" in changes:
        total = check_amount(changes["total_budget"], "The total budget")
        if total < sum(s.budget for s in call.strands):
            raise ValidationFailed(
                f"The total budget ({gbp(total)}) cannot be less than the strands' budgets "
                f"({gbp(sum(s.budget for s in call.strands))})."
            )
        changes["total_budget"] = total
    _check_dates(changes.get("opens_at", call.opens_at), changes.get("deadline", call.deadline))
    for k, v in changes.items():
        setattr(call, k, v)
    log(session, "fund.call.update", user, call.fund_body_id, call, fields=sorted(changes))
    return call


def budget_room_message(call: Call, others: int, wanted: int) -> str:
    """Why a strand budget of ``wanted`` does not fit beside the other strands' ``others``, and what to do.

    Never asks for a budget of £0 or less (a strand needs more than £0): when nothing is left, it says the
    total is already shared out and asks for a bigger total or a smaller strand elsewhere.
    """
    room = call.total_budget - others
    need = others + wanted
    if room <= 0:
        return (f"The call's total budget of {gbp(call.total_budget)} is already shared among its other strands "
                f"({gbp(others)}), so there is nothing left for this strand. Raise the call's total budget to at "
                f"least {gbp(need)}, or lower another strand's budget first.")
    return (f"The strands would need {gbp(need)} but the call's total budget is {gbp(call.total_budget)}: "
            f"lower this strand's budget to at most {gbp(room)}, or raise the call's total budget to at least "
            f"{gbp(need)}.")


def add_strand(
    session: Session,
    user: Any,
    call: Call,
    *,
    slug: str,
    title: str,
    budget: int | str,
    award_limit: int | str,
    description: str = "",
) -> Strand:
    require(user, "fund.call.manage", call.fund_body_id)
    if call.phase != "drafting":
        raise ValidationFailed("Strands can only be added while the call is being drafted.")
    check_slug(slug, "strand")
    if any(s.slug == slug for s in call.strands):
        raise ValidationFailed(f"This call already has a strand called {slug!r}.")
    amount = check_amount(budget, "The strand budget")
    limit = check_amount(award_limit, "The award limit")
    if limit > amount:
        raise ValidationFailed(
            f"The award limit ({gbp(limit)}) cannot be more than the strand's budget ({gbp(amount)})."
        )
    used = sum(s.budget for s in call.strands)
    if used + amount > call.total_budget:
        raise ValidationFailed(budget_room_message(call, used, amount))
    strand = Strand(call=call, slug=slug, title=title.strip(), description=description, budget=amount,
                    award_limit=limit, position=len(call.strands))
    session.add(strand)
    session.flush()
    log(session, "fund.strand.create", user, call.fund_body_id, strand, budget=amount, award_limit=limit)
    return strand


def add_criterion(
    session: Session, user: Any, call: Call, *, title: str, weight: int, guidance: str = ""
) -> Criterion:
    require(user, "fund.call.manage", call.fund_body_id)
    if call.phase not in ("drafting", "open"):
        raise ValidationFailed("The rubric cannot change once assessment has started.")
    if not title.strip():
        raise ValidationFailed("Give the criterion a title.")
    if not isinstance(weight, int) or weight < 1 or weight > 100:
        raise ValidationFailed("A criterion's weight must be a whole number from 1 to 100.")
    crit = Criterion(call=call, title=title.strip(), guidance=guidance, weight=weight,
                     position=len(call.criteria))
    session.add(crit)
    session.flush()
    log(session, "fund.criterion.create", user, call.fund_body_id, crit, weight=weight)
    return crit


def committed(session: Session, strand: Strand) -> int:
    """Pounds already awarded from a strand."""
    return int(session.execute(select(func.coalesce(func.sum(Award.amount), 0))
                               .where(Award.strand_id == strand.id)).scalar_one())


def remaining(session: Session, strand: Strand) -> int:
    return strand.budget - committed(session, strand)


def deadline_passed(call: Call, now: dt.datetime | None = None) -> bool:
    return call.deadline is not None and (now or utcnow()) >= call.deadline


def accepting_proposals(call: Call, now: dt.datetime | None = None) -> str | None:
    """None when the call accepts submissions now; otherwise why not."""
    if call.phase != "open":
        return f"The call is not open for proposals: it is {CALL.label(call.phase).lower()}."
    if deadline_passed(call, now):
        assert call.deadline is not None
        return f"The deadline ({call.deadline:%d %B %Y %H:%M} UTC) has passed."
    return None


def _guard_call_ready(call: Call) -> str | None:
    problems = []
    if call.deadline is None:
        problems.append("set a deadline")
    if not call.strands:
        problems.append("add at least one strand")
    if not call.criteria:
        problems.append("add the assessment criteria")
    total = sum(s.budget for s in call.strands)
    if total > call.total_budget:
        problems.append(f"bring the strand budgets ({gbp(total)}) within the total ({gbp(call.total_budget)})")
    if problems:
        return "Before opening the call, " + ", ".join(problems) + "."
    return None


def _guard_has_award(call: Call) -> str | None:
    from sqlalchemy.orm import object_session

    session = object_session(call)
    assert session is not None
    n = session.execute(select(func.count(Award.id)).join(Strand).where(Strand.call_id == call.id)).scalar_one()
    return None if n else "Make at least one award before moving to delivery."


CALL_GUARDS = {"call_ready": _guard_call_ready, "has_award": _guard_has_award}


def transition_call(session: Session, user: Any, call: Call, name: str) -> Call:
    """Move a call to its next phase (see ``workflows.CALL``)."""
    new = CALL.fire(name, call.phase, user, {"fund_body": [call.fund_body_id]}, CALL_GUARDS, call)
    old = call.phase
    call.phase = new
    if name == "close_submissions" and (call.deadline is None or call.deadline > utcnow()):
        call.deadline = utcnow()
    log(session, f"fund.call.{name}", user, call.fund_body_id, call, before=old, after=new)
    return call


def public_proposals(session: Session, call: Call, now: dt.datetime | None = None) -> list[Proposal] | None:
    """Every submitted proposal, once the deadline has passed (as the fund promised); None before."""
    if not deadline_passed(call, now) and call.phase in ("drafting", "open"):
        return None
    return list(session.execute(
        select(Proposal).where(Proposal.call_id == call.id, Proposal.state.in_(SUBMITTED_STATES),
                               Proposal.submitted_at.is_not(None))
        .order_by(Proposal.reference)
    ).scalars())
