"""Fixtures for this folder's tests: the real SMTP server and the GOV.UK Notify stand-in (issue 15)."""

from tests.core.notify_servers import notify_standin, smtp_server, starttls_smtp_server

__all__ = ["notify_standin", "smtp_server", "starttls_smtp_server"]
