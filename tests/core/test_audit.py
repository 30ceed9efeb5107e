"""The audit trail is append-only and hash-chained: tampering with any row is caught (issue 2)."""

from __future__ import annotations

import itertools
import json

from sqlalchemy import text
from typer.testing import CliRunner

from boroughs.core import audit
from boroughs.core.models import AuditEvent


def _fill(session, n=5):
    for i in range(n):
        audit.record(session, "resident.view", organisation_id=1, object_type="resident", object_id=i,
                     purpose="outreach", detail={"i": i})
    session.commit()


def test_chain_links_every_entry(session):
    _fill(session)
    rows = session.query(AuditEvent).order_by(AuditEvent.id).all()
    assert rows[0].prev_hash == audit.GENESIS
    for before, after in itertools.pairwise(rows):
        assert after.prev_hash == before.hash
    result = audit.verify(session)
    assert result.ok and result.checked == 5


def test_changed_row_is_caught(session):
    _fill(session)
    third = session.query(AuditEvent).order_by(AuditEvent.id).all()[2]
    session.execute(text("UPDATE core_audit_event SET purpose = 'curiosity' WHERE id = :id"), {"id": third.id})
    session.commit()
    session.expire_all()
    result = audit.verify(session)
    assert not result.ok
    assert result.broken_id == third.id
    assert result.checked == 5 and len(result.breaks) == 1
    assert "changed" in result.message()


def test_deleted_row_is_caught(session):
    _fill(session)
    rows = session.query(AuditEvent).order_by(AuditEvent.id).all()
    session.execute(text("DELETE FROM core_audit_event WHERE id = :id"), {"id": rows[1].id})
    session.commit()
    session.expire_all()
    result = audit.verify(session)
    assert not result.ok and result.broken_id == rows[2].id
    assert "deleted or inserted" in result.message()


def test_changed_detail_is_caught(session):
    _fill(session, 3)
    last = session.query(AuditEvent).order_by(AuditEvent.id.desc()).first()
    session.execute(text("UPDATE core_audit_event SET detail = :d WHERE id = :id"),
                    {"d": json.dumps({"i": 99}), "id": last.id})
    session.commit()
    session.expire_all()
    assert audit.verify(session).broken_id == last.id


def test_rolled_back_work_leaves_no_audit_entry(session):
    audit.record(session, "x")
    session.rollback()
    assert session.query(AuditEvent).count() == 0


def test_verify_audit_command_reports_the_broken_link(engine, monkeypatch, session):
    from boroughs.app import cli as app

    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("COLUMNS", "200")
    _fill(session, 4)
    runner = CliRunner()
    ok = runner.invoke(app, ["admin", "verify-audit"])
    assert ok.exit_code == 0, ok.output
    assert "intact: 4 entries" in ok.output
    target = session.query(AuditEvent).order_by(AuditEvent.id).all()[1]
    session.execute(text("UPDATE core_audit_event SET action = 'nothing' WHERE id = :id"), {"id": target.id})
    session.commit()
    bad = runner.invoke(app, ["admin", "verify-audit"])
    assert bad.exit_code == 2
    assert f"entry {target.id}: its content does not match its seal" in bad.output
