"""The map API's fast path never touches a file on the event loop (issue 11's rule): cold or warm, every file
open and stat happens in the thread pool."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from boroughs.core.db import make_engine
from boroughs.core.migrate import upgrade
from tests.browser.conftest_map import map_env, map_index_dir  # noqa: F401  (fixtures)

API = "/api/v1/inclusion"
_recording: list[list[str]] = []  # while a test records: what was touched on a thread running an event loop


def _on_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if _recording and event == "open" and _on_loop():
        _recording[-1].append(f"open {args[0]}")


sys.addaudithook(_hook)  # audit hooks cannot be removed; it records only while a test asks it to


@pytest.fixture
def touched(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    seen: list[str] = []
    real_stat = os.stat

    def stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        if _recording and _on_loop():
            seen.append(f"stat {path}")
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    _recording.append(seen)
    yield seen
    _recording.pop()


@pytest.fixture(scope="module")
def client(map_env: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:  # noqa: F811
    from boroughs.app import create_app

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('maploop') / 'app.db'}")
    upgrade(engine)
    with TestClient(create_app(engine)) as c:
        yield c
    engine.dispose()


def test_cold_and_warm_map_requests_touch_no_file_on_the_event_loop(client: TestClient,
                                                                    touched: list[str]) -> None:
    from boroughs.inclusion.map.loading import clear_cache

    clear_cache()  # the first request after this must load the index: in the thread pool
    code = client.get(API + "/map-data").json()["codes"][0]
    for _ in range(2):  # cold, then warm
        for path in ("/map-data", "/boundaries/lsoa21.topojson", "/layers/score/values", f"/areas/{code}"):
            assert client.get(API + path).status_code == 200, path
    assert client.get(API + "/boundaries/nowhere.topojson").status_code == 404
    assert touched == []


def test_the_recorder_catches_a_file_read_on_the_event_loop(tmp_path: Path, touched: list[str]) -> None:
    path = tmp_path / "x.txt"
    path.write_text("x")

    async def reads_on_the_loop() -> str:
        path.is_file()
        return path.read_text()

    assert asyncio.run(reads_on_the_loop()) == "x"
    assert any(t.startswith("stat ") for t in touched) and any(t.startswith("open ") for t in touched)
