"""Signed checkpoints of the audit trail, kept outside the database (issue 11).

A checkpoint is one JSON line: the time, the newest entry's id and seal (``head_id``, ``head_hash``), how many
entries there were up to it (``count``), the previous checkpoint's signature (``prev``), and an HMAC-SHA-256
of all of these under the audit key (``mac``). Lines are only ever appended (the file is opened with
``O_APPEND``; in production make it append-only with ``chattr +a`` or keep it on write-once storage, and ship
it to the council's log store).

They are written:
- after a commit that added audit entries, when ``BOROUGHS_AUDIT_CHECKPOINT_EVERY`` entries have been added
  since this process's last checkpoint, or ``BOROUGHS_AUDIT_CHECKPOINT_MINUTES`` have passed, or the file
  has no checkpoint yet;
- every minute by the web server when the trail has grown and the interval has passed, and when it stops;
- by ``boroughs admin audit-checkpoint`` (run it from the scheduler, and after ``verify-audit``).

``boroughs.core.audit.verify`` checks every checkpoint's signature and that the database still holds the
entry and the count each one names, so deleting the newest entries, or all of them, is caught.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import hmac
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from boroughs.config import get_settings
from boroughs.core.models import AuditEvent

log = logging.getLogger("boroughs.audit")
FIELDS = ("at", "head_id", "head_hash", "count", "prev")


@dataclass(frozen=True)
class Checkpoint:
    at: str
    head_id: int
    head_hash: str
    count: int
    prev: str
    mac: str


def checkpoint_path() -> Path:
    return Path(get_settings().audit_checkpoint_file)


def _sign(key: bytes, body: dict[str, object]) -> str:
    blob = json.dumps({k: body[k] for k in FIELDS}, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key, b"checkpoint:" + blob, hashlib.sha256).hexdigest()


def read_checkpoints(key: bytes, path: Path | None = None) -> tuple[list[Checkpoint], list[str]]:
    """The valid checkpoints, oldest first, and a problem for each line that is forged, out of order or missing."""
    path = path or checkpoint_path()
    found: list[Checkpoint] = []
    problems: list[str] = []
    if not path.exists():
        return found, problems
    prev = ""
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            body = json.loads(line)
            cp = Checkpoint(**{k: body[k] for k in (*FIELDS, "mac")})
        except (ValueError, KeyError, TypeError):
            problems.append(f"line {n} of the checkpoint file {path} is not a checkpoint")
            continue
        if not hmac.compare_digest(_sign(key, body), cp.mac):
            problems.append(f"line {n} of the checkpoint file {path} has a wrong signature (forged, or another key)")
            continue
        if cp.prev != prev:
            problems.append(f"line {n} of the checkpoint file {path} does not follow the line before it "
                            "(checkpoints were removed)")
        if found and (cp.count < found[-1].count or cp.head_id < found[-1].head_id):
            problems.append(f"line {n} of the checkpoint file {path} counts fewer entries than the one before it")
        found.append(cp)
        prev = cp.mac
    return found, problems


def _last_line(path: Path) -> dict[str, object] | None:
    if not path.exists():
        return None
    with path.open("rb") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        f.seek(max(0, size - 4096))
        lines = [x for x in f.read().splitlines() if x.strip()]
    if not lines:
        return None
    try:
        body: dict[str, object] = json.loads(lines[-1])
        return body
    except ValueError:
        return None


def write_checkpoint(engine: Engine, *, force: bool = False, path: Path | None = None) -> Checkpoint | None:
    """Append a checkpoint of the trail's current head (nothing when the head has not moved, unless ``force``)
    to ``path`` (default: the configured checkpoint file)."""
    from boroughs.core.audit_key import audit_key

    key = audit_key()
    path = path or checkpoint_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # one writer at a time, across processes
        last = _last_line(path)
        last_id = int(last["head_id"]) if last else 0  # type: ignore[call-overload]
        with engine.connect() as conn:
            head = conn.execute(select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()
            if head is None or (head.id <= last_id and not force):
                return None
            if last and head.id >= last_id:
                # count incrementally from the last checkpoint: cheap, and a deletion before it still shows
                added = conn.scalar(select(func.count()).select_from(AuditEvent).where(
                    AuditEvent.id > last_id, AuditEvent.id <= head.id)) or 0
                count = int(last["count"]) + int(added)  # type: ignore[call-overload]
            else:
                count = int(conn.scalar(select(func.count()).select_from(AuditEvent).where(
                    AuditEvent.id <= head.id)) or 0)
        body: dict[str, object] = {
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "head_id": int(head.id), "head_hash": str(head.hash), "count": count,
            "prev": str(last["mac"]) if last else "",
        }
        body["mac"] = _sign(key, body)
        os.write(fd, (json.dumps(body, sort_keys=True) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    _STATE.pop(str(path), None)
    return Checkpoint(**body)  # type: ignore[arg-type]


# ---- when to write: per process, per checkpoint file ------------------------------------------------

_STATE: dict[str, tuple[int, float]] = {}  # path -> (entries since this process's last checkpoint, its time)
_LOCK = threading.Lock()


def _due(path: Path, appended: int) -> bool:
    s = get_settings()
    with _LOCK:
        since, at = _STATE.get(str(path), (0, 0.0))
        if at == 0.0:
            last = _last_line(path)
            if last is None:
                _STATE[str(path)] = (since + appended, time.time())
                return True
            try:
                at = dt.datetime.fromisoformat(str(last["at"])).timestamp()
            except (KeyError, ValueError):
                at = 0.0
        since += appended
        due = since >= s.audit_checkpoint_every or time.time() - at >= s.audit_checkpoint_minutes * 60
        _STATE[str(path)] = (since, at)
        return due


def maybe_write(engine: Engine, appended: int = 0, path: Path | None = None) -> None:
    """Write a checkpoint if one is due; never fails the caller (the entries are already committed)."""
    path = path or checkpoint_path()
    try:
        if _due(path, appended):
            write_checkpoint(engine, path=path)
    except Exception:
        log.exception("could not write an audit checkpoint to %s", path)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    appended = session.info.pop("audit_appended", 0)
    if appended:
        bind = session.get_bind()
        engine = bind if isinstance(bind, Engine) else bind.engine
        maybe_write(engine, appended)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("audit_appended", None)
