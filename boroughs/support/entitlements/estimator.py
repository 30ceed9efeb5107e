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
# Housing Benefit and Council Tax Reduction are already assessed by the council: an award is "below what the
# rules give" only when the gap is a pound a week or more, so rounding in the council's system is not a lead.
MINIMUM_GAIN_WEEKLY = 1.00
HOUSING_BENEFIT = "housing_benefit"
COUNCIL_TAX_REDUCTION = "council_tax_reduction"
BENEFIT_NAMES = {"pension_credit": "Pension Credit", HOUSING_BENEFIT: "Housing Benefit",
                 COUNCIL_TAX_REDUCTION: "Council Tax Reduction"}
NOT_LISTED = "not listed"


def round_pennies(x: np.ndarray) -> np.ndarray:
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
        "appropriate_amount": round_pennies(appropriate),
        "income_counted": round_pennies(income),
        "deemed_income": deemed,
        "guarantee_credit": round_pennies(guarantee),
        "savings_credit": round_pennies(savings),
    }, index=units.index)
    out["weekly_amount"] = round_pennies(out["guarantee_credit"] + out["savings_credit"])
    out["annual_amount"] = round_pennies(out["weekly_amount"] * 52)
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


def housing_support(units: pd.DataFrame, pc: pd.DataFrame, rates: PensionCreditRates) -> pd.DataFrame:
    """Pension-age Housing Benefit and Council Tax Reduction a week, against the awards in payment.

    ``pc`` is :func:`estimate`'s result for the same units. The means test (Housing Benefit (SPC)
    Regulations 2006; England's national pensioner Council Tax Reduction scheme) uses:

    - the **applicable amount**: the personal allowance (higher where anyone on the claim reached State
      Pension age before 1 April 2021) plus the severe disability and carer premiums;
    - **income** as Pension Credit counts it (earnings above the disregard, £1 a week per £500 of savings over
      £10,000), plus savings credit where Pension Credit is paid (savings credit counts for Housing Benefit);
    - **guarantee credit passports** to the maximum: where it is paid, or estimated due (the outreach would
      help the household claim it), all income and capital are disregarded;
    - otherwise nothing above the **capital limit** (£16,000), and the maximum (eligible rent; the council
      tax share) less the **taper** (65%; 20%) of income above the applicable amount.

    Extra columns of ``units``: ``allowance_before`` (bool), ``eligible_rent_weekly``,
    ``eligible_council_tax_weekly``, ``hb_award_weekly``, ``ctr_award_weekly`` (missing where not recorded)
    and ``receives_guarantee_credit`` (bool).
    """
    h = rates.housing
    if h is None:
        raise ValueError(f"the {rates.year} rates file has no housing_support_pensioner section")
    idx = units.index

    def col(name: str, default: float = np.nan) -> np.ndarray:
        return pd.to_numeric(units.get(name, pd.Series(default, index=idx)), errors="coerce").to_numpy(float)

    couple = units["couple"].fillna(False).to_numpy(bool)
    before = units.get("allowance_before", pd.Series(True, index=idx)).fillna(True).to_numpy(bool)
    sda = col("severe_disability", 0.0)
    carers = col("carers", 0.0)
    allowance = np.where(before, np.where(couple, h.allowance_before_couple, h.allowance_before_single),
                         np.where(couple, h.allowance_from_couple, h.allowance_from_single))
    applicable = allowance + np.nan_to_num(sda) * rates.severe_disability_each + np.nan_to_num(carers) * rates.carer_each
    receives_pc = units.get("receives_pension_credit", pd.Series(False, index=idx)).map(
        lambda v: v is True or v == 1).to_numpy(bool)
    income = pc["income_counted"].to_numpy(float) + np.where(receives_pc, pc["savings_credit"].to_numpy(float), 0.0)
    excess = np.maximum(0.0, income - applicable)
    gc_paid = units.get("receives_guarantee_credit", pd.Series(False, index=idx)).fillna(False).to_numpy(bool)
    passport = h.passport & (gc_paid | (pc["guarantee_credit"].to_numpy(float) >= MINIMUM_WEEKLY))
    capital = col("capital")
    over_limit = np.nan_to_num(capital, nan=0.0) > h.capital_limit
    rent, ct = col("eligible_rent_weekly"), col("eligible_council_tax_weekly")
    ct_max = ct * h.ctr_maximum_share

    def award(maximum: np.ndarray, taper: float) -> np.ndarray:
        tapered = np.where(over_limit, 0.0, np.maximum(0.0, maximum - taper * excess))
        return round_pennies(np.where(passport, maximum, tapered))  # NaN where the maximum is not recorded

    out = pd.DataFrame({"applicable_amount": round_pennies(applicable), "hb_income": round_pennies(income),
                        "passport": passport, "over_capital_limit": over_limit & ~passport,
                        "hb_estimate": award(rent, h.hb_taper), "ctr_estimate": award(ct_max, h.ctr_taper),
                        "hb_award": col("hb_award_weekly"), "ctr_award": col("ctr_award_weekly")}, index=idx)
    # With savings not recorded, a nil award in payment is most often savings over the limit: such a unit is
    # worth a check, not counted, unless guarantee credit is paid or looks due (its passport makes savings
    # irrelevant here; Pension Credit's own estimate, which counts such units, carries the savings question).
    sure = ~np.isnan(capital) | passport
    for short in ("hb", "ctr"):
        gain = round_pennies(out[f"{short}_estimate"] - out[f"{short}_award"])  # NaN when either is unknown
        below = np.nan_to_num(gain, nan=0.0) >= MINIMUM_GAIN_WEEKLY
        out[f"{short}_gain"] = gain
        out[f"{short}_missing_out"] = below & sure
        out[f"{short}_worth_checking"] = below & ~sure
        out[f"{short}_likelihood"] = np.where(np.isnan(capital) & ~gc_paid, CHECK_CAPITAL, LIKELY)
    return out


