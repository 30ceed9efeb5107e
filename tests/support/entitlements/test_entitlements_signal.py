"""The "likely missing out" signal in early-warning rules (issue 18), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from boroughs.core.db import session_scope
from boroughs.support.entitlements import service
from boroughs.support.rules import engine as rl
from boroughs.support.rules import language as rules_language
from boroughs.support.rules.data import frames_from_db, load_synth_into_db
from tests.support.outreach_factories import council, synth_folder

AS_OF = dt.date(2026, 9, 30)
RULE = """
council: E09000025
title: Take-up
language: "1.0"
rules:
  - id: pension-credit-take-up
    title: Likely missing out on Pension Credit
    severity: medium
    all:
      - resident: {field: pension_credit_missing_weekly, at_least: 5}
"""


@pytest.fixture(scope="module")
def borough(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    return synth_folder(tmp_path_factory.mktemp("sig"), residents=2500, seed=11)


def test_signal_flags_exactly_the_estimates_at_or_above_the_threshold(engine: Engine, borough: Path) -> None:
    with session_scope(engine) as s:
        org = council(s)
        load_synth_into_db(s, org.id, borough)
        frames = frames_from_db(s, org.id, as_of=AS_OF)
        expected = service.missing_out(s, org.id, AS_OF)
    rs = rules_language.parse_rules(RULE, council="E09000025")
    assert "missing out on Pension Credit of at least £5.00 a week" in rs.rules[0].describe()
    ev = rl.evaluate(rs, frames, as_of=AS_OF)
    pc = expected[expected["benefit"] == "pension_credit"]
    want = set(pc.loc[pc["missing_out"] & (pc["weekly_amount"] >= 5), "resident_id"].astype(int))
    assert want, "the synthetic borough should have residents missing out"
    assert set(ev.flags["resident_id"].astype(int)) == want
    row = ev.flags.iloc[0]
    weekly = float(pc.set_index("resident_id").loc[int(row.resident_id), "weekly_amount"])
    assert f"£{weekly:,.2f} a week of Pension Credit" in row.explanation
    # the Housing Benefit and Council Tax Reduction signal: the two shortfalls of a claim added up
    housing = rules_language.parse_rules(RULE.replace("pension_credit_missing_weekly", "housing_support_missing_weekly")
                                         .replace("at_least: 5", "at_least: 20"), council="E09000025")
    assert "Housing Benefit and Council Tax Reduction likely below" in housing.rules[0].describe()
    hs = expected[expected["benefit"].isin(["housing_benefit", "council_tax_reduction"]) & expected["missing_out"]]
    sums = hs.groupby("resident_id")["weekly_amount"].sum()
    want_hs = {int(r) for r, v in sums.items() if v >= 20}
    assert want_hs, "the synthetic borough should have residents whose housing support falls short"
    assert set(rl.evaluate(housing, frames, as_of=AS_OF).flags["resident_id"].astype(int)) == want_hs


def test_rules_refuse_an_impossible_signal_bound() -> None:
    bad = RULE.replace("at_least: 5", "at_most: -1")
    with pytest.raises(rules_language.RuleError, match="could never be true"):
        rules_language.parse_rules(bad, council="E09000025")


def test_signal_is_zero_without_claims() -> None:
    from boroughs.support.entitlements.signal import missing_weekly

    res = pd.DataFrame({"dob": pd.to_datetime(["1940-01-01"])}, index=pd.Index([1], name="resident_id"))
    assert missing_weekly(None, res, AS_OF).tolist() == [0.0]
