"""``boroughs serve --workers N`` (issue 11): N server processes on one port, each with its own app, and a
worker that dies is replaced. A real server, started as a council would start it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _workers(pid: int) -> list[int]:
    """The server's worker processes (uvicorn's supervisor may also have a resource-tracker child)."""
    return [c for c in _children(pid) if "resource_tracker" not in Path(f"/proc/{c}/cmdline").read_text()]


def _wait(predicate, seconds: float = 90) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _answers(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def server(tmp_path: Path):  # type: ignore[no-untyped-def]
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}", "BOROUGHS_MAP_PRELOAD": "false",
           "BOROUGHS_OUT_DIR": str(tmp_path / "out"), "BOROUGHS_WORKERS": "2"}
    proc = subprocess.Popen([sys.executable, "-m", "boroughs", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield proc, f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_runs_the_configured_number_of_processes_and_replaces_one_that_dies(server) -> None:  # type: ignore[no-untyped-def]
    proc, url = server
    assert _wait(lambda: _answers(url)), "the server did not answer /healthz"
    assert _wait(lambda: len(_workers(proc.pid)) == 2, 30), _workers(proc.pid)
    first = sorted(_workers(proc.pid))
    os.kill(first[0], signal.SIGKILL)
    assert _wait(lambda: len(_workers(proc.pid)) == 2 and first[0] not in _workers(proc.pid), 60)
    assert _wait(lambda: _answers(url), 30)
    proc.terminate()
    assert proc.wait(timeout=30) == 0
    assert not Path(f"/proc/{first[1]}").exists()  # the workers stopped with it
