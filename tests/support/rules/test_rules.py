"""The rule language, its checks, the vectorised evaluator and its explanations (issue 6)."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boroughs.support.rules import engine as rl
from boroughs.support.rules import language as rules_language
from boroughs.support.rules import vocabulary as rules_vocabulary
from tests.support.outreach_factories import AS_OF, frames

CTAX = """
council: E09000025
title: Test rules
rules:
  - id: ctax-rising-ctr-ended
    title: Council tax arrears rising after CTR ended
    severity: high
    all:
      - change: {source: council_tax, measure: arrears, days: 60, rose_by_at_least: 200}
      - stopped: {source: council_tax, measure: ctr_award_weekly, days: 120}
"""


def _ctax_history(rid, rec, arrears, ctr):
    months = ["2026-05-31", "2026-06-30", "2026-07-31", "2026-08-31", "2026-09-30"]
    out = []
    for d, a, c in zip(months, arrears, ctr, strict=True):
        out.append((rid, "council_tax", rec, "arrears", d, a))
        out.append((rid, "council_tax", rec, "ctr_award_weekly", d, c))
    return out


def test_the_three_example_rules_from_the_issue_parse_and_describe():
    rs = rules_language.load_rule_file(rules_vocabulary.RULES_DIR / "newham.yaml", council="E09000025")
    assert rs.council == "E09000025"
    ids = [r.id for r in rs.rules]
    assert {"ctax-arrears-rising-ctr-ended", "rent-arrears-8-weeks-fsm", "vcs-food-twice-30-days"} <= set(ids)
    text = rs.rule("ctax-arrears-rising-ctr-ended").describe()
    assert "Council tax arrears rose by £200.00 or more in 60 days" in text


def test_change_and_stopped_fire_with_exact_facts():
    f = frames({"a": {}, "b": {}},
               _ctax_history("a", "CT1", [0, 0, 50, 150, 400], [10, 10, 10, 0, 0])
               + _ctax_history("b", "CT2", [0, 0, 50, 150, 200], [10, 10, 10, 10, 10]))
    ev = rl.evaluate(rules_language.parse_rules(CTAX), f)
    assert list(ev.flags["resident_id"]) == ["a"]
    row = ev.flags.iloc[0]
    assert row.severity == "high"
    assert "rose by £350.00, from £50.00 on 31 July 2026 to £400.00 on 30 September 2026" in row.explanation
    assert "council tax record CT1" in row.explanation
    assert "Council tax reduction award stopped: £10.00 a week on 31 May 2026" in row.explanation
    change = row.facts[0]
    assert change["from_date"] == "2026-07-31" and change["to_value"] == 400.0 and change["change"] == 350.0


def test_rent_weeks_and_fsm_and_vcs_count():
    f = frames(
        {"p": {}, "q": {}, "r": {}},
        [("p", "rent", "R1", "arrears", "2026-09-30", 1000.0), ("p", "rent", "R1", "weekly_rent", "2026-09-30", 100.0),
         ("p", "fsm", "F1", "eligible", "2026-04-30", 1.0),
         ("q", "rent", "R2", "arrears", "2026-09-30", 500.0), ("q", "rent", "R2", "weekly_rent", "2026-09-30", 100.0),
         ("q", "fsm", "F2", "eligible", "2026-04-30", 1.0)],
        records={"vcs_concern": [
            {"resident_id": "r", "record_id": "V1", "raised_on": "2026-09-10", "category": "food insecurity"},
            {"resident_id": "r", "record_id": "V2", "raised_on": "2026-09-25", "category": "food insecurity"},
            {"resident_id": "q", "record_id": "V3", "raised_on": "2026-07-01", "category": "food insecurity"},
            {"resident_id": "q", "record_id": "V4", "raised_on": "2026-09-25", "category": "food insecurity"},
        ]})
    rs = rules_language.load_rule_file(rules_vocabulary.RULES_DIR / "default.yaml")
    ev = rl.evaluate(rs, f)
    got = {(r.resident_id, r.rule_id) for r in ev.flags.itertuples()}
    assert got == {("p", "rent-arrears-8-weeks-fsm"), ("r", "vcs-food-twice-30-days")}
    vcs = ev.flags[ev.flags["rule_id"] == "vcs-food-twice-30-days"].iloc[0]
    assert "V1 on 10 September 2026, V2 on 25 September 2026" in vcs.explanation
    rent = ev.flags[ev.flags["rule_id"] == "rent-arrears-8-weeks-fsm"].iloc[0]
    assert "10.0 weeks" in rent.explanation


def test_resident_age_condition_uses_exact_birthdays():
    text = """
