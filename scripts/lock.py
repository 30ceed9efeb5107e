"""Write the two hash-checked locks from pyproject.toml with uv's resolver.

- ``requirements.lock``: what the app needs to run (``make demo``, ``make serve``).
- ``requirements-test.lock``: the app plus the ``pdf``, ``spark`` and ``test`` extras (``make test``).

Versions already in the locks are kept (they are passed to the resolver as constraints), so a new
dependency does not silently upgrade everything else; name a package with ``--upgrade NAME`` (repeatable)
to let it move, or ``--upgrade-all``. Run after changing dependencies in pyproject.toml::

    python scripts/lock.py [--upgrade NAME ...] [--upgrade-all]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKS = {"requirements.lock": [], "requirements-test.lock": ["pdf", "spark", "test"]}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def current_pins(upgrade: set[str]) -> list[str]:
    pins: dict[str, str] = {}
    for lock in LOCKS:
        path = ROOT / lock
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            m = PIN.match(line.strip())
            if m and norm(m.group(1)) not in upgrade:
                pins.setdefault(norm(m.group(1)), m.group(2))
    return [f"{k}=={v}" for k, v in sorted(pins.items())]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--upgrade", action="append", default=[], metavar="NAME")
    parser.add_argument("--upgrade-all", action="store_true")
    args = parser.parse_args()
    pins = [] if args.upgrade_all else current_pins({norm(n) for n in args.upgrade})
    constraints = ROOT / "build" / "lock-constraints.txt"  # a fixed path, so the locks' comments are stable
    constraints.parent.mkdir(exist_ok=True)
    constraints.write_text("\n".join(pins) + "\n")
    for lock, extras in LOCKS.items():
        cmd = ["uv", "pip", "compile", "pyproject.toml", "--quiet", "--generate-hashes", "--python-version", "3.11",
               "--constraint", str(constraints.relative_to(ROOT)), "--custom-compile-command", "python scripts/lock.py",
               "--output-file", lock]
        for extra in extras:
            cmd += ["--extra", extra]
        subprocess.run(cmd, cwd=ROOT, check=True)
        count = sum(1 for line in (ROOT / lock).read_text().splitlines() if PIN.match(line))
        print(f"{lock}: {count} packages, each with its hashes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
