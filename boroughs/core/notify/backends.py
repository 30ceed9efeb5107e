"""Where messages go: a local folder (demo and tests), an SMTP server, or GOV.UK Notify.

A backend's ``send`` returns the provider's id for the message or raises ``SendFailure``; ``permanent``
says whether trying again could help (a refused address: no; a server that did not answer: yes).
"""

from __future__ import annotations

import json
import os
import smtplib
import ssl
import tempfile
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from pathlib import Path
from typing import Any, Protocol

from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

from boroughs.config import Settings, get_settings

NOTIFY_URL = "https://api.notifications.service.gov.uk"


class SendFailure(Exception):
    """The message was not sent; ``permanent`` when retrying cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass
class Outgoing:
    """What a backend needs to send one message."""

    id: int
    channel: str
    to: str
    template: str
    subject: str
    body: str
    personalisation: dict[str, str] = field(default_factory=dict)
    reference: str | None = None


class Backend(Protocol):
    name: str

    def send(self, message: Outgoing) -> str: ...  # pragma: no cover


class FileBackend:
    """Writes each message as a JSON file in a folder (atomically). It never contacts anyone."""

    name = "local"

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def send(self, message: Outgoing) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"message-{message.id:08d}.json"
        data = {"id": message.id, "channel": message.channel, "to": message.to, "template": message.template,
                "subject": message.subject, "body": message.body, "reference": message.reference}
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2)
        os.replace(tmp, self.folder / name)
        return name


class SmtpBackend:
    """Email through an SMTP server (standard library ``smtplib``), optionally with STARTTLS or TLS and a
    user name and password. Text messages cannot go this way."""

    name = "smtp"

    def __init__(self, host: str, port: int, *, sender: str, starttls: bool = True, use_ssl: bool = False,
                 username: str = "", password: str = "", timeout: float = 30.0,
                 context: ssl.SSLContext | None = None) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.starttls, self.use_ssl = starttls, use_ssl
        self.username, self.password, self.timeout = username, password, timeout
        self.context = context

    def _connect(self) -> smtplib.SMTP:
        context = self.context or ssl.create_default_context()
        if self.use_ssl:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.starttls:
            smtp.starttls(context=context)
        return smtp

    def send(self, message: Outgoing) -> str:
        if message.channel != "email":
            raise SendFailure("SMTP sends email only: use GOV.UK Notify for text messages", permanent=True)
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.to
        mail["Subject"] = message.subject
        domain = parseaddr(self.sender)[1].partition("@")[2] or "boroughs.invalid"
        mail["Message-ID"] = msgid = make_msgid("boroughs", domain=domain)
        if message.reference:
            mail["X-Boroughs-Reference"] = message.reference
        mail.set_content(message.body)
        try:
            with self._connect() as smtp:
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise SendFailure(f"the mail server refused {message.to}: {exc.recipients}",
                              permanent=all(c >= 500 for c in codes)) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise SendFailure(f"the mail server refused the user name or password ({exc.smtp_code})") from None
        except smtplib.SMTPResponseException as exc:
            text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
            # a refusal of this message is final; one of Boroughs' own set-up (sender, TLS, sign-in) is not:
            # the messages wait for the administrator to fix it
            setup = isinstance(exc, smtplib.SMTPSenderRefused) or exc.smtp_code in (530, 534, 535, 538)
            raise SendFailure(f"the mail server answered {exc.smtp_code} {text}",
                              permanent=500 <= exc.smtp_code < 600 and not setup) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise SendFailure(f"could not reach the mail server {self.host}:{self.port}: {exc}") from None
        return msgid


class NotifyBackend:
    """GOV.UK Notify through GDS's ``notifications-python-client``.

    A message whose template has its own Notify template id (``BOROUGHS_NOTIFY_TEMPLATE_IDS``) is sent with
    that template and its personalisation; any other goes through one general template per channel
    (``BOROUGHS_NOTIFY_EMAIL_TEMPLATE_ID``: subject ``((subject))``, body ``((body))``;
    ``BOROUGHS_NOTIFY_SMS_TEMPLATE_ID``: ``((body))``)."""

    name = "govuk_notify"

    def __init__(self, api_key: str, *, base_url: str = NOTIFY_URL, template_ids: dict[str, str] | None = None,
                 email_template_id: str = "", sms_template_id: str = "", timeout: float = 30.0) -> None:
        if len(api_key) < 74:
            raise ValueError("the GOV.UK Notify API key is too short: copy the whole key from Notify's API page")
        self.api_key, self.base_url, self.timeout = api_key, base_url, timeout
        self.template_ids = template_ids or {}
        self.email_template_id, self.sms_template_id = email_template_id, sms_template_id

    def client(self) -> NotificationsAPIClient:
        # the client is not thread-safe: one per send
        return NotificationsAPIClient(self.api_key, base_url=self.base_url, timeout=self.timeout)

    def send(self, message: Outgoing) -> str:
        template_id = self.template_ids.get(message.template)
        personalisation: dict[str, Any] = dict(message.personalisation)
        if not template_id:
            template_id = self.email_template_id if message.channel == "email" else self.sms_template_id
            personalisation = ({"subject": message.subject, "body": message.body} if message.channel == "email"
                               else {"body": message.body})
        if not template_id:
            raise SendFailure(f"no GOV.UK Notify template for {message.template!r}: set "
                              f"BOROUGHS_NOTIFY_{message.channel.upper()}_TEMPLATE_ID")
        try:
            if message.channel == "email":
                answer = self.client().send_email_notification(
                    email_address=message.to, template_id=template_id, personalisation=personalisation,
                    reference=message.reference)
            else:
                answer = self.client().send_sms_notification(
                    phone_number=message.to, template_id=template_id, personalisation=personalisation,
                    reference=message.reference)
        except APIError as exc:
            raise notify_failure(exc) from None
        return str(answer.get("id"))


def notify_failure(exc: APIError) -> SendFailure:
    """Notify's error as a plain sentence. A 400 (this recipient, this template) cannot succeed on a retry;
    a 403 (the API key, the clock) is Boroughs' set-up, so the message waits for it to be fixed; 429 and 5xx
    may pass."""
    detail = exc.message
    if isinstance(detail, list):
        detail = "; ".join(f"{e.get('error')}: {e.get('message')}" for e in detail if isinstance(e, dict))
    status = exc.status_code
    if status == 503 and exc.response is None:
        return SendFailure(f"could not reach GOV.UK Notify: {detail}")
    return SendFailure(f"GOV.UK Notify refused the message ({status}): {detail}",
                       permanent=status == 400)


def backend_from_settings(settings: Settings | None = None) -> Backend:
    """The backend ``BOROUGHS_NOTIFY_BACKEND`` names, configured from the settings."""
    s = settings or get_settings()
    if s.notify_backend == "local":
        return FileBackend(s.notify_outbox)
    if s.notify_backend == "smtp":
        context = ssl.create_default_context(cafile=str(s.smtp_ca_file)) if s.smtp_ca_file else None
        return SmtpBackend(s.smtp_host, s.smtp_port, sender=s.notify_email_from, starttls=s.smtp_starttls,
                           use_ssl=s.smtp_ssl, username=s.smtp_username, password=s.smtp_password,
                           timeout=s.smtp_timeout, context=context)
    if s.notify_backend == "govuk_notify":
        if not s.notify_api_key:
            raise ValueError("BOROUGHS_NOTIFY_BACKEND is govuk_notify but BOROUGHS_NOTIFY_API_KEY is not set")
        return NotifyBackend(s.notify_api_key, base_url=s.notify_url, template_ids=s.notify_template_ids,
                             email_template_id=s.notify_email_template_id,
                             sms_template_id=s.notify_sms_template_id)
    raise ValueError(f"BOROUGHS_NOTIFY_BACKEND is {s.notify_backend!r}: use local, smtp or govuk_notify")
