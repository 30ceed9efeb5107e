"""A publishing backend: each dataset as one zip file (``<folder>/<slug>.zip``) with its files and a
``datapackage.json``, for a catalogue that takes uploads as archives.

A backend says what publishing would do (``plan``, which only reads: the dry run stops there) and then
does it (``_apply``, which returns the dataset's address); :meth:`Publisher.publish` checks the package
and calls the two.
"""

import json
import zipfile
from pathlib import Path

from boroughs.fund.opendata.publishing import DatasetPackage, Publisher, Step


class ZipPublisher(Publisher):
    name = "zip archive"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def dataset_url(self, pkg: DatasetPackage) -> str | None:
        return str(self.folder / f"{pkg.slug}.zip")

    def plan(self, pkg: DatasetPackage) -> list[Step]:
        archive = self.folder / f"{pkg.slug}.zip"
        held: set[str] = set()
        if archive.exists():
            with zipfile.ZipFile(archive) as existing:
                held = set(existing.namelist())
        steps = [Step("update dataset" if held else "create dataset", pkg.slug)]
        for f in pkg.files:
            steps.append(Step("replace file" if f.name in held else "add file", f.name,
                              f"{f.stat().st_size:,} bytes"))
        return steps

    def _apply(self, pkg: DatasetPackage, steps: list[Step]) -> str | None:
        """Write the archive afresh: it holds exactly the package's files."""
        self.folder.mkdir(parents=True, exist_ok=True)
        meta = {"name": pkg.slug, "title": pkg.title, "description": pkg.description,
                "licenses": [{"name": pkg.licence_id, "path": pkg.licence_url}],
                "resources": [{"path": f.name, "bytes": f.stat().st_size} for f in pkg.files]}
        with zipfile.ZipFile(self.folder / f"{pkg.slug}.zip", "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("datapackage.json", json.dumps(meta, indent=2) + "\n")
            for f in pkg.files:
                archive.write(f, f.name)
        return self.dataset_url(pkg)
