"""What a briefing shows beside the figures: the distribution chart (SVG) and the page printed as a PDF."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import Request, Response

from boroughs.core.errors import NotFound
from boroughs.inclusion.map.index import MapIndex
from boroughs.inclusion.web import pdf


def chart(data: dict[str, Any]) -> str:
    """The borough's scores against London's (``data``: a borough summary)."""
    return histogram_svg(data["scores"], data["london_scores"],
                         title=f"How {data['name']}'s areas compare with London's")


def pdf_response(request: Request, path: str, index: MapIndex, query: str) -> Response:
    """The page at ``path`` (with ``query``, the weights) printed as a PDF by this server's Chromium."""
    base = str(request.base_url).rstrip("/")
    url = base + path + query + ("&" if query else "?") + "print=1"
    try:
        body = pdf.pdf_from_url(url, cache_key=f"{index.version}|{path}|{query}")
    except pdf.PdfUnavailable as exc:
        raise NotFound(str(exc)) from exc
    name = path.strip("/").replace("/", "-")
    return Response(body, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}.pdf"'})


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
