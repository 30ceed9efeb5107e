"""Synthetic means tests for pension-age Housing Benefit / Council Tax Reduction claims, with the truth.

``boroughs support synth`` calls ``assessment`` for each live claim of a household whose members on the
claim are all over State Pension age. It draws the household's *true* circumstances (income, earnings,
savings, premiums), works out its *true* Pension Credit entitlement from the rates file with its own
arithmetic (it does not use the estimator), decides whether the household claims (about the take-up DWP
reports, so some eligible households do not), and then records what a council's system would hold: mostly
the truth, but with savings left blank on some claims, an income figure not yet uprated on others and
Pension Credit status missing on a few. The truth is written apart, to ``SYNTHETIC_entitlements_truth.csv``.

The claim also carries its eligible rent and council tax and the Housing Benefit and Council Tax Reduction
in payment: what the council's own means test gives on the facts it holds, with guarantee credit's passport
only where guarantee credit is paid. The truth says what the household would get if it claimed everything it
is owed (guarantee credit, once claimed, gives the maximum of both, whatever the savings), worked out here
with this module's own arithmetic from the rates file's figures.

A working-age claim of a council whose scheme the project holds (``working_age_assessment``) carries the
Universal Credit figures the DWP shares with the council and the reduction the council's scheme gives on
them, mostly right, but on some claims not yet caught up with a fall in earnings.

Every amount is drawn relative to the rates file's own figures, so no benefit figure is written here. The
draw uses its own random stream (seeded from the run's seed and the household), so adding it changed none
of the other synthetic data.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from boroughs.support.entitlements.rates import PensionCreditRates, for_date, state_pension_age_date
from boroughs.support.entitlements.schemes import WorkingAgeScheme
from boroughs.support.entitlements.working_age import MONTHS_PER_WEEK

TAKE_UP = 0.63  # share of entitled households that claim, close to DWP's published take-up estimate
TRUTH_COLUMNS = ("claim_ref", "person_id", "household_id", "rates_year", "true_weekly_pension_credit",
                 "entitled", "claims", "missing_out", "true_weekly_housing_benefit", "hb_in_payment",
                 "missing_out_hb", "true_weekly_ctr", "ctr_in_payment", "missing_out_ctr")
GAIN = 1.00  # a pound a week or more below the truth counts as missing out (as the estimator's rule)


@dataclass(frozen=True)
class Truth:
    claim_ref: str
    person_id: str
    household_id: str
    rates_year: str
    weekly: float
    claims: bool
    hb_true: float = 0.0
    hb_paid: float = 0.0
    ctr_true: float = 0.0
    ctr_paid: float = 0.0

    def row(self) -> tuple[object, ...]:
        entitled = self.weekly >= 0.01

        def yes(b: bool) -> str:
            return "yes" if b else "no"

        return (self.claim_ref, self.person_id, self.household_id, self.rates_year, f"{self.weekly:.2f}",
                yes(entitled), yes(self.claims), yes(entitled and not self.claims),
                f"{self.hb_true:.2f}", f"{self.hb_paid:.2f}", yes(self.hb_true - self.hb_paid >= GAIN - 1e-9),
                f"{self.ctr_true:.2f}", f"{self.ctr_paid:.2f}", yes(self.ctr_true - self.ctr_paid >= GAIN - 1e-9))


def _true_pension_credit(r: PensionCreditRates, *, couple: bool, income: float, earnings: float, capital: float,
                         sda: int, carers: int, sc_age: bool) -> float:
    disregard = r.earnings_disregard_couple if couple else r.earnings_disregard_single
    deemed = math.ceil(max(0.0, capital - r.capital_disregard) / r.deemed_per) * r.deemed_weekly
    total = income + max(0.0, earnings - disregard) + deemed
    guarantee_level = (r.smg_couple if couple else r.smg_single) + sda * r.severe_disability_each + carers * r.carer_each
    gc = max(0.0, guarantee_level - total)
    sc = 0.0
    if sc_age:
        threshold = r.sc_threshold_couple if couple else r.sc_threshold_single
        cap = r.sc_max_couple if couple else r.sc_max_single
        sc = max(0.0, min(cap, r.sc_rate * max(0.0, total - threshold)) - r.sc_taper * max(0.0, total - guarantee_level))
    return round(gc + sc + 1e-9, 2)


def _true_housing_support(r: PensionCreditRates, *, couple: bool, before_2021: bool, income: float, earnings: float,
                          capital: float, sda: int, carers: int, savings_credit: float, guarantee: bool,
                          rent: float, council_tax: float) -> tuple[float, float]:
    """(Housing Benefit, Council Tax Reduction) a week under the pensioner means test."""
    h = r.housing
    if h is None:
        return 0.0, 0.0
    if guarantee:
        return round(rent, 2), round(council_tax * h.ctr_maximum_share, 2)
    if capital > h.capital_limit:
        return 0.0, 0.0
    disregard = r.earnings_disregard_couple if couple else r.earnings_disregard_single
    deemed = math.ceil(max(0.0, capital - r.capital_disregard) / r.deemed_per) * r.deemed_weekly
    counted = income + max(0.0, earnings - disregard) + deemed + savings_credit
    if before_2021:
        allowance = h.allowance_before_couple if couple else h.allowance_before_single
    else:
        allowance = h.allowance_from_couple if couple else h.allowance_from_single
    over = max(0.0, counted - (allowance + sda * r.severe_disability_each + carers * r.carer_each))
    return (round(max(0.0, rent - h.hb_taper * over) + 1e-9, 2),
            round(max(0.0, council_tax * h.ctr_maximum_share - h.ctr_taper * over) + 1e-9, 2))


def _savings_credit_part(r: PensionCreditRates, *, couple: bool, income: float, earnings: float, capital: float,
                         sda: int, carers: int) -> float:
    """The savings credit within a total Pension Credit entitlement (0 when no savings credit is due)."""
    total = _true_pension_credit(r, couple=couple, income=income, earnings=earnings, capital=capital, sda=sda,
                                 carers=carers, sc_age=True)
    guarantee = _true_pension_credit(r, couple=couple, income=income, earnings=earnings, capital=capital, sda=sda,
                                     carers=carers, sc_age=False)
    return round(total - guarantee, 2)


def assessment(seed: int, household_id: str, claim_ref: str, lead_person_id: str, dobs: list[dt.date],
               disabled: list[bool], lives_alone: bool, as_of: dt.date, *, tenure: str = "owner",
               council_rent: float = 0.0, council_tax: float = 0.0) -> tuple[dict[str, object], Truth] | None:
    """Recorded assessment fields for a pension-age claim, and the truth; ``None`` for a working-age claim.

    ``tenure`` is council, private_rent or owner; ``council_rent`` the weekly rent of a council tenancy (a
    private tenant's rent is drawn here); ``council_tax`` the home's weekly charge."""
    if not dobs or any(state_pension_age_date(d) > as_of for d in dobs):
        return None
    rng = random.Random(f"entitlements:{seed}:{household_id}")
    r = for_date(as_of)
    couple = len(dobs) == 2
    smg = r.smg_couple if couple else r.smg_single
    state_pension = round(smg * rng.uniform(0.45, 1.05), 2)
    other = round(smg * rng.uniform(0.02, 0.45), 2) if rng.random() < 0.5 else 0.0
    earnings = round(smg * rng.uniform(0.04, 0.3), 2) if rng.random() < 0.06 else 0.0
    capital = round(min(60000.0, rng.expovariate(1 / 9000)), 2) if rng.random() < 0.8 else 0.0
    sda = 1 if (lives_alone and any(disabled) and rng.random() < 0.35) else 0
    carers = 1 if (couple and rng.random() < 0.06) else 0
    sc_age = all(state_pension_age_date(d) < (r.sc_spa_before or dt.date.min) for d in dobs)
    weekly = _true_pension_credit(r, couple=couple, income=state_pension + other, earnings=earnings, capital=capital,
                                  sda=sda, carers=carers, sc_age=sc_age)
    claims = weekly >= 0.01 and rng.random() < TAKE_UP
    if claims:
        status = "both" if weekly > (r.sc_max_couple if couple else r.sc_max_single) and sc_age else (
            "savings credit" if sc_age and rng.random() < 0.3 else "guarantee credit")
    else:
        status = "none"
    # What the council's system holds: mostly the truth, with the gaps real systems have.
    stale = rng.random() < 0.08  # income not yet uprated this April: a few per cent lower
    pc_status_missing = rng.random() < 0.05
    capital_blank = rng.random() < 0.12
    private_rent = round(smg * rng.uniform(0.9, 1.6), 2)  # drawn last, so the draws above are as before
    eligible_rent = {"council": council_rent, "private_rent": private_rent}.get(tenure, 0.0)
    before_2021 = any(state_pension_age_date(d) < (r.housing.cutoff if r.housing else dt.date.min) for d in dobs)
    sc_true = (_savings_credit_part(r, couple=couple, income=state_pension + other, earnings=earnings,
                                    capital=capital, sda=sda, carers=carers) if sc_age else 0.0)
    gc_true = _true_pension_credit(r, couple=couple, income=state_pension + other, earnings=earnings,
                                   capital=capital, sda=sda, carers=carers, sc_age=False) >= 0.01

    def support(income: float, guarantee: bool, savings_credit: float) -> tuple[float, float]:
        return _true_housing_support(r, couple=couple, before_2021=before_2021, income=income, earnings=earnings,
                                     capital=capital, sda=sda, carers=carers, savings_credit=savings_credit,
                                     guarantee=guarantee, rent=eligible_rent, council_tax=council_tax)

    # The truth: what the household gets once it claims everything it is owed.
    hb_true, ctr_true = support(state_pension + other, gc_true, sc_true)
    # In payment: the council's assessment on the income it holds, with the passport only where paid.
    paid_gc = claims and status in ("guarantee credit", "both")
    hb_paid, ctr_paid = support(state_pension * (0.96 if stale else 1) + other, paid_gc, sc_true if claims else 0.0)
    fields: dict[str, object] = {
        "couple": "yes" if couple else "no",
        "pension_credit": "" if pc_status_missing else status,
        "state_pension_weekly": f"{state_pension * (0.96 if stale else 1):.2f}",
        "other_income_weekly": f"{other:.2f}",
        "earnings_weekly": f"{earnings:.2f}",
        "capital": "" if capital_blank else f"{capital:.2f}",
        "severe_disability_premium": str(sda),
        "carer_premium": str(carers),
        "eligible_rent_weekly": f"{eligible_rent:.2f}" if eligible_rent else "",
        "eligible_council_tax_weekly": f"{council_tax:.2f}",
        "hb_in_payment_weekly": f"{hb_paid:.2f}",
        "ctr_in_payment_weekly": f"{ctr_paid:.2f}",
    }
    return fields, Truth(claim_ref, lead_person_id, household_id, r.year, weekly, claims,
                         hb_true, hb_paid, ctr_true, ctr_paid)


def working_age_assessment(seed: int, household_id: str, claim_ref: str, lead_person_id: str, couple: bool,
                           children: int, other_adults: int, as_of: dt.date, *, scheme: WorkingAgeScheme,
                           tenure: str = "owner", rent: float = 0.0,
                           council_tax: float = 0.0) -> tuple[dict[str, object], Truth]:
    """Recorded Universal Credit figures of a working-age claim, its reduction in payment, and the truth
    (``rent``: a council tenancy's weekly rent; a private tenant's is drawn here).

    The Universal Credit figures are drawn relative to the rates file's standard minimum guarantee (a scale,
    not Universal Credit's calculation), and are what the DWP's latest data says. The council's award is its
    scheme's means test (``scheme``, the council's own file) on those figures, except on some claims where it
    was worked out on last month's, when earnings were higher, and has not caught up. Where other adults live
    in the home, some of them working, the award and the truth carry a non-dependant deduction the records do
    not show."""
    rng = random.Random(f"entitlements-wa:{seed}:{household_id}")
    r = for_date(as_of)
    scale = r.smg_single * 52 / 12  # a month of the single guarantee: the draws' unit
    uc_max = scale * (rng.uniform(0.75, 0.95) if couple else rng.uniform(0.45, 0.6)) + scale * 0.35 * children
    if tenure == "private_rent":
        rent = r.smg_single * rng.uniform(0.7, 1.4)
    if tenure != "owner":
        uc_max += rent * 52 / 12
    earns = rng.random() < 0.45
    income = scale * rng.uniform(0.1, 1.1) if earns else (scale * rng.uniform(0.02, 0.2) if rng.random() < 0.2 else 0.0)
    taper = rng.uniform(0.5, 0.6)

    def award_for(counted: float) -> float:
        return max(0.0, uc_max - taper * max(0.0, counted - scale * 0.3))

    capital = round(min(15000.0, rng.expovariate(1 / 2500)), 2) if rng.random() < 0.7 else 0.0
    deduction = round(sum(scheme.non_dependant_deduction_highest * rng.uniform(0.33, 1.0)
                          for _ in range(other_adults) if rng.random() < 0.5), 2)  # those who work
    stale = earns and rng.random() < 0.15
    capital_blank = rng.random() < 0.12

    def reduction(counted: float) -> float:
        if capital > scheme.capital_limit:
            return 0.0
        over = max(0.0, (counted + award_for(counted) - uc_max) * MONTHS_PER_WEEK)
        return round(max(0.0, council_tax * scheme.maximum_share - scheme.taper * over - deduction) + 1e-9, 2)

    true_ctr = reduction(income)
    paid = reduction(income * rng.uniform(1.2, 1.6)) if stale else true_ctr
    fields: dict[str, object] = {
        "couple": "yes" if couple else "no",
        "capital": "" if capital_blank else f"{capital:.2f}",
        "eligible_council_tax_weekly": f"{council_tax:.2f}",
        "ctr_in_payment_weekly": f"{paid:.2f}",
        "uc_maximum_monthly": f"{uc_max:.2f}",
        "uc_income_monthly": f"{income:.2f}",
        "uc_award_monthly": f"{award_for(income):.2f}",
    }
    return fields, Truth(claim_ref, lead_person_id, household_id, r.year, 0.0, False, ctr_true=true_ctr, ctr_paid=paid)
