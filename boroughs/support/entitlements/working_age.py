"""Working-age Council Tax Reduction under the council's own scheme, for claims on Universal Credit.

Each London borough sets its own working-age scheme (``councils/<ONS code>.yaml``). For a claimant on
Universal Credit the schemes take the DWP's own figures, as England's Default Scheme does (Council Tax
Reduction Schemes (Default Scheme) (England) Regulations 2012, Schedule paragraph 37; the Newham and Hackney
schemes follow it):

- the **applicable amount** is Universal Credit's maximum amount;
- **income** is the income Universal Credit counted (before the work allowance) plus the Universal Credit
  award; monthly figures become weekly by multiplying by 12 and dividing by 52;
- the reduction is the scheme's **maximum share** of the council tax less the scheme's **taper** of income
  above the applicable amount, and nothing with savings over the scheme's **capital limit** (Universal
  Credit's own figures already count the savings' tariff income).

A claim is listed when the reduction in payment is £1 a week or more below this, most often because the
council's award has not caught up with a change in Universal Credit. The records say how many live in the
home, not what the other adults earn, so for each other adult the scheme's highest non-dependant deduction
is taken off the gain (a floor: "possible — check who else lives there"); a claim whose household size is
not recorded is worth checking, not counted. Claims not on Universal Credit (the few left on legacy benefits)
are not estimated.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from boroughs.support.entitlements.estimator import CHECK_CAPITAL, LIKELY, MINIMUM_GAIN_WEEKLY, round_pennies
from boroughs.support.entitlements.rates import state_pension_age_date
from boroughs.support.entitlements.schemes import WorkingAgeScheme

CHECK_HOUSEHOLD = "possible — check who else lives there"
MONTHS_PER_WEEK = 12 / 52  # the schemes' own conversion of a monthly figure to a weekly one


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce")  # blank: not recorded


def units_from_claims(claims: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Working-age units on Universal Credit from hb_ctr rows: one per claim with anyone on it under State
    Pension age and a Universal Credit maximum amount recorded."""
    cols = ["resident_id", "claim_ref", "couple", "uc_maximum_weekly", "uc_income_weekly", "uc_award_weekly",
            "capital", "eligible_council_tax_weekly", "ctr_award_weekly", "non_dependants"]
    if claims.empty or "uc_maximum_monthly" not in claims:
        return pd.DataFrame(columns=cols)
    df = claims.copy()
    for col in ("couple", "uc_income_monthly", "uc_award_monthly", "capital", "eligible_council_tax_weekly",
                "ctr_in_payment_weekly", "household_size", "children"):
        if col not in df:
            df[col] = ""  # not recorded
    df["dob"] = pd.to_datetime(df["dob"], errors="coerce")
    df = df[df["dob"].notna()]
    df["under_spa"] = df["dob"].dt.date.map(state_pension_age_date) > as_of
    grouped = df.groupby("claim_ref", sort=False)
    units = grouped.agg(resident_id=("resident_id", "first"), any_under=("under_spa", "any"),
                        couple=("couple", "first"), uc_max=("uc_maximum_monthly", "first"),
                        uc_income=("uc_income_monthly", "first"), uc_award=("uc_award_monthly", "first"),
                        capital=("capital", "first"), ct=("eligible_council_tax_weekly", "first"),
                        ctr_now=("ctr_in_payment_weekly", "first"), size=("household_size", "first"),
                        children=("children", "first"))
    units = units[units["any_under"]].copy()
    units["uc_maximum_weekly"] = _num(units["uc_max"]) * MONTHS_PER_WEEK
    units = units[units["uc_maximum_weekly"].notna()]
    units["uc_income_weekly"] = _num(units["uc_income"]).fillna(0.0) * MONTHS_PER_WEEK
    units["uc_award_weekly"] = _num(units["uc_award"]).fillna(0.0) * MONTHS_PER_WEEK
    units["couple"] = units["couple"].astype(str).str.lower().isin(("yes", "true", "1"))
    units["capital"] = _num(units["capital"])
    units["eligible_council_tax_weekly"] = _num(units["ct"])
    units["ctr_award_weekly"] = _num(units["ctr_now"])
    on_claim = np.where(units["couple"], 2, 1)
    others = _num(units["size"]) - _num(units["children"]).fillna(0) - on_claim
    units["non_dependants"] = others.clip(lower=0)  # NaN where the household's size is not recorded
    return units.reset_index()[cols]


