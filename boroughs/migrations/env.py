"""Alembic environment: one branch per area; autogenerate looks only at the area being migrated."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from boroughs.core.db import Base, get_engine, make_engine
from boroughs.core.migrate import load_all_models

load_all_models()
config = context.config
area = config.attributes.get("area")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    if type_ == "table" and area and name:
        return name.startswith(area + "_")
    return True


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Autogenerate for one area sees only that area's tables (and their columns, indexes, constraints)."""
    if not area:
        return True
    if type_ == "table":
        return bool(name and name.startswith(area + "_"))
    table = getattr(obj, "table", None)
    table_name = getattr(table, "name", None)
    return table_name is None or str(table_name).startswith(area + "_")


def run() -> None:
    engine: Engine | None = config.attributes.get("engine")
    if engine is None:
        url = config.get_main_option("sqlalchemy.url")
        engine = make_engine(url) if url else get_engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            include_name=include_name,
            include_object=include_object,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run()
