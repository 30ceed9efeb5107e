"""The "likely missing out" signals that early-warning rules can use.

A rule condition ``resident: {field: pension_credit_missing_weekly, at_least: 10}`` holds for a resident
whose live pension-age claim suggests about £10 a week or more of Pension Credit is not being claimed;
``housing_support_missing_weekly`` is the Housing Benefit and Council Tax Reduction together that the claim's
awards fall short of the rules by. The values are worked out from the same records the rules read (the
``hb_ctr`` records and the resident's date of birth), with the rates in force on the evaluation date.
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
    from boroughs.support.entitlements.rates import for_date
    from boroughs.support.entitlements.service import estimate_units, units_from_claims

    zero = pd.Series(0.0, index=residents.index, name=field)
    if hb_ctr is None or hb_ctr.empty or "claim_ref" not in hb_ctr:
        return zero
    claims = hb_ctr[hb_ctr.get("claim_status", "") == "live"].copy()
    claims = claims[claims["resident_id"].isin(residents.index)]
    if claims.empty:
        return zero
    claims["dob"] = residents["dob"].reindex(claims["resident_id"].to_numpy()).to_numpy()
    units = units_from_claims(claims, as_of)
    if units.empty:
        return zero
    est = estimate_units(units, for_date(as_of))
    est = est[est["missing_out"] & est["benefit"].isin(benefits)]
    # one unit per claim: a resident's amount is its claim's (summed over the benefits asked for)
    values = est.groupby(["resident_id", "claim_ref"])["weekly_amount"].sum().groupby(level=0).max()
    return zero.add(values, fill_value=0.0).reindex(residents.index).fillna(0.0).rename(field)


def _describe(bounds: tuple[tuple[str, float], ...]) -> str:
    b = " and ".join(f"{OP_WORDS[op]} £{v:,.2f}" for op, v in bounds)
    return f"likely missing out on Pension Credit of {b} a week"


def _explain(weekly: float) -> str:
    return (f"Likely missing out on about £{weekly:,.2f} a week of Pension Credit (estimated from the "
            f"housing benefit claim's means test)")


def _compute(records: Mapping[str, pd.DataFrame], residents: pd.DataFrame, as_of: dt.date) -> pd.Series:
    return missing_weekly(records.get("hb_ctr"), residents, as_of)


SIGNAL = register_signal(ResidentSignal(FIELD, _compute, _describe, _explain))


def _describe_housing(bounds: tuple[tuple[str, float], ...]) -> str:
    b = " and ".join(f"{OP_WORDS[op]} £{v:,.2f}" for op, v in bounds)
    return f"Housing Benefit and Council Tax Reduction likely below what the rules give by {b} a week"


def _explain_housing(weekly: float) -> str:
    return (f"Housing Benefit and Council Tax Reduction look about £{weekly:,.2f} a week below what the rules give "
            f"(estimated from the claim's means test)")


def _compute_housing(records: Mapping[str, pd.DataFrame], residents: pd.DataFrame, as_of: dt.date) -> pd.Series:
    return missing_weekly(records.get("hb_ctr"), residents, as_of, ("housing_benefit", "council_tax_reduction"),
                          HOUSING_FIELD)


HOUSING_SIGNAL = register_signal(ResidentSignal(HOUSING_FIELD, _compute_housing, _describe_housing, _explain_housing))
