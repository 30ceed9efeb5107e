"""Publish datasets (the 360Giving grants file, the replication register, a project's open data) to a
data catalogue: CKAN, DataPress (which runs the London Datastore) or a local folder.

One abstract :class:`Publisher` with a backend per catalogue. Every backend first works out a *plan*
(reading only: does the dataset exist, which files would be added or replaced); a dry run stops there
and reports the plan. HTTP goes through an ``httpx.Client`` that tests replace with recorded responses.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from boroughs.core.errors import BoroughsError, ValidationFailed
from boroughs.fund._common import check_slug


class PublishError(BoroughsError):
    """The catalogue refused or failed; the message says what it said and what to try."""


@dataclass(frozen=True)
class DatasetPackage:
    slug: str
    title: str
    description: str
    files: tuple[Path, ...]
    licence_id: str = "CC-BY-4.0"
    licence_url: str = "https://creativecommons.org/licenses/by/4.0/"
    tags: tuple[str, ...] = ()
    organisation: str | None = None  # CKAN: the owning organisation's name

    def check(self) -> None:
        check_slug(self.slug, "dataset")
        if not self.title.strip():
            raise ValidationFailed("Give the dataset a title.")
        if not self.files:
            raise ValidationFailed("Choose at least one file to publish.")
        for f in self.files:
            if not f.is_file():
                raise ValidationFailed(f"{f}: file not found.")
        names = [f.name for f in self.files]
        if len(names) != len(set(names)):
            raise ValidationFailed("Two files have the same name; rename one.")


@dataclass(frozen=True)
class Step:
    action: str  # create dataset | update dataset | add file | replace file
    target: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.action}: {self.target}" + (f" ({self.detail})" if self.detail else "")


@dataclass
class PublishResult:
    backend: str
    dry_run: bool
    steps: list[Step] = field(default_factory=list)
    url: str | None = None

    def summary(self) -> str:
        head = f"{'Would' if self.dry_run else 'Did'} publish to {self.backend}"
        lines = [head + (f" at {self.url}" if self.url else "") + ":"]
        lines += [f"  - {s}" for s in self.steps]
        return "\n".join(lines)


class Publisher(ABC):
    """A catalogue backend."""

    name: str = "publisher"

    @abstractmethod
    def plan(self, pkg: DatasetPackage) -> list[Step]:
        """What publishing ``pkg`` would do (reads only)."""

    @abstractmethod
    def _apply(self, pkg: DatasetPackage, steps: list[Step]) -> str | None:
        """Carry out the plan; return the dataset's address."""

    def dataset_url(self, pkg: DatasetPackage) -> str | None:
        return None

    def publish(self, pkg: DatasetPackage, *, dry_run: bool = False) -> PublishResult:
        pkg.check()
        steps = self.plan(pkg)
        if dry_run:
            return PublishResult(self.name, True, steps, self.dataset_url(pkg))
        url = self._apply(pkg, steps)
        return PublishResult(self.name, False, steps, url)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --- local folder --------------------------------------------------------------------------------

