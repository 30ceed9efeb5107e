"""The fund's docs: every command is described, every screenshot they show exists (issue 8)."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from boroughs.fund.cli import app

DOCS = Path(__file__).resolve().parents[2] / "docs" / "fund"


def test_every_fund_command_is_in_the_fund_docs() -> None:
    text = (DOCS / "README.md").read_text()
    group = typer.main.get_command(app)
    for name in group.commands:  # type: ignore[attr-defined]
        assert f"boroughs fund {name}" in text, name


def test_every_screenshot_exists() -> None:
    for md in DOCS.glob("*.md"):
        for png in re.findall(r"\]\(([^)]+\.png)\)", md.read_text()):
            assert (DOCS / png).is_file(), f"{md.name} shows {png}, which is missing"