def estimate(units: pd.DataFrame, scheme: WorkingAgeScheme) -> pd.DataFrame:
    """The scheme's reduction a week for each unit, against the award in payment."""
    idx = units.index
    applicable = units["uc_maximum_weekly"].to_numpy(float)
    income = units["uc_income_weekly"].to_numpy(float) + units["uc_award_weekly"].to_numpy(float)
    excess = np.maximum(0.0, income - applicable)
    capital = units["capital"].to_numpy(float)
    over_limit = np.nan_to_num(capital, nan=0.0) > scheme.capital_limit
    maximum = units["eligible_council_tax_weekly"].to_numpy(float) * scheme.maximum_share
    reduction = round_pennies(np.where(over_limit, 0.0, np.maximum(0.0, maximum - scheme.taper * excess)))
    award = units["ctr_award_weekly"].to_numpy(float)
    # Other adults in the home may bring non-dependant deductions the records do not show: the gain counted is
    # what is left after the highest deduction for each (a floor); a household size not recorded is unknown.
    others = units["non_dependants"].to_numpy(float)
    alone = np.nan_to_num(others, nan=1.0) == 0
    deductions = np.nan_to_num(others, nan=0.0) * scheme.non_dependant_deduction_highest
    gain = round_pennies(reduction - award - deductions)  # NaN where the council tax or the award is not recorded
    below = np.nan_to_num(gain, nan=0.0) >= MINIMUM_GAIN_WEEKLY
    # With savings not recorded, an award in payment says the council found them under the limit; a nil award
    # most often means savings over it, so such a unit is worth a check, not counted; so is one whose
    # household size is not recorded.
    unknown = np.isnan(capital)
    sure = (~unknown | (np.nan_to_num(award, nan=0.0) > 0)) & ~np.isnan(others)
    return pd.DataFrame({"applicable_amount": round_pennies(applicable), "income_counted": round_pennies(income),
                         "excess": round_pennies(excess), "maximum": round_pennies(maximum),
                         "ctr_estimate": reduction, "ctr_award": award, "deductions": round_pennies(deductions),
                         "ctr_gain": gain,
                         "missing_out": below & sure, "worth_checking": below & ~sure,
                         "likelihood": np.select([~alone, unknown], [CHECK_HOUSEHOLD, CHECK_CAPITAL], LIKELY)},
                        index=idx)


def explain(row: pd.Series, est: pd.Series, scheme: WorkingAgeScheme) -> str:
    """Why the working-age reduction in payment looks lower than the council's scheme gives."""
    who = "a couple" if row.get("couple") else "a single person or lone parent"
    text = (f"{scheme.name}'s Council Tax Reduction scheme (from {scheme.applies_from:%-d %B %Y}) for {who} on "
            f"Universal Credit: {scheme.maximum_share:.0%} of the council tax of "
            f"£{float(row['eligible_council_tax_weekly']):.2f} a week is £{est['maximum']:.2f}; Universal Credit's "
            f"maximum amount is £{est['applicable_amount']:.2f} a week and income with the award "
            f"£{est['income_counted']:.2f}, so {scheme.taper:.0%} of £{est['excess']:.2f} is taken off; so about "
            f"£{est['ctr_estimate']:.2f} a week, against £{est['ctr_award']:.2f} in payment (about "
            f"£{est['ctr_gain']:.2f} a week more).")
    if est["deductions"] > 0:
        text = text[:-2] + (f", after taking off £{est['deductions']:.2f} for the highest non-dependant deductions "
                            "the other adults at home could bring).")
    notes: list[str] = []
    if pd.isna(row.get("non_dependants")):
        notes.append("the household's size is not recorded (other adults may bring a non-dependant deduction)")
    elif row.get("non_dependants", 0) > 0:
        notes.append("what the other adults at home earn (their deductions may be smaller)")
    if pd.isna(row.get("capital")):
        notes.insert(0, f"savings are not recorded (the scheme pays nothing over £{scheme.capital_limit:,.0f})")
    if notes:
        text += " Unknown: " + "; ".join(notes) + "."
    return (text + " An estimate to start a conversation, not a decision: "
            "the council reassesses the claim.")
