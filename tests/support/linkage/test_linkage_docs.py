"""The linkage docs cover every command, schema and field (issue 5): a test fails if one is undocumented."""

from __future__ import annotations

from pathlib import Path

from boroughs.support.cli import app
from boroughs.support.records.schemas import SCHEMAS

DOC = (Path(__file__).resolve().parents[3] / "docs" / "support" / "linkage.md").read_text()


def test_every_linkage_command_is_documented() -> None:
    names = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    for name in ("synth", "link", "import", "link-council"):
        assert name in names
        assert f"boroughs support {name}" in DOC, name


def test_every_schema_and_field_is_documented() -> None:
    for key, schema in SCHEMAS.items():
        assert f"`{key}`" in DOC and f"version {schema.version}" in DOC, key
        for f in schema.fields:
            assert f"`{f.name}`" in DOC, (key, f.name)
        for m in schema.measures:
            assert f"`{m.name}`" in DOC, (key, m.name)
