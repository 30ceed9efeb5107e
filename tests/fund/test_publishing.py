"""Dataset publishing: the same expectations on every backend (local folder, CKAN, DataPress), with HTTP
replayed from recorded responses (tests/fund/recorded) through httpx.MockTransport, never the internet."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from boroughs.core.errors import ValidationFailed
from boroughs.fund.opendata.publishing import (
    CKANPublisher,
    DataPressPublisher,
    DatasetPackage,
    LocalPublisher,
    Publisher,
    PublishError,
    make_publisher,
)

RECORDED = Path(__file__).resolve().parent / "recorded"
CKAN_URL = "https://catalogue.example.org"
DP_URL = "https://data.example.london"


def recorded(name: str) -> dict:
    return json.loads((RECORDED / name).read_text())


class Replay:
    """A transport that answers from recorded JSON and keeps every request it saw."""

    def __init__(self, routes: dict[tuple[str, str], tuple[int, str]]) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = (request.method, request.url.path)
        if key not in self.routes:
            return httpx.Response(599, json={"error": f"unexpected request {key} (not recorded)"})
        status, name = self.routes[key]
        return httpx.Response(status, json=recorded(name))

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))

    def writes(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests if r.method != "GET"]


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, ...]:
    a = tmp_path / "grants.json"
    a.write_text('{"grants": []}')
    b = tmp_path / "register.csv"
    b.write_text("output,borough\nmap,Sutton\n")
    return (a, b)


def pkg(files: tuple[Path, ...]) -> DatasetPackage:
    return DatasetPackage(slug="fund-grants", title="Fund grants", description="Grants as 360Giving data.",
                          files=files, tags=("grants",), organisation="loti")


CKAN_NEW = {
    ("GET", "/api/3/action/package_show"): (404, "ckan/package_show_not_found.json"),
    ("POST", "/api/3/action/package_create"): (200, "ckan/package_create.json"),
    ("POST", "/api/3/action/resource_create"): (200, "ckan/resource_create.json"),
}
CKAN_EXISTING = {
    ("GET", "/api/3/action/package_show"): (200, "ckan/package_show_existing.json"),
    ("POST", "/api/3/action/package_patch"): (200, "ckan/package_patch.json"),
    ("POST", "/api/3/action/resource_update"): (200, "ckan/resource_update.json"),
    ("POST", "/api/3/action/resource_create"): (200, "ckan/resource_create.json"),
}
DATAPRESS = {
    ("GET", "/api/v3/dataset/ab12x"): (200, "datapress/dataset.json"),
    ("PATCH", "/api/v3/dataset/ab12x"): (200, "datapress/patch.json"),
    ("POST", "/api/v3/dataset/ab12x/upload"): (200, "datapress/upload_session.json"),
    ("POST", "/api/v3/upload/u7x1/chunk"): (200, "datapress/patch.json"),
    ("POST", "/api/v3/upload/u7x1/complete"): (200, "datapress/upload_complete.json"),
}


def local(tmp_path: Path) -> tuple[Publisher, Callable[[], list[str]]]:
    root = tmp_path / "catalogue"
    return LocalPublisher(root), lambda: sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) \
        if root.exists() else []


def ckan() -> tuple[Publisher, Callable[[], list[str]]]:
    r = Replay(CKAN_NEW)
    return CKANPublisher(CKAN_URL, "key", r.client()), r.writes


def datapress() -> tuple[Publisher, Callable[[], list[str]]]:
    r = Replay(DATAPRESS)
    return DataPressPublisher(DP_URL, "key", "ab12x", r.client()), r.writes


BACKENDS = ["local", "ckan", "datapress"]


def make(name: str, tmp_path: Path) -> tuple[Publisher, Callable[[], list[str]]]:
    return local(tmp_path) if name == "local" else ckan() if name == "ckan" else datapress()


@pytest.mark.parametrize("backend", BACKENDS)
def test_dry_run_changes_nothing(backend: str, tmp_path: Path, files: tuple[Path, ...]) -> None:
    pub, writes = make(backend, tmp_path)
    result = pub.publish(pkg(files), dry_run=True)
    assert result.dry_run and writes() == []
    assert [s.target for s in result.steps[1:]] == ["grants.json", "register.csv"]
    assert result.summary().startswith("Would publish")


@pytest.mark.parametrize("backend", BACKENDS)
def test_publish_sends_every_file(backend: str, tmp_path: Path, files: tuple[Path, ...]) -> None:
    pub, writes = make(backend, tmp_path)
    result = pub.publish(pkg(files))
    assert not result.dry_run and result.url
    done = writes()
    assert sum("grants.json" in d or "resource" in d or "chunk" in d for d in done) >= 2 or len(done) >= 3


@pytest.mark.parametrize("backend", BACKENDS)
def test_missing_file_is_refused_before_any_request(backend: str, tmp_path: Path) -> None:
    pub, writes = make(backend, tmp_path)
    with pytest.raises(ValidationFailed, match="file not found"):
        pub.publish(pkg((tmp_path / "nope.json",)))
    assert writes() == []


def test_ckan_creates_then_uploads(files: tuple[Path, ...]) -> None:
    r = Replay(CKAN_NEW)
    CKANPublisher(CKAN_URL, "secret", r.client()).publish(pkg(files))
    assert r.writes() == ["POST /api/3/action/package_create", "POST /api/3/action/resource_create",
                          "POST /api/3/action/resource_create"]
    create = json.loads(r.requests[1].content)
    assert create["name"] == "fund-grants" and create["owner_org"] == "loti"
    assert all(req.headers["Authorization"] == "secret" for req in r.requests)
    assert b'filename="grants.json"' in r.requests[2].content


def test_ckan_updates_an_existing_dataset_and_replaces_its_file(files: tuple[Path, ...]) -> None:
    r = Replay(CKAN_EXISTING)
    result = CKANPublisher(CKAN_URL, "k", r.client()).publish(pkg(files))
    assert [str(s) for s in result.steps][:2] == ["update dataset: fund-grants", "replace file: grants.json (14 bytes)"]
    assert r.writes() == ["POST /api/3/action/package_patch", "POST /api/3/action/resource_update",
                          "POST /api/3/action/resource_create"]


def test_ckan_refusals_are_explained(files: tuple[Path, ...]) -> None:
    r = Replay({**CKAN_NEW, ("POST", "/api/3/action/package_create"): (403, "ckan/authorization_error.json")})
    with pytest.raises(PublishError, match="API key may not publish to this organisation"):
        CKANPublisher(CKAN_URL, "k", r.client()).publish(pkg(files))
    r = Replay({**CKAN_NEW, ("POST", "/api/3/action/package_create"): (409, "ckan/validation_error.json")})
    with pytest.raises(PublishError, match="name: That URL is already in use"):
        CKANPublisher(CKAN_URL, "k", r.client()).publish(pkg(files))


def test_datapress_replaces_matching_file_and_adds_new(files: tuple[Path, ...]) -> None:
    r = Replay(DATAPRESS)
    result = DataPressPublisher(DP_URL, "k", "ab12x", r.client()).publish(pkg(files))
    assert [s.action for s in result.steps] == ["update dataset", "replace file", "add file"]
    sessions = [json.loads(q.content) for q in r.requests if q.url.path.endswith("/upload")]
    assert sessions[0]["resource_id"] == "r9k2p" and "resource_id" not in sessions[1]
    patch = json.loads(next(q for q in r.requests if q.method == "PATCH").content)
    assert patch[0] == {"op": "replace", "path": "/title", "value": "Fund grants"}


def test_datapress_unknown_dataset(files: tuple[Path, ...]) -> None:
    r = Replay({("GET", "/api/v3/dataset/ab12x"): (404, "datapress/not_found.json")})
    with pytest.raises(PublishError, match="Create the dataset in DataPress first"):
        DataPressPublisher(DP_URL, "k", "ab12x", r.client()).publish(pkg(files), dry_run=True)


def test_local_writes_a_data_package(tmp_path: Path, files: tuple[Path, ...]) -> None:
    pub = LocalPublisher(tmp_path / "out")
    pub.publish(pkg(files))
    meta = json.loads((tmp_path / "out/fund-grants/datapackage.json").read_text())
    assert [r["path"] for r in meta["resources"]] == ["grants.json", "register.csv"]
    assert meta["resources"][0]["hash"].startswith("sha256:")
    again = pub.publish(pkg(files), dry_run=True)
    assert [s.action for s in again.steps] == ["update dataset", "replace file", "replace file"]


def test_make_publisher_checks_settings(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed, match="API key"):
        make_publisher("ckan", url=CKAN_URL)
    with pytest.raises(ValidationFailed, match="dataset-id"):
        make_publisher("datapress", url=DP_URL, api_key="k")
    with pytest.raises(ValidationFailed, match="ckan, datapress or local"):
        make_publisher("ftp")
    assert isinstance(make_publisher("local", root=tmp_path), LocalPublisher)
