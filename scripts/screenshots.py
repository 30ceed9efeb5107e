"""Take the README's screenshots of a running demo deployment with headless Chromium.

    BOROUGHS_DEMO_MODE=true boroughs demo seed && BOROUGHS_DEMO_MODE=true boroughs serve --port 8000 &
    python scripts/screenshots.py --base http://127.0.0.1:8000

Writes PNGs into docs/screenshots/. Each shot is (file, account or None, path, optional wait selector).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

from boroughs.core.auth import DEMO_PASSWORD

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
SHOTS: list[tuple[str, str | None, str, str | None]] = [
    ("home.png", None, "/", None),
    ("sign-in.png", None, "/sign-in", None),
    ("admin.png", "admin@demo.boroughs.test", "/admin", None),
    ("admin-organisation.png", "admin@newham.demo.boroughs.test", "/admin", None),
    ("map.png", None, "/map", "body[data-map-ready='1']"),
    ("map-profile.png", None, "/map?borough=E09000025&area=E01003480", "body[data-map-ready='1']"),
    ("map-weights.png", None, "/map?w=access:3,affordability:1,skills:1,language:0,age:1", "body[data-map-ready='1']"),
    ("map-area-types.png", None, "/map?layer=area_type", "body[data-map-ready='1']"),
    ("map-table.png", None, "/map/table?borough=E09000025", None),
    ("map-borough.png", None, "/map/boroughs/E09000025", None),
    ("map-area.png", None, "/map/areas/E01003480", None),
    ("map-gaps.png", None, "/map?layer=gap&borough=E09000025", "body[data-provision-ready='1']"),
    ("map-gaps-table.png", None, "/map/gaps?borough=E09000025", None),
]
ARGS = ["--no-sandbox", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for name, account, path, wait_for in SHOTS:
            if args.only and name not in args.only:
                continue
            ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
            page = ctx.new_page()
            if account:
                page.goto(args.base + "/sign-in")
                page.get_by_label("Email address").fill(account)
                page.get_by_label("Password").fill(DEMO_PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_load_state()
            page.goto(args.base + path)
            if wait_for:
                page.wait_for_selector(wait_for, timeout=30000)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(OUT / name), full_page=False)
            print("wrote", OUT / name)
            ctx.close()
        browser.close()


if __name__ == "__main__":
    main()
