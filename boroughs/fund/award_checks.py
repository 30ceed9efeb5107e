"""Checks on an award after it is made (issue 17): do the partners' shares of the budget still add up?

A proposal is only submitted when its partners' shares add up to the amount requested, but an award can be
smaller than the request, and partners can be changed afterwards: then the shares no longer say how the
grant is split, and the fund manager and the partnership need to agree new shares before paying out.
"""

from __future__ import annotations

from boroughs.fund._common import gbp
from boroughs.fund.models import Award


def share_total(award: Award) -> int:
    return sum(p.budget for p in award.proposal.partners)


def share_problem(award: Award | None) -> str | None:
    """A plain warning when the partners' shares do not add up to the award, else None."""
    if award is None:
        return None
    total = share_total(award)
    if total == award.amount:
        return None
    diff = total - award.amount
    how = f"{gbp(diff)} more" if diff > 0 else f"{gbp(-diff)} less"
    shares = "; ".join(f"{p.organisation.name} {gbp(p.budget)}" for p in award.proposal.partners if p.budget)
    return (f"The partners' shares add up to {gbp(total)}, {how} than the {gbp(award.amount)} awarded"
            f"{' (' + shares + ')' if shares else ''}. Agree new shares with the partnership before paying out.")
