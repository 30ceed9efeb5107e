"""Generate the two reference pages from the code, so they cannot drift from it.

- ``docs/cli-reference.md``: every command of ``boroughs`` (the Typer app ``boroughs.app:cli``) with its
  one-line purpose, and every argument and option with its help text.
- ``docs/routes.md``: every URL the web app answers (``boroughs.web.app.create_app()``): method, path and
  the route's summary or the first sentence of its function's docstring.

    python scripts/reference_docs.py          # rewrite both pages
    python scripts/reference_docs.py --check  # exit 1, writing nothing, if either page is out of date

``tests/core/test_documented.py`` runs the check. The text comes from the command and parameter objects
and the routes themselves (never from rendered ``--help``), so it does not depend on the terminal's width.
"""

from __future__ import annotations

import argparse
import inspect
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CLI_PAGE = Path("docs") / "cli-reference.md"
ROUTES_PAGE = Path("docs") / "routes.md"
COMMAND = "python scripts/reference_docs.py"
# Routes Boroughs does not define itself, so they have no docstring of ours.
FRAMEWORK_ROUTES = {"/api/openapi.json": "The OpenAPI schema of the JSON API (what `/api/docs` shows)"}


# --- commands ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    kind: str  # "argument" or "option"
    names: str  # e.g. "--passwords / --no-passwords" or "EMAIL"
    opts: tuple[str, ...]  # every spelling, e.g. ("--passwords", "--no-passwords")
    help: str
    notes: tuple[str, ...]  # required, repeatable, default


@dataclass(frozen=True)
class Command:
    path: str  # e.g. "boroughs support directory export-oruk"
    purpose: str  # the first paragraph of its help, on one line
    subcommands: tuple[str, ...]  # a group's commands (names), empty for a command
    params: tuple[Param, ...]


def one_line(text: str | None) -> str:
    """The first paragraph of a help text or docstring, on one line."""
    if not text:
        return ""
    paragraph = re.split(r"\n\s*\n", inspect.cleandoc(text).strip(), maxsplit=1)[0]
    return " ".join(paragraph.replace("\b", " ").split())


def first_sentence(text: str | None) -> str:
    """The first sentence of a docstring's first paragraph, without its full stop."""
    return re.split(r"(?<=[a-z0-9)`'])\.\s+(?=[A-Z0-9])", one_line(text), maxsplit=1)[0].rstrip(".")


def _default(p: Any) -> str | None:
    if p.show_default is False or p.required or callable(p.default):
        return None
    if getattr(p, "is_flag", False):
        secondary = list(getattr(p, "secondary_opts", []))
        if not secondary or p.default is None:
            return None
        return f"`{p.opts[0] if p.default else secondary[0]}`"
    value = p.default
    if value is None or value == "" or value == () or value == []:
        return None
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    text = str(value)
    if os.path.isabs(text):  # never an absolute path of the machine that generated the page
        return None
    return f"`{text}`"


def _param(p: Any) -> Param:
    opts = tuple(p.opts) + tuple(getattr(p, "secondary_opts", ()))
    names = (p.metavar or p.name or "").upper() if p.param_type_name == "argument" else " / ".join(opts)
    notes = []
    if p.required:
        notes.append("asked for if not given" if getattr(p, "prompt", None) else "required")
    if p.multiple:
        notes.append("repeatable")
    default = _default(p)
    if default:
        notes.append(f"default {default}")
    return Param(p.param_type_name, names, opts, one_line(getattr(p, "help", None)), tuple(notes))


def commands(click_command: Any, path: str = "boroughs") -> Iterator[Command]:
    """Every command and group under ``click_command`` (depth first, sorted by name), hidden ones left out."""
    subs = getattr(click_command, "commands", None) or {}
    visible = {name: sub for name, sub in sorted(subs.items()) if not getattr(sub, "hidden", False)}
    params = tuple(_param(p) for p in click_command.params if not getattr(p, "hidden", False))
    yield Command(path, one_line(click_command.help or click_command.short_help), tuple(visible), params)
    for name, sub in visible.items():
        yield from commands(sub, f"{path} {name}")


def boroughs_commands() -> list[Command]:
    import typer.main

    from boroughs.app import cli as app

    return list(commands(typer.main.get_command(app)))


def _cell(text: str) -> str:
    """Text for a table cell: ``|`` escaped, and ``<`` outside code spans (``<SLUG>`` is not an HTML tag)."""
    parts = text.replace("|", "\\|").split("`")
    return "`".join(part if i % 2 else part.replace("<", "&lt;") for i, part in enumerate(parts))


def _anchor(path: str) -> str:
    return "#" + re.sub(r"[^a-z0-9 -]", "", path.lower()).replace(" ", "-")


def cli_markdown(cmds: list[Command]) -> str:
    out = [
        "# Command reference",
        "",
        f"<!-- Generated by `{COMMAND}` from the command tree of `boroughs.app:cli`; do not edit by hand. -->",
        "",
        "Every command and option of `boroughs`, with the help text each one carries in the code. What the "
        "commands are for and how they fit together: [the `boroughs` command](cli.md) and each area's guide.",
        "",
        "| command | what it does |",
        "|---|---|",
    ]
    out += [f"| [`{c.path}`]({_anchor(c.path)}) | {_cell(c.purpose)} |" for c in cmds]
    for c in cmds:
        out += ["", f"## {c.path}", "", _cell(c.purpose) or "(no help text)"]
        if c.subcommands:
            out += ["", "Commands: " + ", ".join(f"[`{s}`]({_anchor(f'{c.path} {s}')})" for s in c.subcommands)
                    + "."]
        if c.params:
            out += ["", "| argument or option | meaning |", "|---|---|"]
            for p in c.params:
                notes = f" ({'; '.join(p.notes)})" if p.notes else ""
                out.append(f"| `{p.names}` | {_cell(p.help or '(no help text)')}{_cell(notes)} |")
    return "\n".join(out) + "\n"


