"""The audit trail's HMAC key (issue 11): from ``BOROUGHS_AUDIT_KEY`` or ``BOROUGHS_AUDIT_KEY_FILE``, kept
outside the database; the published demo key only in demo mode."""

from __future__ import annotations

from functools import lru_cache

from boroughs.config import get_settings
from boroughs.core.errors import BoroughsError

# The key used in demo mode when none is set. It is published here, so a demo deployment's trail is not
# protected against anyone who can write to its database: set BOROUGHS_AUDIT_KEY wherever that matters.
DEMO_AUDIT_KEY = "boroughs-demo-audit-key-published-not-secret"


class AuditKeyMissing(BoroughsError):
    """No audit key outside demo mode: Boroughs refuses to start."""


@lru_cache
def _key_for(value: str, path: str | None, demo: bool) -> bytes:
    if value:
        key = value.encode()
    elif path:
        try:
            key = open(path, "rb").read().strip()  # noqa: SIM115
        except OSError as exc:
            raise AuditKeyMissing(f"cannot read the audit key file {path}: {exc.strerror}") from exc
        if not key:
            raise AuditKeyMissing(f"the audit key file {path} is empty")
    elif demo:
        key = DEMO_AUDIT_KEY.encode()
    else:
        raise AuditKeyMissing(
            "no audit key: set BOROUGHS_AUDIT_KEY (or BOROUGHS_AUDIT_KEY_FILE) to a long random value kept "
            "outside the database, e.g. python -c \"import secrets; print(secrets.token_urlsafe(48))\""
        )
    if len(key) < 16 and not demo:
        raise AuditKeyMissing("the audit key is too short: use at least 32 random characters")
    return key


def audit_key() -> bytes:
    """The audit trail's HMAC key; raises ``AuditKeyMissing`` outside demo mode when none is configured."""
    s = get_settings()
    return _key_for(s.audit_key, str(s.audit_key_file) if s.audit_key_file else None, s.demo_mode)