council: X
title: t
rules:
  - id: older
    title: Older
    severity: low
    justification: Age is the point of this test rule, which checks exact birthdays.
    all:
      - resident: {field: age, at_least: 70}
"""
    f = frames({"turns70": {"dob": "1956-09-30"}, "turns70tomorrow": {"dob": "1956-10-01"}})
    ev = rl.evaluate(rules_language.parse_rules(text), f)
    assert list(ev.flags["resident_id"]) == ["turns70"]
    assert "Aged 70 (born 30 September 1956)" in ev.flags.iloc[0].explanation


@pytest.mark.parametrize(("snippet", "message"), [
    ("- latest: {source: rent, measure: arears, at_least: 1}", "rent has no measure 'arears'"),
    ("- latest: {source: rents, measure: arrears, at_least: 1}", "unknown source 'rents'"),
    ("- latest: {source: rent, measure: arrears, at_least: lots}", "at_least must be a number"),
    ("- latest: {source: rent, measure: arrears, at_most: -1}", "could never be true"),
    ("- latest: {source: fsm, measure: eligible, at_least: 2}", "could never be true"),
    ("- change: {source: rent, measure: arrears, days: 400, rose_by_at_least: 5}", "between 1 and 366"),
    ("- change: {source: rent, measure: arrears, days: 30}", "exactly one of rose_by_at_least"),
    ("- count: {source: vcs_concern, where: {category: sadness}, days: 30, at_least: 2}", "never 'sadness'"),
    ("- count: {source: vcs_concern, where: {colour: red}, days: 30, at_least: 2}", "no field 'colour'"),
    ("- count: {source: rent, days: 30, at_least: 2}", "not dated events"),
    ("- count: {source: vcs_concern, days: 30, at_least: 2.5}", "whole number"),
    ("- resident: {field: shoe_size, at_least: 9}", "unknown field 'shoe_size'"),
    ("- resident: {field: age, at_least: 80, at_most: 70}", "could never be true"),
    ("- resident: {field: ethnicity, equals: Martian}", "never 'Martian'"),
    ("- teleport: {source: rent}", "unknown condition 'teleport'"),
])
def test_invalid_rules_are_refused_with_a_clear_message(snippet, message):
    text = f"""
council: X
title: t
rules:
  - id: bad-rule
    title: Bad
    severity: high
    all:
      {snippet}
"""
    with pytest.raises(rules_language.RuleError) as exc:
        rules_language.parse_rules(text)
    assert message in str(exc.value)
    assert "Rule 'bad-rule'" in str(exc.value)


def test_contradictions_across_conditions_are_never_true():
    text = """
council: X
title: t
rules:
  - id: contradiction
    title: C
    severity: high
    all:
      - latest: {source: rent, measure: arrears, at_least: 500}
      - latest: {source: rent, measure: arrears, less_than: 100}
"""
    with pytest.raises(rules_language.RuleError, match="contradict each other"):
        rules_language.parse_rules(text)


def test_bad_yaml_severity_and_settings():
    with pytest.raises(rules_language.RuleError, match="not valid YAML at line"):
        rules_language.parse_rules("rules: [\n  - id: x\n")
    with pytest.raises(rules_language.RuleError) as exc:
        rules_language.parse_rules("council: X\ntitle: t\nsettings: {max_share: 3}\nrules:\n  - id: Bad Id\n    severity: urgent\n")
    msg = str(exc.value)
    assert "max_share" in msg and "severity must be one of" in msg and "id must be" in msg


def test_a_rule_flagging_too_much_of_the_borough_is_reported():
    text = """
council: X
title: t
settings: {max_share: 0.3}
rules:
  - id: everyone-adult
    title: Adults
    severity: low
    justification: Adults only, to test the share check; age is the point of the rule.
    all:
      - resident: {field: age, at_least: 18}
