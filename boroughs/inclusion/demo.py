"""The inclusion area's demo: the London index built from the real open data, for the map at ``/map``.

``seed_demo`` builds the index into the configured output folder (``BOROUGHS_OUT_DIR``, default ``out``)
with the index engineer's ``boroughs.inclusion.build.index.build`` (what ``boroughs inclusion build --data-dir DATA
--out OUT`` runs) when no index is there yet, and does nothing when one is (idempotent). It writes no
database rows: the map reads the built files.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from sqlalchemy.orm import Session

from boroughs.config import get_settings
from boroughs.inclusion.map.loading import INDEX_FILE


def build_command(data_dir: Path, out: Path) -> list[str]:
    exe = shutil.which("boroughs")
    base = [exe] if exe else [sys.executable, "-c", "from boroughs.app import main; main()"]  # the contract CLI
    return [*base, "inclusion", "build", "--data-dir", str(data_dir), "--out", str(out)]


def ensure_index(out: Path | None = None, data_dir: Path | None = None) -> Path:
    """Build the London index into ``out`` unless it is already there; returns the folder."""
    settings = get_settings()
    out = Path(out or settings.out_dir).resolve()
    data_dir = Path(data_dir or settings.data_dir).resolve()
    if (out / INDEX_FILE).is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        from boroughs.inclusion.build import index as build
    except ImportError:  # pragma: no cover - an installation without the build module: use the command
        build = None  # type: ignore[assignment]
    if build is not None and hasattr(build, "build"):
        build.build(data_dir, out)
        return out
    result = subprocess.run(build_command(data_dir, out), capture_output=True, text=True, check=False)
    if result.returncode != 0 or not (out / INDEX_FILE).is_file():
        raise RuntimeError(f"Building the inclusion index into {out} failed:\n{result.stdout[-2000:]}\n"
                           f"{result.stderr[-2000:]}")
    return out


def seed_demo(db: Session) -> dict[str, int]:
    out = Path(get_settings().out_dir).resolve()
    existed = (out / INDEX_FILE).is_file()
    ensure_index(out)
    from boroughs.inclusion.provision.demo import seed_examples  # issue 13: example provision, labelled

    return {"inclusion_index_built": 0 if existed else 1, "inclusion_example_sites": seed_examples(db)}
