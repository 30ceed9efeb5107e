"""Areas as plug-ins: the :class:`Area` record each area declares in its ``__init__.py``.

An area (``inclusion``, ``support``, ``fund``, or a council's own) is a Python package that declares one
``AREA = Area(...)``. The composition root, :mod:`boroughs.app`, lists the areas and builds the web app and
the command line from them; ``core`` itself names no area. Everything an area contributes is given as a
dotted reference (``"package.module"`` or ``"package.module:attribute"``) and imported only when it is
used, so declaring an area imports no web framework.

Example — a minimal area, as in ``docs/examples/housing/__init__.py`` (``docs/examples/new_area.py`` builds
the app and the CLI with it; ``docs/developing.md`` explains both)::

    AREA = Area(
        name="housing",
        title="Housing: repairs and their priority.",
        package="housing",
        routes="housing.routes",        # an APIRouter ``router``; optional NAV, PRELOAD and WARM
        cli="housing.cli:app",          # a Typer app, mounted as ``boroughs housing``
        demo="housing.demo:seed_demo",  # optional: its part of ``boroughs demo seed``
    )
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Area:
    """What an area contributes. Only ``name``, ``title`` and ``package`` are required.

    - ``routes``: a module with an ``APIRouter`` named ``router`` and, optionally, ``NAV`` (service
      navigation entries: ``{"text", "href", "needs"}``), ``PRELOAD`` (callables of a session factory,
      run in a worker thread while the server starts) and ``WARM`` (paths asked for once, in-process,
      after ``PRELOAD``: the first visitor does not pay for the route set-up and template compilation);
    - ``cli``: ``"module:attribute"`` of a Typer app, mounted as ``boroughs <name>``;
    - ``demo``: ``"module:function"``, a function of a database session that loads the area's part of the
      demo deployment and returns a summary (what it loaded, printed by ``boroughs demo seed``);
    - ``datasets``: modules that register the area's datasets (and their publishers' sources) on import;
    - ``templates``: the area's templates folder, relative to the package (templates live in
      ``<templates>/<name>/...`` and extend ``base.html``);
    - the area's tables are found in its ``models`` and ``*_models`` modules, and its Alembic branch carries
      its ``name`` as the label.
    """

    name: str
    title: str
    package: str
    routes: str | None = None
    cli: str | None = None
    demo: str | None = None
    datasets: tuple[str, ...] = ()
    templates: str = "templates"

    def __post_init__(self) -> None:
        if not self.name.isidentifier() or self.name != self.name.lower() or self.name == "core":
            raise ValueError(f"an area's name is a lower-case identifier other than 'core', not {self.name!r}")

    @property
    def folder(self) -> Path:
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            raise ValueError(f"area {self.name!r}: {self.package!r} is not an importable package")
        return Path(next(iter(spec.submodule_search_locations)))

    @property
    def templates_folder(self) -> Path | None:
        folder = self.folder / self.templates
        return folder if folder.is_dir() else None

    def routes_module(self) -> Any | None:
        return importlib.import_module(self.routes) if self.routes else None

    def cli_app(self) -> Any | None:
        return resolve(self.cli) if self.cli else None

    def demo_loader(self) -> Callable[[Any], object] | None:
        return resolve(self.demo) if self.demo else None

    def register_datasets(self) -> None:
        for module in self.datasets:
            importlib.import_module(module)


def resolve(reference: str) -> Any:
    """Import ``"package.module:attribute"`` and return the attribute."""
    module, _, attribute = reference.partition(":")
    if not attribute:
        raise ValueError(f"{reference!r} should be written module:attribute")
    return getattr(importlib.import_module(module), attribute)


def register_datasets(areas: Iterable[Area]) -> None:
    """Register the core's datasets and every area's."""
    importlib.import_module("boroughs.core.geography_sources")
    for area in areas:
        area.register_datasets()


def from_cli(ctx: Any) -> tuple[Area, ...]:
    """The areas of the running command line (``ctx``: the command's ``typer.Context``): the composition
    root puts them in the root context's ``obj``."""
    areas = ctx.find_root().obj
    if not isinstance(areas, tuple) or not all(isinstance(a, Area) for a in areas):
        raise RuntimeError("no areas: run this command through the `boroughs` command line (boroughs.app:cli)")
    return areas


def names(areas: Iterable[Area]) -> Iterator[str]:
    return (a.name for a in areas)
