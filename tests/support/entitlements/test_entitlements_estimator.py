"""Pension Credit estimates (issue 18): the government's published worked examples to the penny, the
statutory relations between the published rates, and the rules' edges."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from boroughs.support.entitlements import rates as R
from boroughs.support.entitlements.estimator import (
    CHECK_CAPITAL,
    CLAIMING,
    LIKELY,
    NOT_ELIGIBLE,
    estimate,
    explain,
)


def _one(rates: R.PensionCreditRates, **facts: object) -> pd.Series:
    row = {"couple": False, "income_weekly": 0.0, "earnings_weekly": 0.0, "capital": 0.0, "severe_disability": 0,
           "carers": 0, "savings_credit_age": False, "receives_pension_credit": False, **facts}
    return estimate(pd.DataFrame([row]), rates).iloc[0]


# Directgov, "Pension Credit: examples" (2012), with the 2012-13 rates it quoted.
def test_published_example_jackie_guarantee_credit_only() -> None:
    """Jackie: single, 62, State Pension £107.45, savings £5,000 -> guarantee credit £35.25, income £142.70."""
    est = _one(R.for_year("2012-13"), income_weekly=107.45, capital=5000, savings_credit_age=False)
    assert est["guarantee_credit"] == 35.25
    assert est["savings_credit"] == 0
    assert est["income_counted"] + est["weekly_amount"] == pytest.approx(142.70)
    assert est["deemed_income"] == 0  # "her savings of £5,000 are ignored because they are below £10,000"


def test_published_example_mary_and_frank_savings_credit_only() -> None:
    """Mary and Frank: both 75, income £230.08 -> no guarantee credit, savings credit £18.86, total £248.94."""
    est = _one(R.for_year("2012-13"), couple=True, income_weekly=230.08, savings_credit_age=True)
    assert est["guarantee_credit"] == 0
    assert est["savings_credit"] == 18.86
    assert round(230.08 + est["weekly_amount"], 2) == 248.94


def test_published_example_jack_only_80_of_85_earnings_counted() -> None:
    """Jack: single, earns £85 a week; "only £80 is counted as income... £5 is ignored"."""
    est = _one(R.for_year("2012-13"), earnings_weekly=85.0)
    assert est["income_counted"] == 80.0
    assert est["guarantee_credit"] == round(142.70 - 80.0, 2)


@pytest.mark.parametrize("year", sorted(y for y, r in R.all_years().items()))
def test_published_maximum_savings_credit_is_60_percent_of_the_gap(year: str) -> None:
    """An outside check on each rates file: the Act fixes the maximum savings credit as 60% of the gap
    between the standard minimum guarantee and the threshold, so the published figures must agree."""
    r = R.for_year(year)
    assert round(r.sc_rate * (r.smg_single - r.sc_threshold_single) + 1e-9, 2) == r.sc_max_single
    assert round(r.sc_rate * (r.smg_couple - r.sc_threshold_couple) + 1e-9, 2) == r.sc_max_couple


def test_every_figure_cites_a_declared_source() -> None:
    for r in R.all_years().values():
        assert {"rates", "regs", "act"} <= set(r.sources)
        assert all(s["url"].startswith("https://www.") for s in r.sources.values())
    assert {"2024-25", "2025-26", "2026-27"} <= set(R.all_years())


def test_rates_for_a_date_pick_the_year_in_force() -> None:
    assert R.for_date(dt.date(2025, 4, 6)).year == "2024-25"
    assert R.for_date(dt.date(2025, 4, 7)).year == "2025-26"
    assert R.for_date(dt.date(2026, 12, 1)).year == "2026-27"
    with pytest.raises(KeyError):
        R.for_date(dt.date(2020, 1, 1))  # the historical file is never used for estimates


def test_deemed_income_is_a_pound_for_every_500_or_part() -> None:
    r = R.for_year("2025-26")
    for capital, deemed in ((10000, 0), (10000.01, 1), (10500, 1), (10500.01, 2), (16000, 12), (0, 0)):
        assert _one(r, capital=capital)["deemed_income"] == deemed, capital


def test_guarantee_credit_with_additions_2025_26() -> None:
    r = R.for_year("2025-26")
    est = _one(r, income_weekly=176.45, severe_disability=1, carers=0)
    assert est["appropriate_amount"] == round(227.10 + 82.90, 2)
    assert est["guarantee_credit"] == round(227.10 + 82.90 - 176.45, 2)
    assert est["annual_amount"] == round(est["weekly_amount"] * 52, 2)


def test_savings_credit_needs_state_pension_age_before_2016() -> None:
    r = R.for_year("2025-26")
    with_sc = _one(r, income_weekly=210.0, savings_credit_age=True)
    without = _one(r, income_weekly=210.0, savings_credit_age=False)
    assert with_sc["savings_credit"] == round(0.6 * (210.0 - 198.27), 2)
    assert without["savings_credit"] == 0


def test_likelihood_says_what_is_unknown() -> None:
    r = R.for_year("2025-26")
    assert _one(r, income_weekly=150.0)["likelihood"] == LIKELY
    assert _one(r, income_weekly=150.0, capital=math.nan)["likelihood"] == CHECK_CAPITAL
    assert _one(r, income_weekly=150.0, receives_pension_credit=True)["likelihood"] == CLAIMING
    assert _one(r, income_weekly=400.0)["likelihood"] == NOT_ELIGIBLE
    assert not _one(r, income_weekly=400.0)["missing_out"]
    assert _one(r, income_weekly=np.nan)["likelihood"].startswith("unknown")


def test_explanation_names_the_facts_and_the_sum() -> None:
    r = R.for_year("2025-26")
    row = pd.Series({"couple": False, "income_weekly": 150.0, "capital": np.nan, "severe_disability": 0, "carers": 0,
                     "receives_pension_credit": False})
    est = _one(r, income_weekly=150.0, capital=np.nan)
    text = explain(row, est, r)
    assert "£227.10" in text and "£77.10" in text and "savings are not recorded" in text and "not a decision" in text


@pytest.mark.parametrize(("dob", "spa"), [
    (dt.date(1955, 3, 1), dt.date(2021, 3, 1)),
    (dt.date(1960, 4, 6), dt.date(2026, 5, 6)),      # 66 and 1 month
    (dt.date(1960, 5, 5), dt.date(2026, 6, 5)),      # still 66 and 1 month
    (dt.date(1961, 3, 5), dt.date(2028, 2, 5)),      # 66 and 11 months
    (dt.date(1961, 3, 6), dt.date(2028, 3, 6)),      # 67
])
def test_state_pension_age(dob: dt.date, spa: dt.date) -> None:
    assert R.state_pension_age_date(dob) == spa


def test_the_docs_example_explanation_is_what_the_estimator_writes() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[3] / "docs" / "support" / "entitlements.md").read_text()
    r = R.for_year("2026-27")
    row = pd.Series({"couple": False, "income_weekly": 170.25, "capital": np.nan, "severe_disability": 0, "carers": 0,
                     "receives_pension_credit": False})
    text = explain(row, _one(r, income_weekly=170.25, capital=np.nan), r)
    assert f"*\"{text}\"*" in doc.replace("\n", " ").replace("  ", " ")
