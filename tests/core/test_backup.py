"""``boroughs admin backup`` and ``boroughs admin restore`` on SQLite and PostgreSQL (issue 15's runbook)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from boroughs.app import cli as app
from boroughs.core.db import session_scope
from boroughs.core.models import Organisation

runner = CliRunner()


@pytest.fixture(autouse=True)
def _wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")


def _orgs(engine: Engine) -> list[str]:
    with session_scope(engine) as db:
        return sorted(db.scalars(select(Organisation.slug)))


def _add_org(engine: Engine, slug: str) -> None:
    with session_scope(engine) as db:
        db.add(Organisation(slug=slug, name=slug.title(), kind="council"))


def test_backup_then_restore_brings_back_exactly_what_was_backed_up(engine: Engine, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    url = engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)
    _add_org(engine, "before-backup")
    dest = tmp_path / "backups" / "boroughs.backup"
    r = runner.invoke(app, ["admin", "backup", str(dest)])
    assert r.exit_code == 0, r.output
    assert dest.is_file() and "Backed up" in r.output
    assert not dest.with_name(dest.name + ".partial").exists()

    _add_org(engine, "after-backup")  # a change made after the backup is undone by the restore
    assert _orgs(engine) == ["after-backup", "before-backup"]
    engine.dispose()
    r = runner.invoke(app, ["admin", "restore", str(dest), "--yes"])
    assert r.exit_code == 0, r.output
    engine.dispose()
    assert _orgs(engine) == ["before-backup"]
    with session_scope(engine) as db:  # the restored database is usable: write to it
        db.add(Organisation(slug="after-restore", name="After", kind="council"))
    with session_scope(engine) as db:
        assert db.scalar(select(func.count()).select_from(Organisation)) == 2


def test_restore_refuses_what_is_not_a_boroughs_backup(engine: Engine, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    _add_org(engine, "kept")
    garbage = tmp_path / "not-a-backup.db"
    garbage.write_bytes(b"\x00\x01 this is not a database" * 100)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x int)")
    for bad in (garbage, other, tmp_path / "missing.backup"):
        engine.dispose()
        r = runner.invoke(app, ["admin", "restore", str(bad), "--yes"])
        assert r.exit_code == 1, r.output
        assert bad.name in r.output.replace("\n", "")  # rich wraps at its own width
    assert _orgs(engine) == ["kept"]  # nothing was lost


def test_restore_asks_before_replacing_the_database(engine: Engine, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    dest = tmp_path / "b.backup"
    r = runner.invoke(app, ["admin", "backup", str(dest)])
    assert r.exit_code == 0, r.output
    _add_org(engine, "still-here")
    r = runner.invoke(app, ["admin", "restore", str(dest)], input="n\n")
    assert r.exit_code == 1 and "Nothing was restored" in r.output, r.output
    assert _orgs(engine) == ["still-here"]
