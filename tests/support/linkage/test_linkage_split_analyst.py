"""Analysts split a wrongly merged resident (issue 17): the split form was only on the resident page, which
gives analysts a 403, though the docs say they can split. They now have a split page of their own."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from boroughs.core.db import session_scope
from boroughs.core.models import AuditEvent
from boroughs.support.records.models import ResidentRecord
from tests.support.linkage.test_linkage_web import _biggest_resident, _login, borough, client
from tests.web_client import csrf_token

assert borough and client  # the module's fixtures, shared with the resident-page tests


def test_an_analyst_splits_a_resident_from_the_review_page(engine: Engine, client: tuple[TestClient, int]) -> None:
    c, _ = client
    rid = _biggest_resident(engine)
    _login(c, "analyst@newham.demo.boroughs.test")
    assert c.get(f"/support/newham/residents/{rid}?purpose=review").status_code == 403  # still no resident page
    review = c.get("/support/newham/review")
    assert 'action="/support/newham/review/split"' in review.text
    bad = c.get("/support/newham/review/split?resident=abc")
    assert bad.status_code == 422 and 'href="#split-resident"' in bad.text
    r = c.get(f"/support/newham/review/split?resident={rid}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/support/newham/review/split/{rid}"
    page = c.get(f"/support/newham/review/split/{rid}")
    assert page.status_code == 200
    ids = re.findall(r'name="record_ids" type="checkbox" value="(\d+)"', page.text)
    assert len(ids) >= 2
    token = csrf_token(c, f"/support/newham/review/split/{rid}")
    none = c.post(f"/support/newham/residents/{rid}/split", data={"csrf_token": token, "from": "review"})
    assert none.status_code == 422 and "Select the records that belong to a different person" in none.text
    r = c.post(f"/support/newham/residents/{rid}/split",
               data={"csrf_token": token, "from": "review", "record_ids": [ids[0]], "reason": "two people"},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(f"/support/newham/review/split/{rid}?split_into=")
    new_id = int(r.headers["location"].rsplit("=", 1)[1])
    assert "are now resident " + str(new_id) in c.get(r.headers["location"]).text
    with session_scope(engine) as s:
        assert s.execute(select(ResidentRecord.resident_id)
                         .where(ResidentRecord.source_record_id == int(ids[0]))).scalar_one() == new_id
        actions = set(s.execute(select(AuditEvent.action)).scalars())
    assert {"support.review.split_view", "support.resident_split"} <= actions
    # officers see residents but do not review linkage: no split page for them
    _login(c, "officer@newham.demo.boroughs.test")
    assert c.get(f"/support/newham/review/split/{rid}").status_code == 403
