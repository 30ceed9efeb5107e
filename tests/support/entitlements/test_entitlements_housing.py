"""Pension-age Housing Benefit and Council Tax Reduction (issue 18): the rates files against published
figures found apart from them, the means test's arithmetic and edges, and what the explanation says."""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from boroughs.core.errors import DataError
from boroughs.support.entitlements import rates as R
from boroughs.support.entitlements.estimator import (
    CHECK_CAPITAL,
    COUNCIL_TAX_REDUCTION,
    HOUSING_BENEFIT,
    LIKELY,
    estimate,
    explain_housing,
    housing_support,
)

# Published figures read outside the rates files, for the relation test below.
# 2023-24: The Housing Benefit (SPC) Regulations 2006, Schedule 3 paragraph 1 as in force on 27 October 2023
# (legislation.gov.uk, substituted by SI 2023/316): before 1 April 2021 £217.00 single, £324.70 couple; from
# then £201.05 and £306.85. The Pension Credit rates of that year (CPAG, "Other means-tested benefit rates
# 2023/24"): standard minimum guarantee £201.05 / £306.85, maximum savings credit £15.94 / £17.84.
PUBLISHED_2023_24 = {"smg": (201.05, 306.85), "sc_max": (15.94, 17.84), "before": (217.00, 324.70),
                     "from": (201.05, 306.85)}


def _rule(smg: float, sc_max: float) -> float:
    """Circular A3/2021's basis: the standard minimum guarantee plus the maximum savings credit, to the 5p above."""
    pence = Decimal(str(smg)) * 100 + Decimal(str(sc_max)) * 100
    return float((pence / 5).to_integral_value(rounding=ROUND_CEILING) * 5 / 100)


def test_the_rule_reproduces_the_2023_24_regulations() -> None:
    """An outside check of the rule the derived figures use, on a year whose figures the Regulations print."""
    p = PUBLISHED_2023_24
    for i in (0, 1):
        assert _rule(p["smg"][i], p["sc_max"][i]) == p["before"][i]
        assert p["from"][i] == p["smg"][i]


@pytest.mark.parametrize("year", ["2024-25", "2025-26", "2026-27"])
def test_each_years_allowances_follow_the_rule_and_say_which_are_derived(year: str) -> None:
    r = R.for_year(year)
    h = r.housing
    assert h is not None
    assert h.allowance_before_single == _rule(r.smg_single, r.sc_max_single)
    assert h.allowance_before_couple == _rule(r.smg_couple, r.sc_max_couple)
    assert (h.allowance_from_single, h.allowance_from_couple) == (r.smg_single, r.smg_couple)
    # a published figure is checked by the rule above; a derived one must say so
    published = {"2024-25": {"personal_allowance_before_2021.couple", "personal_allowance_from_2021.single",
                             "personal_allowance_from_2021.couple"},
                 "2025-26": {"personal_allowance_before_2021.single", "personal_allowance_before_2021.couple",
                             "personal_allowance_from_2021.single", "personal_allowance_from_2021.couple"},
                 "2026-27": set()}[year]
    assert not (published & h.derived)
    assert {f"personal_allowance_{w}.{n}" for w in ("before_2021", "from_2021") for n in ("single", "couple")} \
        - published <= h.derived


def test_a_housing_figure_citing_an_unknown_source_names_the_file(tmp_path: Path) -> None:
    text = (R.RATES_DIR / "2025-26.yaml").read_text().replace("capital_limit: {value: 16000, source: hb_regs}",
                                                              "capital_limit: {value: 16000, source: nowhere}")
    bad = tmp_path / "2025-26.yaml"
    bad.write_text(text)
    with pytest.raises(DataError) as err:
        R.load_file(bad)
    assert "2025-26.yaml" in str(err.value) and "capital_limit" in str(err.value) and "nowhere" in str(err.value)


def _unit(**facts: object) -> pd.DataFrame:
    row = {"couple": False, "income_weekly": 0.0, "earnings_weekly": 0.0, "capital": 0.0, "severe_disability": 0,
           "carers": 0, "savings_credit_age": False, "receives_pension_credit": False,
           "receives_guarantee_credit": False, "allowance_before": True, "eligible_rent_weekly": 150.0,
           "eligible_council_tax_weekly": 30.0, "hb_award_weekly": 0.0, "ctr_award_weekly": 0.0, **facts}
    return pd.DataFrame([row])


def _hs(r: R.PensionCreditRates, **facts: object) -> pd.Series:
    units = _unit(**facts)
    return housing_support(units, estimate(units, r), r).iloc[0]


