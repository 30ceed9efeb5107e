"""PDFs of the briefing pages, printed by headless Chromium.

The PDF is the print-ready HTML page printed by headless Chromium (through Playwright, the optional
``boroughs[pdf]`` extra, driving the
system's Chromium: ``BOROUGHS_CHROMIUM``, default ``/usr/bin/chromium``), so the PDF and the page never
disagree. It works offline: Chromium loads the page from this server and nothing else.
"""

from __future__ import annotations

import importlib.util
import shutil
import threading
from collections import OrderedDict
from pathlib import Path

CHROMIUM_ARGS = ["--no-sandbox", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-gpu"]
_pdf_cache: OrderedDict[str, bytes] = OrderedDict()
_pdf_lock = threading.Lock()


class PdfUnavailable(RuntimeError):
    """Chromium (or Playwright) is not installed, so PDFs cannot be made here."""


def chromium_path() -> str:
    from boroughs.config import get_settings

    configured = get_settings().chromium
    if Path(configured).exists():
        return configured
    found = shutil.which(configured) or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise PdfUnavailable("PDFs need Chromium: install it (apt-get install -y chromium) or set BOROUGHS_CHROMIUM "
                             "to its path. The print-ready page works without it: use your browser's Print.")
    return found


PDF_EXTRA_MISSING = ("PDF briefings are switched off on this server: they need the optional PDF extra. Ask your "
                     "IT team to run  pip install 'boroughs[pdf]'  and install Chromium (apt-get install -y chromium). "
                     "Until then, use Print and choose 'Save as PDF'.")


def pdf_unavailable() -> str | None:
    """Why this server cannot make PDFs (the ``pdf`` extra or Chromium is missing), or ``None`` when it can."""
    if importlib.util.find_spec("playwright") is None:
        return PDF_EXTRA_MISSING
    try:
        chromium_path()
    except PdfUnavailable as exc:
        return str(exc)
    return None


def pdf_from_url(url: str, cache_key: str | None = None) -> bytes:
    """Print ``url`` to an A4 PDF with headless Chromium (one browser per PDF; cached by ``cache_key``)."""
    reason = pdf_unavailable()  # checked first, so the answer never depends on what an earlier request cached
    if reason:
        raise PdfUnavailable(reason)
    if cache_key and cache_key in _pdf_cache:
        return _pdf_cache[cache_key]
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with _pdf_lock, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(url, wait_until="networkidle")
            page.emulate_media(media="print")
            pdf = page.pdf(format="A4", print_background=True,
                           margin={"top": "15mm", "bottom": "15mm", "left": "12mm", "right": "12mm"})
        finally:
            browser.close()
    if cache_key:
        _pdf_cache[cache_key] = pdf
        while len(_pdf_cache) > 32:
            _pdf_cache.popitem(last=False)
    return pdf
