"""Write requirements.lock: the exact installed versions of everything boroughs[test] needs, recursively.

Run after changing dependencies in pyproject.toml (and installing them): ``python scripts/lock.py``.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def main() -> int:
    seen: dict[str, str] = {}
    queue: list[tuple[str, set[str]]] = [("boroughs", {"test"})]
    while queue:
        name, extras = queue.pop()
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            print(f"not installed: {name}", file=sys.stderr)
            continue
        key = norm(dist.metadata["Name"])
        if key != "boroughs":
            if key in seen and not extras:
                continue
            seen[key] = dist.version
        for raw in dist.requires or []:
            req = Requirement(raw)
            env = {"extra": ""}
            if req.marker and not any(req.marker.evaluate({"extra": e}) for e in (extras or {""})) \
                    and not req.marker.evaluate(env):
                continue
            if norm(req.name) not in seen:
                queue.append((req.name, set(req.extras)))
    lines = [f"{k}=={v}" for k, v in sorted(seen.items())]
    (ROOT / "requirements.lock").write_text(
        "# Exact versions for boroughs[test]; regenerate with `python scripts/lock.py`.\n" + "\n".join(lines) + "\n"
    )
    print(f"requirements.lock: {len(lines)} packages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