def test_means_test_tapers_income_above_the_applicable_amount() -> None:
    r = R.for_year("2025-26")
    # single, State Pension age before April 2021: applicable amount £244.40; income £260.00 -> £15.60 over
    hs = _hs(r, income_weekly=260.0)
    assert hs["applicable_amount"] == 244.40 and not hs["passport"]
    assert hs["hb_estimate"] == round(150.0 - 0.65 * 15.60, 2) == 139.86
    assert hs["ctr_estimate"] == round(30.0 - 0.20 * 15.60, 2) == 26.88
    # the same income for someone who reached State Pension age later meets the lower allowance (£227.10)
    later = _hs(r, income_weekly=260.0, allowance_before=False)
    assert later["hb_estimate"] == round(150.0 - 0.65 * (260.0 - 227.10), 2)
    # premiums raise the applicable amount by Pension Credit's additions
    assert _hs(r, income_weekly=260.0, severe_disability=1)["applicable_amount"] == round(244.40 + 82.90, 2)


def test_guarantee_credit_passports_to_the_maximum_even_over_the_capital_limit() -> None:
    r = R.for_year("2025-26")
    # £20,000 of savings: £20 a week deemed; State Pension £180 -> guarantee credit due (227.10 > 200)
    due = _hs(r, income_weekly=180.0, capital=20000.0, hb_award_weekly=0.0, ctr_award_weekly=0.0)
    assert due["passport"] and not due["over_capital_limit"]
    assert (due["hb_estimate"], due["ctr_estimate"]) == (150.0, 30.0)
    assert due["hb_missing_out"] and due["hb_gain"] == 150.0 and due["hb_likelihood"] == LIKELY
    # the same savings with an income too high for guarantee credit: nothing above £16,000
    rich = _hs(r, income_weekly=240.0, capital=20000.0)
    assert not rich["passport"] and rich["over_capital_limit"]
    assert (rich["hb_estimate"], rich["ctr_estimate"]) == (0.0, 0.0) and not rich["hb_missing_out"]


def test_an_award_in_payment_at_the_estimate_is_not_listed() -> None:
    r = R.for_year("2025-26")
    hs = _hs(r, income_weekly=260.0, hb_award_weekly=139.86, ctr_award_weekly=26.20)
    assert not hs["hb_missing_out"] and hs["hb_gain"] == 0
    assert not hs["ctr_missing_out"] and hs["ctr_gain"] == 0.68  # under the pound a week that makes a lead
    assert _hs(r, income_weekly=260.0, ctr_award_weekly=25.88)["ctr_missing_out"]  # a pound below


def test_savings_credit_counts_as_income_only_where_paid() -> None:
    r = R.for_year("2025-26")
    kw = {"income_weekly": 235.0, "savings_credit_age": True}
    unpaid = _hs(r, **kw)
    paid = _hs(r, receives_pension_credit=True, **kw)
    assert unpaid["hb_income"] == 235.0
    assert paid["hb_income"] > 235.0  # plus the savings credit estimated for the unit


def test_unknown_savings_make_a_unit_worth_checking_not_counted() -> None:
    r = R.for_year("2025-26")
    hs = _hs(r, income_weekly=250.0, capital=math.nan)  # above the guarantee: savings decide it
    assert not hs["hb_missing_out"] and hs["hb_worth_checking"] and hs["hb_likelihood"] == CHECK_CAPITAL
    assert _hs(r, income_weekly=250.0, capital=math.nan, receives_guarantee_credit=True)["hb_missing_out"]


def test_with_guarantee_credit_looking_due_unknown_savings_still_count_as_pension_credit_does() -> None:
    r = R.for_year("2025-26")
    units = _unit(income_weekly=r.smg_single - 20, capital=math.nan)
    pc = estimate(units, r)
    hs = housing_support(units, pc, r).iloc[0]
    pc = pc.iloc[0]
    assert pc["missing_out"] and pc["likelihood"] == CHECK_CAPITAL  # Pension Credit counts it, asking about savings
    assert hs["passport"] and hs["hb_missing_out"] and not hs["hb_worth_checking"]
    assert hs["hb_likelihood"] == CHECK_CAPITAL  # counted, and still flagged for the savings question


def test_nothing_is_estimated_without_the_rent_or_the_award() -> None:
    r = R.for_year("2025-26")
    hs = _hs(r, income_weekly=180.0, eligible_rent_weekly=np.nan)
    assert math.isnan(hs["hb_estimate"]) and not hs["hb_missing_out"] and not hs["hb_worth_checking"]
    assert not _hs(r, income_weekly=180.0, hb_award_weekly=np.nan)["hb_missing_out"]


