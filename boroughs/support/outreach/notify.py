"""Messages to residents through a pluggable notification backend.

* ``LocalBackend``: keeps messages in memory (and, when given a folder, writes each as a JSON file); for
  tests, demos and councils not yet on a messaging service. It never contacts anyone.
* ``GovUkNotifyBackend``: GOV.UK Notify through GDS's ``notifications-python-client``, which signs each
  request's JSON Web Token. Tested against a local stand-in for Notify's API on 127.0.0.1 (issue 15).

``backend_from_env()`` picks one from the settings: ``BOROUGHS_NOTIFY_API_KEY`` set → Notify (template ids
from ``BOROUGHS_NOTIFY_TEMPLATE_OUTREACH_INTRO`` / ``..._OUTREACH_MISSED``); otherwise local
(``BOROUGHS_NOTIFY_OUTBOX`` names an optional folder).

These messages to residents are sent while the officer waits, and recorded as outreach notifications;
messages to staff go through the outbox in ``boroughs.core.notify``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

from boroughs.config import get_settings
from boroughs.core.notify.backends import notify_failure

CHANNELS = ("email", "sms", "letter")
NOTIFY_URL = "https://api.notifications.service.gov.uk"

# The messages outreach sends; text used by the local backend and as the suggested Notify template.
TEMPLATES: dict[str, str] = {
    "outreach_intro": ("Hello ((first_name)). This is ((council)). We are getting in touch with some residents "
                       "to make sure they know about the help available with bills, food and money. An officer "
                       "would like to talk to you: call ((phone)) or reply to this message. You do not have to."),
    "outreach_missed": ("Hello ((first_name)). ((council)) tried to reach you about help that may be available. "
                        "Call ((phone)) when it suits you."),
}


class NotifyError(Exception):
    """The backend refused or could not send the message; the text says why."""


@dataclass
class SendResult:
    backend: str
    reference: str
    status: str = "sent"
    detail: dict[str, Any] = field(default_factory=dict)


class NotificationBackend(Protocol):
    name: str

    def send(self, channel: str, template: str, to: str | dict[str, str], personalisation: dict[str, str],
             reference: str) -> SendResult: ...  # pragma: no cover


def render_template(template: str, personalisation: dict[str, str]) -> str:
    text = TEMPLATES[template]
    for k, v in personalisation.items():
        text = text.replace(f"(({k}))", v)
    return text


class LocalBackend:
    name = "local"

    def __init__(self, outbox: Path | None = None) -> None:
        self.outbox = outbox
        self.sent: list[dict[str, Any]] = []

    def send(self, channel: str, template: str, to: str | dict[str, str], personalisation: dict[str, str],
             reference: str) -> SendResult:
        if channel not in CHANNELS:
            raise NotifyError(f"unknown channel {channel!r}: use email, sms or letter")
        if template not in TEMPLATES:
            raise NotifyError(f"unknown template {template!r}")
        msg_id = str(uuid.uuid4())
        message = {"id": msg_id, "channel": channel, "template": template, "to": to, "reference": reference,
                   "body": render_template(template, personalisation)}
        self.sent.append(message)
        if self.outbox is not None:
            self.outbox.mkdir(parents=True, exist_ok=True)
            (self.outbox / f"{msg_id}.json").write_text(json.dumps(message, indent=2), encoding="utf-8")
        return SendResult(self.name, msg_id, "sent", {"body": message["body"]})


class GovUkNotifyBackend:
    """GOV.UK Notify through GDS's ``notifications-python-client`` (which signs the request's JWT)."""

    name = "govuk_notify"

    def __init__(self, api_key: str, template_ids: dict[str, str], *, base_url: str = NOTIFY_URL,
                 timeout: float = 10.0) -> None:
        if len(api_key) < 74:
            raise NotifyError("the GOV.UK Notify API key is too short: copy the whole key from Notify's API page")
        self.api_key = api_key
        self.template_ids = template_ids
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def send(self, channel: str, template: str, to: str | dict[str, str], personalisation: dict[str, str],
             reference: str) -> SendResult:
        if channel not in CHANNELS:
            raise NotifyError(f"unknown channel {channel!r}: use email, sms or letter")
        template_id = self.template_ids.get(template)
        if not template_id:
            raise NotifyError(f"no GOV.UK Notify template id for {template!r}: set "
                              f"BOROUGHS_NOTIFY_TEMPLATE_{template.upper()}")
        # the client is not thread-safe: one per message
        client = NotificationsAPIClient(self.api_key, base_url=self.base_url, timeout=self.timeout)
        try:
            if channel == "email":
                data = client.send_email_notification(email_address=to, template_id=template_id,
                                                      personalisation=personalisation, reference=reference)
            elif channel == "sms":
                data = client.send_sms_notification(phone_number=to, template_id=template_id,
                                                    personalisation=personalisation, reference=reference)
            else:
                if not isinstance(to, dict):
                    raise NotifyError("a letter needs an address (address_line_1 ... and postcode)")
                data = client.send_letter_notification(template_id=template_id,
                                                       personalisation={**to, **personalisation},
                                                       reference=reference)
        except APIError as exc:
            raise NotifyError(str(notify_failure(exc))) from None
        return SendResult(self.name, str(data.get("id")), "sent", {"notify_reference": data.get("reference")})


def backend_from_env() -> NotificationBackend:
    """Notify when ``BOROUGHS_NOTIFY_API_KEY`` is set (template ids from ``BOROUGHS_NOTIFY_TEMPLATE_<NAME>`` or
    ``BOROUGHS_NOTIFY_TEMPLATE_IDS``); otherwise the local backend (a folder only if ``BOROUGHS_NOTIFY_OUTBOX``
    is set)."""
    s = get_settings()
    if s.notify_api_key:
        ids = {"outreach_intro": s.notify_template_outreach_intro,
               "outreach_missed": s.notify_template_outreach_missed}
        ids.update({k: v for k, v in s.notify_template_ids.items() if k in TEMPLATES})
        return GovUkNotifyBackend(s.notify_api_key, ids, base_url=s.notify_url)
    return _local(str(s.notify_outbox) if "notify_outbox" in s.model_fields_set else None)


_LOCALS: dict[str, LocalBackend] = {}


def _local(outbox: str | None) -> LocalBackend:
    key = outbox or ""
    if key not in _LOCALS:
        _LOCALS[key] = LocalBackend(Path(outbox) if outbox else None)
    return _LOCALS[key]