"""
    f = frames({i: {} for i in range(10)})
    ev = rl.evaluate(rules_language.parse_rules(text), f)
    problems = rl.check_shares(ev)
    assert problems and "would flag 10 residents (100.0% of the borough), more than the 30%" in problems[0]


def test_flags_csv_contract(tmp_path):
    f = frames({"a": {}}, _ctax_history("a", "CT1", [0, 0, 50, 150, 400], [10, 10, 10, 0, 0]))
    path = rl.write_flags_csv(rl.evaluate(rules_language.parse_rules(CTAX), f), tmp_path)
    got = pd.read_csv(path)
    assert list(got.columns) == ["resident_id", "rule_id", "severity", "explanation"]
    assert got.iloc[0].rule_id == "ctax-rising-ctr-ended"


def test_preview_counts_by_ward_and_group():
    f = frames({"a": {"ward": "North", "sex": "male"}, "b": {"ward": "South"}},
               _ctax_history("a", "CT1", [0, 0, 50, 150, 400], [10, 10, 10, 0, 0])
               + _ctax_history("b", "CT2", [0, 0, 0, 0, 900], [5, 5, 5, 5, 0]))
    p = rl.preview(rules_language.parse_rules(CTAX), f)
    r = p["rules"][0]
    assert r["count"] == 2
    assert r["by"]["ward"] == [("North", 1), ("South", 1)]
    assert ("Male", 1) in r["by"]["sex"]
    assert len(r["examples"]) == 2


# ------------------------------------------------------------------------------------------------------
# property tests

MONTHS = pd.date_range("2025-10-31", periods=12, freq="ME")
money = st.floats(min_value=0, max_value=3000, allow_nan=False).map(lambda x: round(x, 2))


@st.composite
def borough(draw):
    n = draw(st.integers(min_value=1, max_value=8))
    history = []
    records = {"vcs_concern": []}
    for i in range(n):
        rid = f"R{i}"
        for j in range(draw(st.integers(min_value=0, max_value=2))):
            rec = f"CT{i}-{j}"
            months = draw(st.lists(st.booleans(), min_size=12, max_size=12))
            for d, present in zip(MONTHS, months, strict=True):
                if present:
                    history.append((rid, "council_tax", rec, "arrears", d.date().isoformat(), draw(money)))
                    history.append((rid, "council_tax", rec, "ctr_award_weekly", d.date().isoformat(),
                                    draw(st.sampled_from([0.0, 0.0, 7.5, 12.0]))))
        for j in range(draw(st.integers(min_value=0, max_value=3))):
            day = AS_OF - dt.timedelta(days=draw(st.integers(min_value=0, max_value=90)))
            records["vcs_concern"].append({"resident_id": rid, "record_id": f"V{i}-{j}", "raised_on": day.isoformat(),
                                           "category": draw(st.sampled_from(["food insecurity", "debt"]))})
    residents = {f"R{i}": {"dob": draw(st.dates(dt.date(1920, 1, 1), dt.date(2008, 1, 1))).isoformat()}
                 for i in range(n)}
    if not records["vcs_concern"]:
        records = {}
    return frames(residents, history, records)


@st.composite
def rule_sets(draw):
    conds = []
    if draw(st.booleans()):
        conds.append({"change": {"source": "council_tax", "measure": "arrears",
                                 "days": draw(st.integers(min_value=20, max_value=200)),
                                 "rose_by_at_least": draw(st.integers(min_value=1, max_value=1500))}})
    if draw(st.booleans()):
        conds.append({"stopped": {"source": "council_tax", "measure": "ctr_award_weekly",
                                  "days": draw(st.integers(min_value=20, max_value=300))}})
    if draw(st.booleans()):
        conds.append({"latest": {"source": "council_tax", "measure": "arrears",
                                 "at_least": draw(st.integers(min_value=0, max_value=2000))}})
    if draw(st.booleans()) or not conds:
        conds.append({"count": {"source": "vcs_concern", "days": draw(st.integers(min_value=1, max_value=90)),
                                "at_least": draw(st.integers(min_value=1, max_value=3)),
                                **({"where": {"category": "food insecurity"}} if draw(st.booleans()) else {})}})
    import yaml

    return rules_language.parse_rules(yaml.safe_dump({"council": "X", "title": "t", "rules": [
        {"id": "prop", "title": "Property", "severity": "high", "all": conds}]}))


def _value_at(f, source, measure, record, when):
    s = f.history[(f.history["source"] == source) & (f.history["measure"] == measure)
                  & (f.history["record_id"] == record) & (f.history["event_date"] <= pd.Timestamp(when))]
    return None if s.empty else (s.sort_values("event_date").iloc[-1].event_date.date(),
                                 float(s.sort_values("event_date").iloc[-1].value_num))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(f=borough(), rs=rule_sets())
def test_explanations_name_facts_that_really_hold(f, rs):
    """Property (issue 6): every fact a flag states is true of that resident's records, and is in the text."""
    rule = rs.rules[0]
    ev = rl.evaluate(rs, f)
    for row in ev.flags.itertuples():
        assert len(row.facts) == len(rule.all)
        for cond, fact in zip(rule.all, row.facts, strict=True):
            if fact["kind"] in ("latest", "change", "stopped"):
                # the record belongs to the resident and had these values on these dates
                owner = f.history[f.history["record_id"] == fact["record_id"]]["resident_id"].unique()
                assert list(owner) == [row.resident_id]
                to = _value_at(f, fact["source"], fact["measure"], fact["record_id"], AS_OF)
                assert to == (dt.date.fromisoformat(fact["to_date"]), pytest.approx(fact["to_value"]))
                assert rules_vocabulary.format_value(fact["to_value"], rules_vocabulary.MEASURES[(cond.source, cond.measure)].unit) in row.explanation
                if fact["kind"] != "latest":
                    start = AS_OF - dt.timedelta(days=cond.days)
                    frm = _value_at(f, fact["source"], fact["measure"], fact["record_id"], start)
                    assert frm == (dt.date.fromisoformat(fact["from_date"]), pytest.approx(fact["from_value"]))
                    assert rules_vocabulary.format_date(dt.date.fromisoformat(fact["from_date"])) in row.explanation
                if fact["kind"] == "change":
                    assert fact["to_value"] - fact["from_value"] >= cond.rose_by - 1e-6
                if fact["kind"] == "stopped":
                    assert fact["from_value"] > 0 and fact["to_value"] == 0
                if fact["kind"] == "latest":
                    assert fact["to_value"] >= dict(cond.bounds)["at_least"]
            elif fact["kind"] == "count":
                recs = f.records["vcs_concern"].set_index("record_id")
                assert len(fact["records"]) >= cond.at_least
                for rec, day in zip(fact["records"], fact["dates"], strict=True):
                    assert recs.loc[rec, "resident_id"] == row.resident_id
                    assert recs.loc[rec, "raised_on"] == day
                    assert AS_OF - dt.timedelta(days=cond.days) < dt.date.fromisoformat(day) <= AS_OF
                    if cond.where:
                        assert recs.loc[rec, "category"] == "food insecurity"
                    assert rec in row.explanation


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(f=borough(), rs=rule_sets(), data=st.data())
def test_opted_out_residents_are_never_flagged(f, rs, data):
    """Property (issue 6): whoever objects to profiling is never flagged, whatever the rules and records."""
    ids = list(f.residents.index)
    opted = data.draw(st.sets(st.sampled_from(ids)))
    ev = rl.evaluate(rs, f, opted_out=opted)
    assert not set(ev.flags["resident_id"]) & opted
    # and objecting removes nobody else's flags
    full = rl.evaluate(rs, f)
    assert set(ev.flags["resident_id"]) == set(full.flags["resident_id"]) - opted


def test_every_condition_kind_is_documented():
    doc = (rules_vocabulary.RULES_DIR.parents[2] / "docs" / "support" / "early-warning.md").read_text(encoding="utf-8")
    for kind in rules_vocabulary.KINDS:
        assert re.search(rf"`{kind}`", doc), kind
    for _source, measure in rules_vocabulary.MEASURES:
        assert f"`{measure}`" in doc, measure