def explain_housing(benefit: str, row: pd.Series, est: pd.Series, rates: PensionCreditRates) -> str:
    """Why the Housing Benefit or Council Tax Reduction in payment looks lower than the rules give."""
    h = rates.housing
    assert h is not None
    short, name, what, taper = (("hb", "Housing Benefit", "eligible rent", h.hb_taper)
                                if benefit == HOUSING_BENEFIT else
                                ("ctr", "Council Tax Reduction", "council tax", h.ctr_taper))
    maximum = row.get("eligible_rent_weekly") if short == "hb" else row.get("eligible_council_tax_weekly")
    who = "a couple" if row.get("couple") else "a single person"
    text = f"{name} {rates.year} for {who}: the {what} is £{float(maximum):.2f} a week"
    if est["passport"]:
        text += ("; guarantee credit is paid, which gives the maximum" if row.get("receives_guarantee_credit") else
                 "; Pension Credit's guarantee credit looks due (see that estimate) and, once claimed, gives the "
                 "maximum whatever the income and savings")
    else:
        text += (f"; the applicable amount is £{est['applicable_amount']:.2f} and income counted "
                 f"£{est['hb_income']:.2f}, so {taper:.0%} of £{max(0.0, est['hb_income'] - est['applicable_amount']):.2f}"
                 " is taken off")
    text += (f"; so about £{est[f'{short}_estimate']:.2f} a week, against £{est[f'{short}_award']:.2f} in payment"
             f" (about £{est[f'{short}_gain']:.2f} a week more).")
    notes = []
    if pd.isna(row.get("capital")) and not row.get("receives_guarantee_credit"):
        notes.append("savings are not recorded (estimated as if under £10,000)" if not est["passport"] else
                     "savings are not recorded, and guarantee credit is due only if they are modest")
    allowance = "personal_allowance_before_2021" if row.get("allowance_before", True) else "personal_allowance_from_2021"
    if not est["passport"] and f"{allowance}.{'couple' if row.get('couple') else 'single'}" in h.derived:
        notes.append("the personal allowance used is derived from the Pension Credit rates, not yet checked against "
                     "the year's published table")
    if notes:
        text += " Unknown: " + "; ".join(notes) + "."
    return text + " An estimate to start a conversation, not a decision: the council reassesses the claim."
