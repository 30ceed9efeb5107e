"""The security headers every response carries (issue 11): a strict Content-Security-Policy, HSTS when
cookies are secure, a Permissions-Policy, and the usual others.

The policy allows scripts, styles, fonts and images from this site only: no inline script (but one: the
GOV.UK Frontend page template's own line that marks the page as able to run its components, allowed by
its hash), no inline ``style=`` attributes, no ``eval``. What the map needs is allowed explicitly: MapLibre GL JS starts its
workers from ``blob:`` URLs and draws into canvases read back as ``data:``/``blob:`` images, and the
optional basemap's tile server (``BOROUGHS_BASEMAP_URL``) is allowed for images and fetches. The API
explorer at ``/api/docs`` is Swagger UI vendored from its pinned npm package and started from a static file:
its page keeps the same policy except that it allows inline styles, which Swagger UI sets as it draws.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from boroughs.config import Settings

PERMISSIONS_POLICY = ("accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
                      "payment=(), usb=(), interest-cohort=()")


def _origin(url: str) -> str:
    parts = urlsplit(url.replace("{s}", "a").replace("{z}", "0").replace("{x}", "0").replace("{y}", "0"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


@cache
def govuk_template_script() -> str:
    """The CSP source for the inline script of GOV.UK Frontend's page template (it adds the class
    ``govuk-frontend-supported`` to the body; without it, GOV.UK Frontend's components do not start)."""
    import govuk_frontend_jinja

    template = Path(govuk_frontend_jinja.__file__).parent / "templates" / "template.html"
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", template.read_text(encoding="utf-8"), re.S)
    if len(scripts) != 1:
        raise RuntimeError(f"{template} has {len(scripts)} inline scripts; expected one")
    return "'sha256-" + base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode() + "'"


def content_security_policy(settings: Settings) -> str:
    tiles = _origin(settings.basemap_url) if settings.basemap_url else ""
    extra = f" {tiles}" if tiles else ""
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' {govuk_template_script()}",
        "style-src 'self'",
        f"img-src 'self' data: blob:{extra}",
        "font-src 'self'",
        f"connect-src 'self'{extra}",
        "worker-src 'self' blob:",
        "child-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def docs_policy() -> str:
    return (f"default-src 'self'; script-src 'self' {govuk_template_script()}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'")


def headers_for(settings: Settings) -> list[tuple[bytes, bytes]]:
    found = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
        (b"content-security-policy", content_security_policy(settings).encode()),
        (b"permissions-policy", PERMISSIONS_POLICY.encode()),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"cross-origin-resource-policy", b"same-origin"),
    ]
    if settings.secure_cookies:
        found.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    return found
