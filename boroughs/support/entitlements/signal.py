"""The "likely missing out on Pension Credit" signal that early-warning rules can use.

A rule condition ``resident: {field: pension_credit_missing_weekly, at_least: 10}`` holds for a resident
whose live pension-age claim suggests about £10 a week or more of Pension Credit is not being claimed. The
value is worked out from the same records the rules read (the ``hb_ctr`` records and the resident's date
of birth), with the rates in force on the evaluation date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd

from boroughs.support.rules.vocabulary import OP_WORDS, ResidentSignal, register_signal

FIELD = "pension_credit_missing_weekly"


def missing_weekly(hb_ctr: pd.DataFrame | None, residents: pd.DataFrame, as_of: dt.date) -> pd.Series:
    """Weekly Pension Credit estimated unclaimed, by resident (0 where none is estimated)."""
    from boroughs.support.entitlements.rates import for_date
    from boroughs.support.entitlements.service import estimate_units, units_from_claims

    zero = pd.Series(0.0, index=residents.index, name=FIELD)
    if hb_ctr is None or hb_ctr.empty or "claim_ref" not in hb_ctr:
        return zero
    claims = hb_ctr[hb_ctr.get("claim_status", "") == "live"].copy()
    claims = claims[claims["resident_id"].isin(residents.index)]
    if claims.empty:
        return zero
    claims["dob"] = residents["dob"].reindex(claims["resident_id"].to_numpy()).to_numpy()
    for col in ("couple", "pension_credit", "state_pension_weekly", "other_income_weekly", "earnings_weekly",
                "capital", "severe_disability_premium", "carer_premium"):
        if col not in claims:
            claims[col] = ""
    units = units_from_claims(claims, as_of)
    if units.empty:
        return zero
    est = estimate_units(units, for_date(as_of))
    est = est[est["missing_out"]]
    values = est.groupby("resident_id")["weekly_amount"].max()
    return zero.add(values, fill_value=0.0).reindex(residents.index).fillna(0.0).rename(FIELD)


def _describe(bounds: tuple[tuple[str, float], ...]) -> str:
    b = " and ".join(f"{OP_WORDS[op]} £{v:,.2f}" for op, v in bounds)
    return f"likely missing out on Pension Credit of {b} a week"


def _explain(weekly: float) -> str:
    return (f"Likely missing out on about £{weekly:,.2f} a week of Pension Credit (estimated from the "
            f"housing benefit claim's means test)")


def _compute(records: Mapping[str, pd.DataFrame], residents: pd.DataFrame, as_of: dt.date) -> pd.Series:
    return missing_weekly(records.get("hb_ctr"), residents, as_of)


SIGNAL = register_signal(ResidentSignal(FIELD, _compute, _describe, _explain))
