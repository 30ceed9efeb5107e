"""Pension Credit, estimated from what a council records: explainable, vectorised, never a decision.

``estimate(units, rates)`` takes one row per benefit unit (a single person or a couple) and returns the
likely guarantee credit and savings credit a week, following the State Pension Credit Act 2002 and
Regulations 2002 as the rates file describes them:

- **Guarantee credit** = the appropriate amount (the standard minimum guarantee, plus the severe disability
  and carer additions) less income, where income counts earnings above the disregard and a deemed income
  of £1 a week for every £500 (or part of £500) of capital above £10,000.
- **Savings credit** (only for people who reached State Pension age before 6 April 2016): 60% of
  qualifying income above the savings credit threshold, up to the maximum, less 40% of income above the
  appropriate amount.

Columns of ``units`` (missing values are allowed where said, and make the result less certain):

| column | meaning |
|---|---|
| ``couple`` | claiming as a couple (bool) |
| ``income_weekly`` | weekly income counted for Pension Credit other than earnings: State Pension, other pensions, counted benefits (not Attendance Allowance, PIP, DLA or Housing Benefit) |
| ``earnings_weekly`` | weekly earnings (0 when none) |
| ``capital`` | savings and investments in £; missing when not recorded |
| ``severe_disability`` | how many in the unit qualify for the severe disability addition (0, 1, 2) |
| ``carers`` | how many in the unit get Carer's Allowance (0, 1, 2) |
| ``savings_credit_age`` | the unit can get savings credit (reached State Pension age before 6 April 2016) |
| ``receives_pension_credit`` | Pension Credit is already in payment (bool; missing when unknown) |
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from boroughs.support.entitlements.rates import PensionCreditRates

LIKELY = "likely"
CHECK_CAPITAL = "possible — check capital"
CHECK_CLAIM = "possible — check whether already claimed"
NOT_ELIGIBLE = "not eligible"
CLAIMING = "already claiming"
MINIMUM_WEEKLY = 0.01  # a penny or more a week counts as an entitlement to reach out about


def _round_pennies(x: np.ndarray) -> np.ndarray:
    """Round half up to the penny, as the Regulations do (not NumPy's round-half-to-even)."""
    return np.floor(np.asarray(x, dtype=float) * 100 + 0.5 + 1e-9) / 100


def deemed_income(capital: np.ndarray, rates: PensionCreditRates) -> np.ndarray:
    over = np.maximum(0.0, np.nan_to_num(capital, nan=0.0) - rates.capital_disregard)
    return np.ceil(over / rates.deemed_per - 1e-9) * rates.deemed_weekly


def estimate(units: pd.DataFrame, rates: PensionCreditRates) -> pd.DataFrame:
    """Guarantee and savings credit a week for each unit, with what was counted and how sure it is."""
    couple = units["couple"].fillna(False).to_numpy(bool)
    earnings = units.get("earnings_weekly", pd.Series(0.0, index=units.index)).fillna(0.0).to_numpy(float)
    other = units["income_weekly"].to_numpy(float)
    capital = units.get("capital", pd.Series(np.nan, index=units.index)).to_numpy(float)
    sda = units.get("severe_disability", pd.Series(0, index=units.index)).fillna(0).to_numpy(float)
    carers = units.get("carers", pd.Series(0, index=units.index)).fillna(0).to_numpy(float)
    sc_age = units.get("savings_credit_age", pd.Series(False, index=units.index)).fillna(False).to_numpy(bool)

    disregard = np.where(couple, rates.earnings_disregard_couple, rates.earnings_disregard_single)
    counted_earnings = np.maximum(0.0, earnings - disregard)
    deemed = deemed_income(capital, rates)
    income = other + counted_earnings + deemed
    smg = np.where(couple, rates.smg_couple, rates.smg_single)
    appropriate = smg + sda * rates.severe_disability_each + carers * rates.carer_each
    guarantee = np.maximum(0.0, appropriate - income)

    threshold = np.where(couple, rates.sc_threshold_couple, rates.sc_threshold_single)
    sc_max = np.where(couple, rates.sc_max_couple, rates.sc_max_single)
    step1 = np.minimum(sc_max, rates.sc_rate * np.maximum(0.0, income - threshold))
    savings = np.maximum(0.0, step1 - rates.sc_taper * np.maximum(0.0, income - appropriate))
    savings = np.where(sc_age, savings, 0.0)

    out = pd.DataFrame({
        "appropriate_amount": _round_pennies(appropriate),
        "income_counted": _round_pennies(income),
        "deemed_income": deemed,
        "guarantee_credit": _round_pennies(guarantee),
        "savings_credit": _round_pennies(savings),
    }, index=units.index)
    out["weekly_amount"] = _round_pennies(out["guarantee_credit"] + out["savings_credit"])
    out["annual_amount"] = _round_pennies(out["weekly_amount"] * 52)
    income_known = ~np.isnan(other)
    claiming = units.get("receives_pension_credit", pd.Series(np.nan, index=units.index))
    claim_known = claiming.notna().to_numpy(bool)
    claims = claiming.map(lambda v: v is True or v == 1).to_numpy(bool)
    entitled = (out["weekly_amount"].to_numpy(float) >= MINIMUM_WEEKLY) & income_known
    capital_known = ~np.isnan(capital)
    out["likelihood"] = np.select(
        [~income_known, claims, ~entitled, ~claim_known, ~capital_known],
        ["unknown — no income recorded", CLAIMING, NOT_ELIGIBLE, CHECK_CLAIM, CHECK_CAPITAL],
        default=LIKELY,
    )
    # "likely missing out" (the rules' signal, the headline figure): entitled and known not to be claiming.
    # Where the records do not say whether Pension Credit is paid, the unit is worth checking, not counted.
    out["missing_out"] = entitled & ~claims & claim_known
    out["worth_checking"] = entitled & ~claim_known
    return out


def explain(row: pd.Series, est: pd.Series, rates: PensionCreditRates) -> str:
    """One plain-English sentence set: the facts used, what is unknown, and the sum."""
    who = "a couple" if row.get("couple") else "a single person"
    parts = [f"Pension Credit {rates.year} for {who}: the guarantee is £{est['appropriate_amount']:.2f} a week"]
    extras = []
    if row.get("severe_disability"):
        extras.append(f"{int(row['severe_disability'])} severe disability addition(s)")
    if row.get("carers"):
        extras.append(f"{int(row['carers'])} carer addition(s)")
    if extras:
        parts[0] += " including " + " and ".join(extras)
    parts.append(f"income counted is £{est['income_counted']:.2f} a week"
                 + (f" (with £{est['deemed_income']:.2f} deemed from savings)" if est["deemed_income"] else ""))
    if est["guarantee_credit"]:
        parts.append(f"so guarantee credit of about £{est['guarantee_credit']:.2f} a week")
    if est["savings_credit"]:
        parts.append(f"savings credit of about £{est['savings_credit']:.2f} a week")
    unknown = []
    if pd.isna(row.get("capital")):
        unknown.append("savings are not recorded (estimated as if under £10,000)")
    if pd.isna(row.get("receives_pension_credit")):
        unknown.append("whether Pension Credit is already paid is not recorded")
    text = "; ".join(parts) + "."
    if unknown:
        text += " Unknown: " + "; ".join(unknown) + "."
    return text + " An estimate to start a conversation, not a decision: the DWP decides claims."