def test_explanations_give_the_facts_and_say_what_is_derived() -> None:
    r = R.for_year("2025-26")
    units = _unit(income_weekly=260.0)
    hs = housing_support(units, estimate(units, r), r).iloc[0]
    text = explain_housing(HOUSING_BENEFIT, units.iloc[0], hs, r)
    assert "£150.00" in text and "£244.40" in text and "65% of £15.60" in text and "£139.86" in text
    assert "not a decision" in text and "derived" not in text  # 2025-26's single allowance is published
    ctr = explain_housing(COUNCIL_TAX_REDUCTION, units.iloc[0], hs, r)
    assert "council tax is £30.00" in ctr and "20% of £15.60" in ctr
    later = R.for_year("2026-27")
    hs26 = housing_support(units, estimate(units, later), later).iloc[0]
    assert "derived from the Pension Credit rates" in explain_housing(HOUSING_BENEFIT, units.iloc[0], hs26, later)
    passported = _unit(income_weekly=180.0)
    hsp = housing_support(passported, estimate(passported, r), r).iloc[0]
    assert "guarantee credit" in explain_housing(HOUSING_BENEFIT, passported.iloc[0], hsp, r)


def test_each_councils_working_age_scheme_is_data_with_sources(tmp_path: Path) -> None:
    import datetime as dt

    from boroughs.support.entitlements import schemes

    newham = schemes.working_age_scheme("E09000025", dt.date(2026, 12, 1))
    hackney = schemes.working_age_scheme("E09000012", dt.date(2026, 12, 1))
    assert newham is not None and hackney is not None
    # Newham's 2026 scheme (newham.gov.uk, "Council Tax Reduction Scheme 2026"): 70%, 25% taper, £6,000
    assert (newham.maximum_share, newham.taper, newham.capital_limit) == (0.70, 0.25, 6000)
    # Hackney: up to 90% for working-age residents (Hackney Council, 2025-26 onwards), £16,000, 20% taper
    assert (hackney.maximum_share, hackney.taper, hackney.capital_limit) == (0.90, 0.2, 16000)
    assert all("https://www." in src for s in (newham, hackney) for src in s.sources)
    assert "up to 70% of the bill" in newham.describe() and "£250 over £6,000" in hackney.describe()
    assert schemes.working_age_scheme("E09000025", dt.date(2026, 3, 31)) is None  # before the scheme applies
    assert schemes.working_age_scheme("E09000001", dt.date(2026, 12, 1)) is None  # no file: none assumed
    bad = tmp_path / "E09000025.yaml"
    bad.write_text((schemes.COUNCILS_DIR / "E09000025.yaml").read_text().replace("taper: {value: 0.25, source: scheme}",
                                                                               "taper: {value: 0.25, source: blog}"))
    with pytest.raises(DataError) as err:
        schemes.load_file(bad)
    assert "E09000025.yaml" in str(err.value) and "taper" in str(err.value) and "blog" in str(err.value)


def test_published_worked_examples_of_the_guarantee_credit_passport() -> None:
    """Two published examples, reproduced to the penny with the figures each prints.

    CPAG, Welfare Benefits and Tax Credits Handbook online (askcpag.org.uk, "Step four: calculate your pension
    credit payment", 2023-24 rates): Galina, single, 70, gets Attendance Allowance and lives alone; standard
    minimum guarantee £201.05 plus the severe disability addition £76.40 = £277.45; State Pension £156.20; so
    £121.25 guarantee credit, and "also entitled to maximum pension-age housing benefit".
    North West Leicestershire District Council, "Examples of how benefit is calculated": a single pensioner on
    guarantee credit with an eligible rent of £95 a week gets Housing Benefit of £95 a week."""
    import dataclasses

    cpag = dataclasses.replace(R.for_year("2024-25"), year="2023-24 (CPAG's example)", smg_single=201.05,
                               severe_disability_each=76.40)
    galina = _unit(income_weekly=156.20, severe_disability=1, eligible_rent_weekly=120.0,
                   eligible_council_tax_weekly=25.0)
    pc = estimate(galina, cpag)
    assert pc.iloc[0]["appropriate_amount"] == 277.45 and pc.iloc[0]["guarantee_credit"] == 121.25
    hs = housing_support(galina, pc, cpag).iloc[0]
    assert hs["passport"] and hs["hb_estimate"] == 120.0 and hs["ctr_estimate"] == 25.0  # the maximum of both
    r = R.for_year("2025-26")
    nwl = _hs(r, income_weekly=300.0, receives_guarantee_credit=True, receives_pension_credit=True,
              eligible_rent_weekly=95.0)
    assert nwl["passport"] and nwl["hb_estimate"] == 95.00  # whatever the income, once guarantee credit is paid
