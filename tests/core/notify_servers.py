"""Real servers on 127.0.0.1 for the notification tests (issue 15): an SMTP server (aiosmtpd) that keeps what it
receives, and a stand-in for GOV.UK Notify's API that checks the JWT GDS's client signs (with GDS's own
decoder) and the request's shape, and answers with responses in the shape Notify documents."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from notifications_python_client.authentication import decode_jwt_token, decode_token, get_token_issuer
from notifications_python_client.errors import TokenError

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"boroughs_test-{SERVICE_ID}-{SECRET}"

# Responses in the shape of GOV.UK Notify's API documentation (docs.notifications.service.gov.uk/rest-api.html):
# 201 for POST /v2/notifications/email and /sms, and its error bodies.
def sent_email(template_id: str, reference: str | None, notification_id: str) -> dict[str, Any]:
    base = "https://api.notifications.service.gov.uk"
    return {"id": notification_id, "reference": reference,
            "content": {"subject": "SUBJECT TEXT", "body": "MESSAGE TEXT", "from_email": "SENDER EMAIL",
                        "one_click_unsubscribe_url": None},
            "uri": f"{base}/v2/notifications/{notification_id}",
            "template": {"id": template_id, "version": 1, "uri": f"{base}/v2/template/{template_id}"}}


def sent_sms(template_id: str, reference: str | None, notification_id: str) -> dict[str, Any]:
    base = "https://api.notifications.service.gov.uk"
    return {"id": notification_id, "reference": reference,
            "content": {"body": "MESSAGE TEXT", "from_number": "SENDER"},
            "uri": f"{base}/v2/notifications/{notification_id}",
            "template": {"id": template_id, "version": 1, "uri": f"{base}/v2/template/{template_id}"}}


BAD_REQUEST = {"status_code": 400, "errors": [
    {"error": "BadRequestError", "message": "Can't send to this recipient using a team-only API key"}]}
AUTH_ERROR = {"status_code": 403, "errors": [{"error": "AuthError", "message": "Invalid token: API key not found"}]}
RATE_LIMIT = {"status_code": 429, "errors": [
    {"error": "RateLimitError", "message": "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds"}]}
SERVER_ERROR = {"status_code": 500, "errors": [{"error": "Exception", "message": "Internal server error"}]}

REQUIRED = {"email": {"email_address", "template_id"}, "sms": {"phone_number", "template_id"},
            "letter": {"template_id", "personalisation"}}
ALLOWED = {"email": REQUIRED["email"] | {"personalisation", "reference", "email_reply_to_id",
                                         "one_click_unsubscribe_url"},
           "sms": REQUIRED["sms"] | {"personalisation", "reference", "sms_sender_id"},
           "letter": REQUIRED["letter"] | {"reference"}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------------------------------------------ SMTP

@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # addresses answered with 550
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.server.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.server.lock:
            self.server.messages.append(msg)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


def _authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"boroughs" and auth_data.password == b"s3cret"
    return AuthResult(success=ok)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) that takes AUTH LOGIN/PLAIN as boroughs / s3cret."""
    server = SmtpServer("127.0.0.1", free_port())
    controller = Controller(_Handler(server), hostname=server.host, port=server.port,
                            authenticator=_authenticator, auth_require_tls=False)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


# ------------------------------------------------------------------------------------- Notify stand-in

@dataclass
class NotifyStandIn:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    # answers to give, in order, before the default 201: (status, body)
    script: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _standin_handler(state: NotifyStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            channel = self.path.removeprefix("/v2/notifications/")
            auth = self.headers.get("Authorization", "")
            record: dict[str, Any] = {"path": self.path, "headers": dict(self.headers), "raw": raw}
            with state.lock:
                state.requests.append(record)
            if not auth.startswith("Bearer "):
                return self._answer(401, {"status_code": 401, "errors": [
                    {"error": "AuthError", "message": "Unauthorized: authentication token must be provided"}]})
            token = auth.removeprefix("Bearer ")
            try:
                if get_token_issuer(token) != SERVICE_ID:
                    return self._answer(403, AUTH_ERROR)
                decode_jwt_token(token, SECRET)  # signature, algorithm and iat within 30 s, as Notify checks
            except TokenError as exc:
                return self._answer(403, {"status_code": 403, "errors": [{"error": "AuthError",
                                                                           "message": exc.message}]})
            record["claims"] = decode_token(token)
            if channel not in REQUIRED or self.headers.get("Content-Type") != "application/json":
                return self._answer(404, {"status_code": 404, "errors": [
                    {"error": "NotFound", "message": "not found"}]})
            body = json.loads(raw)
            record["body"] = body
            missing, extra = REQUIRED[channel] - set(body), set(body) - ALLOWED[channel]
            if missing or extra:
                return self._answer(400, {"status_code": 400, "errors": [
                    {"error": "ValidationError", "message": f"missing {sorted(missing)}, unknown {sorted(extra)}"}]})
            with state.lock:
                scripted = state.script.pop(0) if state.script else None
                number = len(state.requests)
            if scripted:
                return self._answer(*scripted)
            nid = f"740e5834-3a29-46b4-9a6f-{number:012d}"
            made = sent_email if channel == "email" else sent_sms
            return self._answer(201, made(body["template_id"], body.get("reference"), nid))

    return Handler


@pytest.fixture
def notify_standin() -> Iterator[NotifyStandIn]:
    """A local stand-in for GOV.UK Notify's REST API on 127.0.0.1."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    state = NotifyStandIn(f"http://127.0.0.1:{httpd.server_address[1]}")
    httpd.RequestHandlerClass = _standin_handler(state)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


# ------------------------------------------------------------------------------------- SMTP with STARTTLS

def self_signed(folder) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A certificate for 127.0.0.1 and its key (PEM files), made with ``cryptography``."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Boroughs test mail server")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "smtp.crt", folder / "smtp.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


@pytest.fixture
def starttls_smtp_server(tmp_path) -> Iterator[tuple[SmtpServer, str]]:  # type: ignore[no-untyped-def]
    """A real SMTP server on 127.0.0.1 that requires STARTTLS before anything else; yields it and the CA file."""
    import ssl

    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = SmtpServer("127.0.0.1", free_port())
    controller = Controller(_Handler(server), hostname=server.host, port=server.port, tls_context=context,
                            require_starttls=True, authenticator=_authenticator)
    controller.start()
    try:
        yield server, cert
    finally:
        controller.stop()
