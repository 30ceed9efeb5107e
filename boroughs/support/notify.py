"""Messages to residents through a pluggable notification backend.

* ``LocalBackend``: keeps messages in memory (and, when given a folder, writes each as a JSON file); for
  tests, demos and councils not yet on a messaging service. It never contacts anyone.
* ``GovUkNotifyBackend``: GOV.UK Notify's REST API (``POST /v2/notifications/{email,sms,letter}``),
  authenticated with a JSON Web Token signed with the service's API key, as Notify documents. Its HTTP is
  tested only against recorded responses (``httpx.MockTransport``).

``backend_from_env()`` picks one: ``BOROUGHS_NOTIFY_API_KEY`` set → Notify (template ids from
``BOROUGHS_NOTIFY_TEMPLATE_<NAME>``, e.g. ``BOROUGHS_NOTIFY_TEMPLATE_OUTREACH_INTRO``); otherwise local
(``BOROUGHS_NOTIFY_OUTBOX`` names an optional folder).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx

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


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def notify_token(service_id: str, secret: str, now: float | None = None) -> str:
    """The JWT Notify expects: HS256, ``iss`` the service id, ``iat`` now (seconds)."""
    header = _b64(json.dumps({"typ": "JWT", "alg": "HS256"}, separators=(",", ":")).encode())
    payload = _b64(json.dumps({"iss": service_id, "iat": int(now if now is not None else time.time())},
                              separators=(",", ":")).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def split_api_key(api_key: str) -> tuple[str, str]:
    """A Notify API key is ``{name}-{service id (uuid)}-{secret (uuid)}``."""
    if len(api_key) < 74:
        raise NotifyError("the GOV.UK Notify API key is too short: copy the whole key from Notify's API page")
    return api_key[-73:-37], api_key[-36:]


class GovUkNotifyBackend:
    name = "govuk_notify"

    def __init__(self, api_key: str, template_ids: dict[str, str], *, base_url: str = NOTIFY_URL,
                 client: httpx.Client | None = None, timeout: float = 10.0) -> None:
        self.service_id, self.secret = split_api_key(api_key)
        self.template_ids = template_ids
        self.base_url = base_url.rstrip("/")
        self.client = client or httpx.Client(timeout=timeout)

    def send(self, channel: str, template: str, to: str | dict[str, str], personalisation: dict[str, str],
             reference: str) -> SendResult:
        if channel not in CHANNELS:
            raise NotifyError(f"unknown channel {channel!r}: use email, sms or letter")
        template_id = self.template_ids.get(template)
        if not template_id:
            raise NotifyError(f"no GOV.UK Notify template id for {template!r}: set "
                              f"BOROUGHS_NOTIFY_TEMPLATE_{template.upper()}")
        body: dict[str, Any] = {"template_id": template_id, "reference": reference}
        if channel == "email":
            body["email_address"] = to
            body["personalisation"] = personalisation
        elif channel == "sms":
            body["phone_number"] = to
            body["personalisation"] = personalisation
        else:
            if not isinstance(to, dict):
                raise NotifyError("a letter needs an address (address_line_1 ... and postcode)")
            body["personalisation"] = {**to, **personalisation}
        headers = {"Authorization": f"Bearer {notify_token(self.service_id, self.secret)}",
                   "Content-Type": "application/json", "User-Agent": "boroughs-notify/1.0"}
        try:
            response = self.client.post(f"{self.base_url}/v2/notifications/{channel}", json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise NotifyError(f"could not reach GOV.UK Notify: {exc}") from None
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code != 201:
            errors = "; ".join(f"{e.get('error')}: {e.get('message')}" for e in data.get("errors", [])) or \
                response.text[:200]
            raise NotifyError(f"GOV.UK Notify refused the message ({response.status_code}): {errors}")
        return SendResult(self.name, str(data.get("id")), "sent", {"notify_reference": data.get("reference")})


def backend_from_env() -> NotificationBackend:
    key = os.environ.get("BOROUGHS_NOTIFY_API_KEY")
    if key:
        ids = {name: os.environ.get(f"BOROUGHS_NOTIFY_TEMPLATE_{name.upper()}", "") for name in TEMPLATES}
        return GovUkNotifyBackend(key, ids, base_url=os.environ.get("BOROUGHS_NOTIFY_URL", NOTIFY_URL))
    outbox = os.environ.get("BOROUGHS_NOTIFY_OUTBOX")
    return _local(outbox)


_LOCALS: dict[str, LocalBackend] = {}


def _local(outbox: str | None) -> LocalBackend:
    key = outbox or ""
    if key not in _LOCALS:
        _LOCALS[key] = LocalBackend(Path(outbox) if outbox else None)
    return _LOCALS[key]