# --- routes -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RouteDoc:
    method: str
    path: str
    description: str
    where: str  # the function that answers, for the message of a route with no description


def _effective(routes: list[Any]) -> Iterator[Any]:
    for r in routes:
        candidates = getattr(r, "effective_candidates", None)  # FastAPI >= 0.16x: an included router
        if candidates is not None:
            yield from _effective(candidates())
        else:
            yield r


def app_routes(app: Any) -> tuple[list[RouteDoc], list[str]]:
    """Each (method, path) the app answers, with its description, and the paths of its static mounts.

    A route's description is its ``summary`` or the first sentence of its function's docstring. ``HEAD`` is left
    out where ``GET`` is served, and ``{name:type}`` is written ``{name}``; two routes for the same method and
    path (a fast Starlette route in front of the documented one) are one entry."""
    found: dict[tuple[str, str], RouteDoc] = {}
    mounts = []
    for r in _effective(app.router.routes):
        original = getattr(r, "original_route", r)
        path = getattr(r, "path", "") or getattr(original, "path", "")
        endpoint = getattr(r, "endpoint", None) or getattr(original, "endpoint", None)
        methods = set(getattr(r, "methods", None) or getattr(original, "methods", None) or ())
        if endpoint is None or not methods:
            if getattr(original, "app", None) is not None and not methods:  # a static mount
                mounts.append(path)
            continue
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", path)
        if "GET" in methods:
            methods.discard("HEAD")
        description = " ".join((FRAMEWORK_ROUTES.get(path) or getattr(r, "summary", None)
                                or first_sentence(inspect.getdoc(endpoint))).split())
        where = f"{endpoint.__module__}.{endpoint.__qualname__}"
        for method in methods:
            key = (method, path)
            if key not in found or (description and not found[key].description):
                found[key] = RouteDoc(method, path, description, where)
    order = {"GET": 0, "POST": 1, "PUT": 2, "PATCH": 3, "DELETE": 4}
    docs = sorted(found.values(), key=lambda d: (d.path, order.get(d.method, 9), d.method))
    return docs, sorted(set(mounts))


def routes_markdown(docs: list[RouteDoc], mounts: list[str]) -> str:
    out = [
        "# Routes",
        "",
        f"<!-- Generated by `{COMMAND}` from `boroughs.web.app.create_app()`; do not edit by hand. -->",
        "",
        "Every URL the web app answers, by its first path segment. The description is the route's summary "
        "or the first sentence of its function's docstring. The JSON API (`/api/…`) is also described by its "
        "OpenAPI schema, which `/api/docs` shows.",
    ]
    if mounts:
        out += ["", "Static files are served under " + ", ".join(f"`{m}/`" for m in mounts)
                + " (stylesheets, scripts, fonts and images)."]
    sections: dict[str, list[RouteDoc]] = {}
    for d in docs:
        sections.setdefault("/" + d.path.strip("/").split("/")[0], []).append(d)
    for section, rows in sections.items():
        out += ["", f"## {section}", "", "| method | path | what it does |", "|---|---|---|"]
        out += [f"| {d.method} | `{d.path}` | {_cell(d.description or '(undocumented)')} |" for d in rows]
    return "\n".join(out) + "\n"


def boroughs_routes() -> tuple[list[RouteDoc], list[str]]:
    from sqlalchemy import create_engine

    from boroughs.app import create_app

    return app_routes(create_app(create_engine("sqlite://")))


# --- the pages --------------------------------------------------------------------------------------


def pages() -> dict[Path, str]:
    """Each generated page (a path relative to the repository) and the text it should hold."""
    return {CLI_PAGE: cli_markdown(boroughs_commands()), ROUTES_PAGE: routes_markdown(*boroughs_routes())}


def out_of_date(root: Path = ROOT) -> list[Path]:
    return [p for p, text in pages().items()
            if not (root / p).exists() or (root / p).read_text(encoding="utf-8") != text]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="Fail if a page is out of date; write nothing.")
    args = parser.parse_args(argv)
    if args.check:
        stale = out_of_date()
        for p in stale:
            print(f"{p} is out of date: run `{COMMAND}`.", file=sys.stderr)
        if not stale:
            print("docs/cli-reference.md and docs/routes.md are up to date.")
        return 1 if stale else 0
    for p, text in pages().items():
        (ROOT / p).write_text(text, encoding="utf-8")
        print(f"Wrote {p}.")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))  # the checkout this script is in, whatever is installed
    # Listing the routes builds the app, which needs an audit key; the app is never served here.
    if not (os.environ.get("BOROUGHS_AUDIT_KEY") or os.environ.get("BOROUGHS_AUDIT_KEY_FILE")):
        os.environ["BOROUGHS_AUDIT_KEY"] = "only-for-listing-the-routes-" + "0" * 32
    sys.exit(main())
