"""Evaluation that says how sure it is (issue 17): outcomes at each horizon from the record histories (the
day-30 and day-60 figures were identical in every row), matched comparison groups, an interval on every
difference, and a plain statement when the groups are too small to conclude anything."""

from __future__ import annotations

import datetime as dt

from boroughs.support.outreach import evaluation
from tests.support.outreach_factories import frames

START = dt.date(2026, 6, 30)
MONTHS = ["2026-06-30", "2026-07-31", "2026-08-31", "2026-09-30"]


def _history(rid: str, values: list[float]) -> list[tuple[str, str, str, str, str, float]]:
    return [(rid, "council_tax", f"CT-{rid}", "arrears", d, v) for d, v in zip(MONTHS, values, strict=True)]


def _borough(n: int, treated_growth: float, comparison_growth: float):
    residents, history = {}, []
    for i in range(n):
        base = 100.0 + 10 * i
        for kind, growth in (("t", treated_growth), ("c", comparison_growth)):
            rid = f"{kind}{i}"
            residents[rid] = {}
            # arrears grow month by month: day 30 and day 60 must differ
            history += _history(rid, [base, base + growth + (i % 3), base + 2 * growth + (i % 5), base + 3 * growth])
    f = frames(residents, history)
    return f, [f"t{i}" for i in range(n)], [f"c{i}" for i in range(n)]


def test_outcomes_differ_by_horizon_and_every_difference_has_an_interval() -> None:
    f, treated, pool = _borough(30, treated_growth=10.0, comparison_growth=60.0)
    out = evaluation.horizon_outcomes(f, treated, pool, START, follow_until=f.as_of)
    by_day = {h["day"]: h for h in out["horizons"]}
    assert out["pairs"] == 30
    assert by_day[30]["reached_change"] != by_day[60]["reached_change"]
    assert by_day[30]["difference"] != by_day[60]["difference"]
    for d in (30, 60, 90):
        h = by_day[d]
        assert h["low"] is not None and h["high"] is not None and h["low"] <= h["difference"] <= h["high"]
    assert by_day[90]["difference"] < 0 and by_day[90]["high"] < 0
    assert "less than their matches'" in by_day[90]["statement"] and "95% interval" in by_day[90]["statement"]


def test_matching_pairs_residents_with_the_nearest_arrears_at_the_run() -> None:
    import pandas as pd

    baseline = pd.Series({"t1": 100.0, "t2": 500.0, "c1": 90.0, "c2": 480.0, "c3": 5000.0})
    assert evaluation.match_nearest(baseline, ["t1", "t2"], ["c3", "c2", "c1"]) == [("t1", "c1"), ("t2", "c2")]


def test_small_groups_get_a_plain_statement_and_unobserved_horizons_say_not_yet() -> None:
    f, treated, pool = _borough(5, treated_growth=10.0, comparison_growth=60.0)
    out = evaluation.horizon_outcomes(f, treated, pool, START, follow_until=dt.date(2026, 8, 31))
    by_day = {h["day"]: h for h in out["horizons"]}
    assert out["pairs"] == 5
    assert by_day[30]["statement"].startswith("Too few to conclude anything: 5 matched pair(s)")
    assert by_day[30]["low"] is not None  # the interval is still shown, and it is wide
    assert by_day[90]["statement"].startswith("Not yet") and by_day[90]["difference"] is None


def test_no_difference_is_said_plainly() -> None:
    f, treated, pool = _borough(30, treated_growth=20.0, comparison_growth=20.0)
    out = evaluation.horizon_outcomes(f, treated, pool, START, follow_until=f.as_of)
    assert any(h["statement"].startswith("No clear difference") for h in out["horizons"])