class LocalPublisher(Publisher):
    """Writes ``<root>/<slug>/`` with the files and a ``datapackage.json`` (Frictionless Data Package)."""

    name = "local folder"

    def __init__(self, root: Path) -> None:
        self.root = root

    def dataset_url(self, pkg: DatasetPackage) -> str | None:
        return str(self.root / pkg.slug)

    def plan(self, pkg: DatasetPackage) -> list[Step]:
        folder = self.root / pkg.slug
        steps = [Step("update dataset" if (folder / "datapackage.json").exists() else "create dataset", pkg.slug)]
        for f in pkg.files:
            steps.append(Step("replace file" if (folder / f.name).exists() else "add file", f.name,
                              f"{f.stat().st_size:,} bytes"))
        return steps

    def _apply(self, pkg: DatasetPackage, steps: list[Step]) -> str | None:
        folder = self.root / pkg.slug
        folder.mkdir(parents=True, exist_ok=True)
        resources = []
        for f in pkg.files:
            shutil.copyfile(f, folder / f.name)
            resources.append({"name": f.stem.lower().replace("_", "-"), "path": f.name,
                              "bytes": f.stat().st_size, "hash": f"sha256:{_sha256(f)}"})
        meta = {"name": pkg.slug, "title": pkg.title, "description": pkg.description,
                "licenses": [{"name": pkg.licence_id, "path": pkg.licence_url}],
                "keywords": list(pkg.tags), "resources": resources}
        (folder / "datapackage.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        return str(folder)


# --- CKAN ----------------------------------------------------------------------------------------

class CKANPublisher(Publisher):
    """CKAN's Action API (``/api/3/action/...``): package_show, package_create, package_patch,
    resource_create and resource_update with file uploads."""

    name = "CKAN"

    def __init__(self, base_url: str, api_key: str, client: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client or httpx.Client(timeout=60)
        self.headers = {"Authorization": api_key}
        self._existing: dict[str, Any] | None = None

    def dataset_url(self, pkg: DatasetPackage) -> str | None:
        return f"{self.base_url}/dataset/{pkg.slug}"

    def _call(self, action: str, *, params: dict[str, Any] | None = None, json_body: dict[str, Any] | None = None,
              data: dict[str, Any] | None = None, files: dict[str, Any] | None = None,
              missing_ok: bool = False) -> Any:
        url = f"{self.base_url}/api/3/action/{action}"
        try:
            if params is not None:
                r = self.client.get(url, params=params, headers=self.headers)
            else:
                r = self.client.post(url, json=json_body, data=data, files=files, headers=self.headers)
        except httpx.HTTPError as e:
            raise PublishError(f"Could not reach CKAN at {self.base_url}: {e}. Check the address and try again.") from None
        try:
            body = r.json()
        except ValueError:
            raise PublishError(f"CKAN answered {action} with HTTP {r.status_code} and no JSON.") from None
        if body.get("success"):
            return body["result"]
        err = body.get("error") or {}
        if missing_ok and (r.status_code == 404 or err.get("__type") == "Not Found Error"):
            return None
        if r.status_code == 403 or err.get("__type") == "Authorization Error":
            raise PublishError(f"CKAN refused {action}: the API key may not publish to this organisation. "
                               f"CKAN said: {err.get('message', 'not authorised')}")
        details = "; ".join(f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
                            for k, v in err.items() if not k.startswith("__"))
        raise PublishError(f"CKAN refused {action} (HTTP {r.status_code}): {details or err}")

    def plan(self, pkg: DatasetPackage) -> list[Step]:
        self._existing = self._call("package_show", params={"id": pkg.slug}, missing_ok=True)
        steps = [Step("update dataset" if self._existing else "create dataset", pkg.slug)]
        names = {r.get("name"): r for r in (self._existing or {}).get("resources", [])}
        for f in pkg.files:
            steps.append(Step("replace file" if f.name in names else "add file", f.name,
                              f"{f.stat().st_size:,} bytes"))
        return steps

    def _apply(self, pkg: DatasetPackage, steps: list[Step]) -> str | None:
        meta = {"title": pkg.title, "notes": pkg.description, "license_id": pkg.licence_id,
                "tags": [{"name": t} for t in pkg.tags]}
        if self._existing:
            dataset = self._call("package_patch", json_body={"id": self._existing["id"], **meta})
        else:
            body = {"name": pkg.slug, **meta}
            if pkg.organisation:
                body["owner_org"] = pkg.organisation
            dataset = self._call("package_create", json_body=body)
        existing = {r.get("name"): r for r in dataset.get("resources", [])}
        for f in pkg.files:
            with f.open("rb") as fh:
                upload = {"upload": (f.name, fh)}
                if f.name in existing:
                    self._call("resource_update", data={"id": existing[f.name]["id"], "name": f.name},
                               files=upload)
                else:
                    self._call("resource_create", data={"package_id": dataset["id"], "name": f.name},
                               files=upload)
        return self.dataset_url(pkg)


# --- DataPress -----------------------------------------------------------------------------------

class DataPressPublisher(Publisher):
    """DataPress's API v3 (the London Datastore): the dataset is created in DataPress first and
    addressed by its short id; metadata changes are JSON Patch; files go up in chunks through an upload
    session (``POST /api/v3/dataset/{id}/upload`` → ``urlChunk`` and ``urlComplete``)."""

    name = "DataPress"
    CHUNK = 5 * 1024 * 1024

    def __init__(self, base_url: str, api_key: str, dataset_id: str, client: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.dataset_id = dataset_id
        self.client = client or httpx.Client(timeout=60)
        self.headers = {"Authorization": api_key}
        self._dataset: dict[str, Any] | None = None

    def dataset_url(self, pkg: DatasetPackage) -> str | None:
        return f"{self.base_url}/dataset/{self.dataset_id}"

    def _req(self, method: str, url: str, **kw: Any) -> Any:
        if not url.startswith("http"):
            url = f"{self.base_url}{url}"
        try:
            r = self.client.request(method, url, headers=self.headers, **kw)
        except httpx.HTTPError as e:
            raise PublishError(f"Could not reach DataPress at {self.base_url}: {e}.") from None
        try:
            body = r.json()
        except ValueError:
            body = None
        if r.status_code == 404:
            raise PublishError(f"DataPress has no dataset {self.dataset_id!r}. Create the dataset in DataPress "
                               "first, then publish to its id.")
        if r.status_code in (401, 403):
            raise PublishError("DataPress refused the API key: it needs editor rights on this dataset.")
        if r.status_code >= 400:
            msg = body.get("message") if isinstance(body, dict) else r.text[:200]
            raise PublishError(f"DataPress refused the request (HTTP {r.status_code}): {msg}")
        return body

    def plan(self, pkg: DatasetPackage) -> list[Step]:
        self._dataset = self._req("GET", f"/api/v3/dataset/{self.dataset_id}")
        steps = [Step("update dataset", self.dataset_id, pkg.title)]
        by_title = {r.get("title"): rid for rid, r in (self._dataset or {}).get("resources", {}).items()}
        for f in pkg.files:
            steps.append(Step("replace file" if f.name in by_title else "add file", f.name,
                              f"{f.stat().st_size:,} bytes"))
        return steps

    def _apply(self, pkg: DatasetPackage, steps: list[Step]) -> str | None:
        self._req("PATCH", f"/api/v3/dataset/{self.dataset_id}", json=[
            {"op": "replace", "path": "/title", "value": pkg.title},
            {"op": "replace", "path": "/description", "value": pkg.description},
        ])
        by_title = {r.get("title"): rid for rid, r in (self._dataset or {}).get("resources", {}).items()}
        for f in pkg.files:
            size = f.stat().st_size
            parts = max(1, math.ceil(size / self.CHUNK))
            body: dict[str, Any] = {"filename": f.name, "parts": parts, "title": f.name}
            if f.name in by_title:
                body["resource_id"] = by_title[f.name]
            session = self._req("POST", f"/api/v3/dataset/{self.dataset_id}/upload", json=body)
            with f.open("rb") as fh:
                for part in range(parts):
                    self._req("POST", session["urlChunk"], files={"file": (f.name, fh.read(self.CHUNK))},
                              data={"part": str(part)})
            done = self._req("POST", session["urlComplete"])
            if not isinstance(done, dict) or "resource_id" not in done:
                raise PublishError(f"DataPress did not confirm the upload of {f.name}.")
        return self.dataset_url(pkg)


def make_publisher(backend: str, *, url: str | None = None, api_key: str | None = None,
                   dataset_id: str | None = None, root: Path | None = None,
                   client: httpx.Client | None = None) -> Publisher:
    """Build a backend from plain settings (the CLI's options)."""
    if backend == "local":
        if root is None:
            raise ValidationFailed("The local backend needs a folder (--folder).")
        return LocalPublisher(root)
    if backend in ("ckan", "datapress"):
        if not url:
            raise ValidationFailed(f"The {backend} backend needs the catalogue's address (--url).")
        if not api_key:
            raise ValidationFailed(f"The {backend} backend needs an API key: put it in an environment variable "
                                   "and name it with --api-key-env.")
        if backend == "ckan":
            return CKANPublisher(url, api_key, client)
        if not dataset_id:
            raise ValidationFailed("DataPress publishes to an existing dataset: give its id (--dataset-id).")
        return DataPressPublisher(url, api_key, dataset_id, client)
    raise ValidationFailed("Choose a backend: ckan, datapress or local.")
