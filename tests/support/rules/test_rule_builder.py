"""The rule builder (issue 17): rules were raw YAML in a text box with no link to the reference. The form
(signal, comparison, window, threshold, AND/OR groups) writes the YAML shown beside it, is checked as you
go through a JSON check, and the server's rule language stays authoritative."""

from __future__ import annotations

import re

import yaml

from boroughs.support.rules import builder as rb
from boroughs.support.rules import language as rules_language
from boroughs.support.rules.models import RuleSetVersion
from tests.support.outreach.test_outreach_web import client, login

assert client  # the pages' fixture

FORM = {"rule_id": "rent-arrears-rising", "title": "Rent arrears rising fast", "severity": "high",
        "c0_group": "all", "c0_signal": "measure:rent:arrears", "c0_comparison": "rose_by_at_least",
        "c0_window": "60", "c0_threshold": "300",
        "c1_group": "any", "c1_signal": "count:vcs_concern", "c1_comparison": "at_least", "c1_window": "30",
        "c1_threshold": "1", "c1_where": "category = debt",
        "c2_group": "any", "c2_signal": "measure:hb_ctr:hb_award_weekly", "c2_comparison": "stopped",
        "c2_window": "90"}


def test_the_form_writes_the_rule_the_language_accepts() -> None:
    built = rb.build(FORM)
    assert built.errors == {} and built.rule is not None
    rule = yaml.safe_load(built.yaml)[0]
    assert rule["all"] == [{"change": {"source": "rent", "measure": "arrears", "days": 60, "rose_by_at_least": 300}}]
    assert rule["any"] == [{"count": {"source": "vcs_concern", "where": {"category": "debt"}, "days": 30, "at_least": 1}},
                           {"stopped": {"source": "hb_ctr", "measure": "hb_award_weekly", "days": 90}}]
    parsed = rules_language.parse_rules(yaml.safe_dump({"council": "X", "title": "t", "rules": [rule]}))
    assert "Rent arrears rose by £300.00 or more in 60 days and (at least 1" in parsed.rules[0].describe()


def test_the_form_names_each_problem_by_field() -> None:
    built = rb.build({**FORM, "rule_id": "Bad Id", "c0_window": "900", "c1_threshold": "lots",
                      "c2_signal": "resident:ethnicity", "c2_comparison": "equals", "c2_threshold": "Martian"})
    assert set(built.errors) >= {"rule_id", "c0_window", "c1_threshold"}
    built = rb.build({**FORM, "c2_signal": "resident:ethnicity", "c2_comparison": "equals", "c2_threshold": "Black",
                      "c2_window": ""})
    assert "justification" in built.errors and built.rule is None
    ok = rb.build({**FORM, "c2_signal": "resident:ethnicity", "c2_comparison": "equals", "c2_threshold": "Black",
                   "c2_window": "", "justification": "A reason that is long enough to record."})
    assert ok.rule is not None and ok.protected == ["race (ethnic group) (directly)"]


def test_officer_builds_a_rule_into_a_draft_through_the_pages(client) -> None:
    c, _ids, session = client
    token = login(c, "officer")
    r = c.post("/support/newham/rules/drafts", data={"csrf_token": token}, follow_redirects=False)
    vid = int(r.headers["location"].rsplit("/", 1)[1])
    version = c.get(f"/support/newham/rules/{vid}").text
    assert f'href="/support/newham/rules/{vid}/builder"' in version and 'href="/support/rules-reference"' in version
    page = c.get(f"/support/newham/rules/{vid}/builder")
    assert page.status_code == 200 and 'src="/static/js/rule-builder.js"' in page.text
    main = page.text.split("<main", 1)[1].split("</main>", 1)[0]
    assert 'href="/support/rules-reference"' in main and "<script" not in main and " style=" not in main
    assert not re.search(r"\son[a-z]+=", main)  # no inline handlers (the coming Content-Security-Policy)
    assert "rose by at least" in page.text and "Any of these (OR)" in page.text
    assert c.get("/support/rules-reference").status_code == 200
    assert c.get("/static/js/rule-builder.js").status_code == 200
    check = c.post(f"/support/newham/rules/{vid}/builder/check", data={**FORM, "csrf_token": token, "c0_threshold": ""})
    assert check.status_code == 200 and check.json()["errors"].get("c0_threshold")
    check = c.post(f"/support/newham/rules/{vid}/builder/check", data={**FORM, "csrf_token": token})
    assert check.json()["ok"] and "rose_by_at_least: 300" in check.json()["yaml"]
    dup = c.post(f"/support/newham/rules/{vid}/builder",
                 data={**FORM, "csrf_token": token, "action": "add", "rule_id": "rent-arrears-8-weeks-fsm"})
    assert dup.status_code == 422 and 'href="#rule_id"' in dup.text and "already has a rule" in dup.text
    empty = c.post(f"/support/newham/rules/{vid}/builder", data={"csrf_token": token, "action": "add"})
    assert empty.status_code == 422 and "govuk-error-summary" in empty.text
    r = c.post(f"/support/newham/rules/{vid}/builder", data={**FORM, "csrf_token": token, "action": "add"},
               follow_redirects=False)
    assert r.status_code == 303
    session.expire_all()
    body = session.get(RuleSetVersion, vid).body
    assert "id: rent-arrears-rising" in body and "# Early-warning rules" in body  # the file's comments are kept
    assert [r.id for r in rules_language.parse_rules(body).rules][-1] == "rent-arrears-rising"
    # analysts may draft too; people outside the council may not
    token = login(c, "foreign")
    assert c.get(f"/support/newham/rules/{vid}/builder").status_code == 403
