"""Working-age Council Tax Reduction under the council's own scheme (issue 18): the means test's arithmetic
on Universal Credit's figures, what is counted and what is only worth a check, and what the explanation says."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from boroughs.support.entitlements import schemes
from boroughs.support.entitlements.estimator import CHECK_CAPITAL, LIKELY
from boroughs.support.entitlements.working_age import CHECK_HOUSEHOLD, estimate, explain, units_from_claims

DAY = dt.date(2026, 12, 1)


@pytest.fixture
def newham() -> schemes.WorkingAgeScheme:
    scheme = schemes.working_age_scheme("E09000025", DAY)
    assert scheme is not None
    return scheme


def _claims(**fields: object) -> pd.DataFrame:
    row = {"resident_id": 7, "claim_ref": "C1", "dob": "1990-05-01", "couple": "no", "household_size": "1",
           "children": "0", "capital": "0.00", "eligible_council_tax_weekly": "30.00", "ctr_in_payment_weekly": "0.00",
           "uc_maximum_monthly": "1300.00", "uc_income_monthly": "0.00", "uc_award_monthly": "1300.00", **fields}
    return pd.DataFrame([row])


def _one(scheme: schemes.WorkingAgeScheme, **fields: object) -> tuple[pd.Series, pd.Series]:
    units = units_from_claims(_claims(**fields), DAY)
    assert len(units) == 1
    return units.iloc[0], estimate(units, scheme).iloc[0]


def test_no_income_above_the_maximum_amount_gives_the_schemes_maximum(newham: schemes.WorkingAgeScheme) -> None:
    _, est = _one(newham)
    assert est["excess"] == 0 and est["ctr_estimate"] == round(30.00 * newham.maximum_share, 2) == 21.00
    assert est["missing_out"] and est["ctr_gain"] == 21.00 and est["likelihood"] == LIKELY


def test_income_above_the_maximum_amount_is_tapered_weekly(newham: schemes.WorkingAgeScheme) -> None:
    # earnings £800 a month, award £1,000: income with the award £1,800 against £1,300, £500 a month over
    _, est = _one(newham, uc_income_monthly="800.00", uc_award_monthly="1000.00", ctr_in_payment_weekly="18.00")
    assert est["excess"] == pytest.approx(500 * 12 / 52, abs=0.005)  # £115.38 a week
    assert 21.00 - newham.taper * 500 * 12 / 52 < 0 and est["ctr_estimate"] == 0.0  # 25% of £115.38 is over £21
    assert not est["missing_out"]
    high = _one(newham, uc_income_monthly="200.00", uc_award_monthly="1200.00", ctr_in_payment_weekly="10.00")[1]
    assert high["ctr_estimate"] == round(21.00 - newham.taper * 100 * 12 / 52, 2) == 15.23
    assert high["ctr_gain"] == 5.23 and high["missing_out"]


def test_savings_over_the_schemes_limit_give_nothing(newham: schemes.WorkingAgeScheme) -> None:
    _, est = _one(newham, capital=f"{newham.capital_limit + 1:.2f}")
    assert est["ctr_estimate"] == 0 and not est["missing_out"] and not est["worth_checking"]


def test_unknown_savings_count_only_where_an_award_is_paid(newham: schemes.WorkingAgeScheme) -> None:
    _, nil = _one(newham, capital="")
    assert not nil["missing_out"] and nil["worth_checking"] and nil["likelihood"] == CHECK_CAPITAL
    _, paid = _one(newham, capital="", ctr_in_payment_weekly="12.00")
    assert paid["missing_out"] and paid["ctr_gain"] == 9.00


def test_other_adults_take_off_the_highest_non_dependant_deduction(newham: schemes.WorkingAgeScheme) -> None:
    unit, est = _one(newham, household_size="3", children="1")  # one other adult
    assert unit["non_dependants"] == 1 and est["likelihood"] == CHECK_HOUSEHOLD
    assert est["ctr_gain"] == round(21.00 - newham.non_dependant_deduction_highest, 2)
    assert not _one(newham, household_size="3", children="0")[1]["missing_out"]  # two others: nothing left
    _, unknown = _one(newham, household_size="")
    assert not unknown["missing_out"] and unknown["worth_checking"]


def test_pension_age_and_non_uc_claims_are_not_working_age_units() -> None:
    assert units_from_claims(_claims(dob="1950-01-01"), DAY).empty
    assert units_from_claims(_claims(uc_maximum_monthly=""), DAY).empty


def test_explanation_gives_the_schemes_figures_and_what_is_unknown(newham: schemes.WorkingAgeScheme) -> None:
    unit, est = _one(newham, capital="", ctr_in_payment_weekly="12.00", household_size="2")
    text = explain(unit, est, newham)
    assert "Newham" in text and "70% of the council tax of £30.00" in text and "£21.00" in text
    assert "£300.00" in text and "savings are not recorded" in text and "not a decision" in text
    assert "non-dependant" in text and f"£{newham.non_dependant_deduction_highest:.2f}" in text
    assert not math.isnan(est["ctr_gain"])


def test_the_housing_support_signal_counts_working_age_claims_of_a_council_with_a_scheme() -> None:
    from boroughs.support.entitlements.signal import HOUSING_FIELD, missing_weekly

    hb_ctr = _claims(claim_status="live")
    residents = pd.DataFrame({"dob": pd.to_datetime(["1990-05-01"])}, index=[7])
    benefits = ("housing_benefit", "council_tax_reduction")
    residents.attrs["council"] = "E09000025"
    assert missing_weekly(hb_ctr, residents, DAY, benefits, HOUSING_FIELD).loc[7] == 21.00
    residents.attrs["council"] = "E09000001"  # no scheme held for the City of London: nothing assumed
    assert missing_weekly(hb_ctr, residents, DAY, benefits, HOUSING_FIELD).loc[7] == 0.0
