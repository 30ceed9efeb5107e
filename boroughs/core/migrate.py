"""Alembic migrations, driven from Python (``boroughs admin migrate``) and from the tests.

The core and each area have their own Alembic branch, labelled with the area's name; ``upgrade`` applies
all heads. To add a migration for an area after changing its models::

    boroughs admin make-migration support "add consent table"
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

import boroughs
from boroughs.core.db import Base

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def load_all_models() -> None:
    """Import every ``models`` and ``*_models`` module in the ``boroughs`` package (the core's and every
    area's, sub-packages too) so ``Base.metadata`` knows every table. Migrations are never generated
    from the web side, so its packages are skipped."""
    for info in pkgutil.walk_packages(boroughs.__path__, prefix="boroughs.",
                                      onerror=lambda name: None):
        if info.name.startswith(("boroughs.web", "boroughs.migrations")):
            continue
        leaf = info.name.rsplit(".", 1)[1]
        if leaf == "models" or leaf.endswith("_models"):
            importlib.import_module(info.name)


def alembic_config(engine: Engine | None = None, url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", str(MIGRATIONS_DIR / "versions"))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine | None = None, url: str | None = None) -> None:
    """Bring the database to the newest version of every area."""
    load_all_models()
    command.upgrade(alembic_config(engine, url), "heads")


def make_migration(area: str, message: str, engine: Engine | None = None) -> None:
    """Autogenerate the next migration of ``area`` against a database already at every head.

    ``engine`` defaults to the configured database; tests and developers usually pass a scratch SQLite
    engine that ``upgrade`` has just brought up to date.
    """
    if not area.isidentifier() or area != area.lower():
        raise ValueError(f"an area's name is a lower-case identifier, not {area!r}")
    load_all_models()
    from alembic.script import ScriptDirectory

    cfg = alembic_config(engine)
    cfg.attributes["area"] = area
    script = ScriptDirectory.from_config(cfg)
    existing = [r for r in script.walk_revisions() if r.revision.startswith(area + "_")]
    rev_id = f"{area}_{len(existing) + 1:04d}"
    if existing:
        command.revision(cfg, message=message, autogenerate=True, head=f"{area}@head", rev_id=rev_id)
    else:  # the area's first migration starts its own branch, after the core tables
        command.revision(
            cfg, message=message, autogenerate=True, head="base", branch_label=area,
            depends_on="core_0001" if area != "core" else None, rev_id=rev_id,
        )


def tables_of(area: str) -> list[str]:
    load_all_models()
    return sorted(t for t in Base.metadata.tables if t.startswith(area + "_"))
