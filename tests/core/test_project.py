"""Project-wide guarantees: migrations match the models, every command has help.

That every setting, command, option and route is documented: ``tests/core/test_documented.py``.
"""

from __future__ import annotations

import re

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from typer.testing import CliRunner

from boroughs.app import cli as app
from boroughs.core.db import Base
from boroughs.core.migrate import load_all_models


def test_migrations_match_models(engine):
    load_all_models()
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models and migrations disagree; run `boroughs admin make-migration AREA MESSAGE`: {diff}"


def test_one_head_per_area():
    from alembic.script import ScriptDirectory

    from boroughs.core.migrate import alembic_config

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    prefixes = [h.split("_")[0] for h in heads]
    assert len(prefixes) == len(set(prefixes)), f"an area has more than one Alembic head: {heads}"


def _commands(group, prefix=""):
    import typer.main

    click_group = typer.main.get_command(group)
    out = []

    def walk(cmd, path):
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, f"{path} {name}".strip())
        else:
            out.append(path)

    walk(click_group, prefix)
    return out


def test_every_command_has_help():
    runner = CliRunner()
    for c in _commands(app):
        r = runner.invoke(app, [*c.split(), "--help"])
        assert r.exit_code == 0, (c, r.output)
        assert re.search(r"\w", r.output)


def test_demo_seed_refused_without_demo_mode(monkeypatch):
    monkeypatch.delenv("BOROUGHS_DEMO_MODE", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    r = CliRunner().invoke(app, ["demo", "seed"])
    assert r.exit_code == 1 and "demo mode" in r.output
