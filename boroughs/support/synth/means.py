"""Synthetic means tests for pension-age Housing Benefit / Council Tax Reduction claims, with the truth.

``boroughs support synth`` calls ``assessment`` for each live claim of a household whose members on the
claim are all over State Pension age. It draws the household's *true* circumstances (income, earnings,
savings, premiums), works out its *true* Pension Credit entitlement from the rates file with its own
arithmetic (it does not use the estimator), decides whether the household claims (about the take-up DWP
reports, so some eligible households do not), and then records what a council's system would hold: mostly
the truth, but with savings left blank on some claims, an income figure not yet uprated on others and
Pension Credit status missing on a few. The truth is written apart, to ``SYNTHETIC_entitlements_truth.csv``.

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

TAKE_UP = 0.63  # share of entitled households that claim, close to DWP's published take-up estimate
TRUTH_COLUMNS = ("claim_ref", "person_id", "household_id", "rates_year", "true_weekly_pension_credit",
                 "entitled", "claims", "missing_out")


@dataclass(frozen=True)
class Truth:
    claim_ref: str
    person_id: str
    household_id: str
    rates_year: str
    weekly: float
    claims: bool

    def row(self) -> tuple[object, ...]:
        entitled = self.weekly >= 0.01
        return (self.claim_ref, self.person_id, self.household_id, self.rates_year, f"{self.weekly:.2f}",
                "yes" if entitled else "no", "yes" if self.claims else "no",
                "yes" if entitled and not self.claims else "no")


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


def assessment(seed: int, household_id: str, claim_ref: str, lead_person_id: str, dobs: list[dt.date],
               disabled: list[bool], lives_alone: bool, as_of: dt.date) -> tuple[dict[str, object], Truth] | None:
    """Recorded assessment fields for a pension-age claim, and the truth; ``None`` for a working-age claim."""
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
    fields: dict[str, object] = {
        "couple": "yes" if couple else "no",
        "pension_credit": "" if rng.random() < 0.05 else status,
        "state_pension_weekly": f"{state_pension * (0.96 if stale else 1):.2f}",
        "other_income_weekly": f"{other:.2f}",
        "earnings_weekly": f"{earnings:.2f}",
        "capital": "" if rng.random() < 0.12 else f"{capital:.2f}",
        "severe_disability_premium": str(sda),
        "carer_premium": str(carers),
    }
    return fields, Truth(claim_ref, lead_person_id, household_id, r.year, weekly, claims)
