"""Briefings: a distribution chart drawn as SVG, and PDFs printed from the briefing pages by Chromium.

The PDF is the print-ready HTML page printed by headless Chromium (through Playwright, the optional
``boroughs[pdf]`` extra, driving the
system's Chromium: ``BOROUGHS_CHROMIUM``, default ``/usr/bin/chromium``), so the PDF and the page never
disagree. It works offline: Chromium loads the page from this server and nothing else.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

CHROMIUM_ARGS = ["--no-sandbox", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-gpu"]
_pdf_cache: OrderedDict[str, bytes] = OrderedDict()
_pdf_lock = threading.Lock()


class PdfUnavailable(RuntimeError):
    """Chromium (or Playwright) is not installed, so PDFs cannot be made here."""


def chromium_path() -> str:
    configured = os.environ.get("BOROUGHS_CHROMIUM", "/usr/bin/chromium")
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


def histogram_svg(values: list[float], london: list[float], *, bins: int = 20, title: str = "",
                  width: int = 600, height: int = 220) -> str:
    """An SVG histogram of ``values`` (bars, as shares of the areas) with London's shape as a line."""
    if not values or not london:
        return ""
    lo, hi = float(np.min(london)), float(np.max(london))
    if hi <= lo:
        hi = lo + 1
    edges = np.linspace(lo, hi, bins + 1)
    ours = np.histogram(values, edges)[0] / len(values)
    theirs = np.histogram(london, edges)[0] / len(london)
    top = max(float(ours.max()), float(theirs.max())) or 1.0
    pad_l, pad_b, pad_t = 44, 34, 10
    plot_w, plot_h = width - pad_l - 10, height - pad_b - pad_t
    bw = plot_w / bins
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="map-chart" viewBox="0 0 {width} {height}" '
             f'font-family="arial, sans-serif" role="img" aria-labelledby="chart-title chart-desc" width="100%">',
             f'<title id="chart-title">{_esc(title)}</title>',
             '<desc id="chart-desc">Bars: the share of this borough\'s areas in each band of the score. '
             'Line: the same for all of London. Higher scores (right) mean a greater risk.</desc>']
    for i, share in enumerate(ours):
        h = share / top * plot_h
        x = pad_l + i * bw
        parts.append(f'<rect x="{x + 1:.1f}" y="{pad_t + plot_h - h:.1f}" width="{bw - 2:.1f}" height="{h:.1f}" '
                     f'fill="#1d70b8"/>')
    points = " ".join(f"{pad_l + (i + 0.5) * bw:.1f},{pad_t + plot_h - s / top * plot_h:.1f}"
                      for i, s in enumerate(theirs))
    parts.append(f'<polyline points="{points}" fill="none" stroke="#0b0c0c" stroke-width="2.5" '
                 f'stroke-dasharray="6 3"/>')
    parts.append(f'<line x1="{pad_l}" y1="{pad_t + plot_h}" x2="{pad_l + plot_w}" y2="{pad_t + plot_h}" '
                 f'stroke="#0b0c0c"/>')
    for frac in (0, 0.5, 1):
        x = pad_l + frac * plot_w
        parts.append(f'<text x="{x:.1f}" y="{height - 14}" font-size="13" text-anchor="middle" fill="#0b0c0c">'
                     f'{lo + frac * (hi - lo):.2f}</text>')
    parts.append(f'<text x="{pad_l + plot_w / 2:.1f}" y="{height - 1}" font-size="13" text-anchor="middle" '
                 f'fill="#0b0c0c">Overall score (higher = greater risk)</text>')
    parts.append(f'<text x="4" y="{pad_t + 12}" font-size="13" fill="#0b0c0c">{top:.0%}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
