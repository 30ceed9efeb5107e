"""The subject access export covers everything held on a resident (issue 17).

It said it covered "everything the platform holds" but left out flags, opt-outs, record histories,
notifications and linkage review decisions. The list of tables about residents is now derived from the
models' metadata, so a new personal-data table without subject access coverage fails here.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table
from sqlalchemy.orm import Session

from boroughs.core.db import Base
from boroughs.core.migrate import load_all_models
from boroughs.support.concerns.models import Concern
from boroughs.support.governance import subject_access as sar
from boroughs.support.outreach.models import Notification, OutreachCase
from boroughs.support.records.models import RecordEvent, ResidentRecord, ReviewDecision, SourceRecord
from boroughs.support.rules.models import FlagRecord, FlagRun, OptOut, RuleSetVersion
from tests.support.referral_factories import world


def test_every_table_about_residents_is_covered_by_subject_access() -> None:
    load_all_models()
    personal = sar.personal_data_tables(Base.metadata)
    assert {"support_flag", "support_opt_out", "support_record_event", "support_notification",
            "support_review_decision", "support_concern"} <= personal
    missing = personal - set(sar.COVERAGE)
    assert not missing, f"tables about residents that the subject access export leaves out: {sorted(missing)}"
    assert set(sar.COVERAGE) - personal == set()  # nothing claimed that is not about residents


def test_the_derivation_finds_a_new_table_about_residents() -> None:
    md = MetaData()
    Table("support_resident", md, Column("id", Integer, primary_key=True))
    Table("support_source_record", md, Column("id", Integer, primary_key=True))
    Table("support_new_thing", md, Column("id", Integer, primary_key=True),
          Column("record_id", ForeignKey("support_source_record.id")))
    Table("support_thing_note", md, Column("id", Integer, primary_key=True),
          Column("thing_id", ForeignKey("support_new_thing.id")))
    Table("support_by_column", md, Column("id", Integer, primary_key=True), Column("resident_id", Integer))
    Table("support_unrelated", md, Column("id", Integer, primary_key=True))
    assert sar.personal_data_tables(md) == {"support_resident", "support_source_record", "support_new_thing",
                                            "support_thing_note", "support_by_column"}


def test_the_export_holds_flags_opt_outs_histories_notifications_decisions_and_concerns(session: Session) -> None:
    w = world(session)
    ada, bo = w.residents["ada"], w.residents["bo"]
    council = w.orgs["newham"].id
    rec = session.query(SourceRecord).join(ResidentRecord, ResidentRecord.source_record_id == SourceRecord.id).filter(
        ResidentRecord.resident_id == ada.id).one()
    other = session.query(SourceRecord).join(ResidentRecord, ResidentRecord.source_record_id == SourceRecord.id).filter(
        ResidentRecord.resident_id == bo.id).one()
    session.add(RecordEvent(organisation_id=council, source_record_id=rec.id, dataset="council_tax", measure="arrears",
                            event_date=dt.date(2026, 9, 30), value_num=412.5))
    rules = RuleSetVersion(organisation_id=council, version=1, status="live", body="rules: []")
    session.add(rules)
    session.flush()
    run = FlagRun(organisation_id=council, rule_set_id=rules.id, as_of=dt.date(2026, 10, 1), residents=2, opted_out=0,
                  flags=1, per_rule={}, seconds=0.1)
    session.add(run)
    session.flush()
    session.add(FlagRecord(run_id=run.id, organisation_id=council, resident_id=ada.id, rule_id="ct-arrears",
                           severity="high", explanation="Council tax arrears of £412.50", facts=[]))
    session.add(OptOut(organisation_id=council, resident_id=ada.id, objected_on=dt.date(2026, 10, 2), source="phone"))
    case = OutreachCase(organisation_id=council, resident_id=ada.id, severity="high", priority=1, rule_ids=["ct-arrears"],
                        status="open")
    session.add(case)
    session.flush()
    session.add(Notification(organisation_id=council, case_id=case.id, channel="sms", template="outreach_intro",
                             backend="local", status="sent"))
    session.add(ReviewDecision(organisation_id=council, record_a_id=min(rec.id, other.id),
                               record_b_id=max(rec.id, other.id), decision="reject", reason="different people"))
    session.add(Concern(reference="C-TEST1", council_id=council, channel="public", about_name="Ada Synthetic",
                        category="food insecurity", detail="Has not eaten for two days", resident_id=ada.id,
                        source_hash="deadbeef", synthetic=True))
    session.flush()
    doc = sar.subject_access_export(session, council, ada.id)
    assert [e["value_num"] for e in doc["record_histories"]] == [412.5]
    assert [f["rule_id"] for f in doc["flags"]] == ["ct-arrears"]
    assert [o["source"] for o in doc["opt_outs"]] == ["phone"]
    assert [n["channel"] for n in doc["notifications"]] == ["sms"]
    assert [d["reason"] for d in doc["linkage_review_decisions"]] == ["different people"]
    assert [c["reference"] for c in doc["concerns"]] == ["C-TEST1"] and "source_hash" not in doc["concerns"][0]
    assert doc["source_records"][0]["record_id"] == rec.record_id
    for section in set(sar.COVERAGE.values()):
        assert section in doc, section
    # nothing about another resident leaks in
    other_doc = sar.subject_access_export(session, council, bo.id)
    assert other_doc["flags"] == [] and other_doc["concerns"] == [] and other_doc["record_histories"] == []
    assert [d["reason"] for d in other_doc["linkage_review_decisions"]] == ["different people"]  # it is about both
