"""The "likely missing out" signals that early-warning rules can use.

A rule condition ``resident: {field: pension_credit_missing_weekly, at_least: 10}`` holds for a resident
whose live pension-age claim suggests about £10 a week or more of Pension Credit is not being claimed;
``housing_support_missing_weekly`` is the Housing Benefit and Council Tax Reduction together that the claim's
awards fall short of the rules by. The values are worked out from the same records the rules read (the
``hb_ctr`` records and the resident's date of birth), with the rates in force on the evaluation date; a
working-age claim's Council Tax Reduction counts where the council's own scheme is held (the residents
frame's ``attrs["council"]``, set by the rules engine, names the council).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd

from boroughs.support.rules.vocabulary import OP_WORDS, ResidentSignal, register_signal

FIELD = "pension_credit_missing_weekly"
HOUSING_FIELD = "housing_support_missing_weekly"


def missing_weekly(hb_ctr: pd.DataFrame | None, residents: pd.DataFrame, as_of: dt.date,
                   benefits: tuple[str, ...] = ("pension_credit",), field: str = FIELD) -> pd.Series:
    """Weekly amount estimated missed on ``benefits``, by resident (0 where none is estimated)."""
    from boroughs.support.entitlements.service import estimate_claims

    zero = pd.Series(0.0, index=residents.index, name=field)
    if hb_ctr is None or hb_ctr.empty or "claim_ref" not in hb_ctr:
        return zero
    claims = hb_ctr[hb_ctr.get("claim_status", "") == "live"].copy()
    claims = claims[claims["resident_id"].isin(residents.index)]
    if claims.empty:
        return zero
    claims["dob"] = residents["dob"].reindex(claims["resident_id"].to_numpy()).to_numpy()
    est = estimate_claims(claims, as_of, residents.attrs.get("council"))
    est = est[est["missing_out"] & est["benefit"].isin(benefits)]
    # one unit per claim: a resident's amount is its claim's (summed over the benefits asked for)
    values = est.groupby(["resident_id", "claim_ref"])["weekly_amount"].sum().groupby(level=0).max().astype(float)
    return zero.add(values, fill_value=0.0).reindex(residents.index).fillna(0.0).rename(field)


def _signal(field: str, benefits: tuple[str, ...], describe: str, explain: str) -> ResidentSignal:
    """A signal over ``benefits``; ``describe`` and ``explain`` are templates with ``{amount}``."""

    def _describe(bounds: tuple[tuple[str, float], ...]) -> str:
        return describe.format(amount=" and ".join(f"{OP_WORDS[op]} £{v:,.2f}" for op, v in bounds))

    def _explain(weekly: float) -> str:
        return explain.format(amount=f"£{weekly:,.2f}")

    def _compute(records: Mapping[str, pd.DataFrame], residents: pd.DataFrame, as_of: dt.date) -> pd.Series:
        return missing_weekly(records.get("hb_ctr"), residents, as_of, benefits, field)

    return register_signal(ResidentSignal(field, _compute, _describe, _explain))


SIGNAL = _signal(FIELD, ("pension_credit",), "likely missing out on Pension Credit of {amount} a week",
                 "Likely missing out on about {amount} a week of Pension Credit (estimated from the housing benefit "
                 "claim's means test)")
HOUSING_SIGNAL = _signal(HOUSING_FIELD, ("housing_benefit", "council_tax_reduction"),
                         "Housing Benefit and Council Tax Reduction likely below what the rules give by {amount} a week",
                         "Housing Benefit and Council Tax Reduction look about {amount} a week below what the rules "
                         "give (estimated from the claim's means test)")
