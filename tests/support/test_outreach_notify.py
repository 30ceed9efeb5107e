"""Notification backends: GOV.UK Notify over HTTP (recorded responses only, through httpx.MockTransport)
and the local backend (issue 6)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import httpx
import pytest

from boroughs.support import notify

SERVICE = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"boroughs_test-{SERVICE}-{SECRET}"
TEMPLATES = {"outreach_intro": "f33517ff-2a88-4f6e-b855-c550268ce08a"}

# Recorded responses, in the shape GOV.UK Notify documents for POST /v2/notifications/* (written from its
# API documentation; no live call is ever made).
SENT_SMS = {
    "id": "740e5834-3a29-46b4-9a6f-16142fde533a", "reference": "case-1-1",
    "content": {"body": "Hello Amina. This is Newham.", "from_number": "GOVUK"},
    "uri": "https://api.notifications.service.gov.uk/v2/notifications/740e5834-3a29-46b4-9a6f-16142fde533a",
    "template": {"id": TEMPLATES["outreach_intro"], "version": 1,
                 "uri": "https://api.notifications.service.gov.uk/v2/template/f33517ff-2a88-4f6e-b855-c550268ce08a"},
}
BAD_REQUEST = {"status_code": 400, "errors": [
    {"error": "BadRequestError", "message": "Can't send to this recipient using a team-only API key"}]}
AUTH_ERROR = {"status_code": 403, "errors": [
    {"error": "AuthError", "message": "Invalid token: API key not found"}]}


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _transport(status: int, body: dict, seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json=body)

    return httpx.MockTransport(handler)


def test_sms_is_sent_with_a_signed_token_and_the_documented_body():
    seen: list[httpx.Request] = []
    backend = notify.GovUkNotifyBackend(API_KEY, TEMPLATES,
                                        client=httpx.Client(transport=_transport(201, SENT_SMS, seen)))
    result = backend.send("sms", "outreach_intro", "07700 900123", {"first_name": "Amina"}, reference="case-1-1")
    assert result.reference == SENT_SMS["id"] and result.backend == "govuk_notify"
    req = seen[0]
    assert str(req.url) == "https://api.notifications.service.gov.uk/v2/notifications/sms"
    assert json.loads(req.content) == {"template_id": TEMPLATES["outreach_intro"], "reference": "case-1-1",
                                       "phone_number": "07700 900123", "personalisation": {"first_name": "Amina"}}
    token = req.headers["Authorization"].removeprefix("Bearer ")
    header, payload, signature = token.split(".")
    assert json.loads(_b64decode(header)) == {"typ": "JWT", "alg": "HS256"}
    claims = json.loads(_b64decode(payload))
    assert claims["iss"] == SERVICE and isinstance(claims["iat"], int)
    expected = hmac.new(SECRET.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert _b64decode(signature) == expected


def test_email_and_letter_bodies():
    seen: list[httpx.Request] = []
    client = httpx.Client(transport=_transport(201, SENT_SMS, seen))
    backend = notify.GovUkNotifyBackend(API_KEY, TEMPLATES, client=client)
    backend.send("email", "outreach_intro", "amina@example.org", {"first_name": "Amina"}, reference="r1")
    backend.send("letter", "outreach_intro", {"address_line_1": "Amina Begum", "address_line_2": "1 High Street",
                                              "postcode": "E13 9AA"}, {"first_name": "Amina"}, reference="r2")
    email, letter = (json.loads(r.content) for r in seen)
    assert email["email_address"] == "amina@example.org"
    assert seen[1].url.path == "/v2/notifications/letter"
    assert letter["personalisation"]["postcode"] == "E13 9AA" and letter["personalisation"]["first_name"] == "Amina"


@pytest.mark.parametrize(("status", "body", "message"), [
    (400, BAD_REQUEST, "team-only API key"),
    (403, AUTH_ERROR, "API key not found"),
])
def test_refusals_become_clear_errors(status, body, message):
    backend = notify.GovUkNotifyBackend(API_KEY, TEMPLATES, client=httpx.Client(transport=_transport(status, body, [])))
    with pytest.raises(notify.NotifyError, match=message):
        backend.send("sms", "outreach_intro", "07700 900123", {}, reference="x")


def test_network_failure_and_missing_template_and_bad_key():
    def boom(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    backend = notify.GovUkNotifyBackend(API_KEY, TEMPLATES, client=httpx.Client(transport=httpx.MockTransport(boom)))
    with pytest.raises(notify.NotifyError, match="could not reach GOV.UK Notify"):
        backend.send("sms", "outreach_intro", "07700 900123", {}, reference="x")
    with pytest.raises(notify.NotifyError, match="BOROUGHS_NOTIFY_TEMPLATE_OUTREACH_MISSED"):
        backend.send("sms", "outreach_missed", "07700 900123", {}, reference="x")
    with pytest.raises(notify.NotifyError, match="too short"):
        notify.GovUkNotifyBackend("short", TEMPLATES)


def test_local_backend_writes_an_outbox(tmp_path):
    backend = notify.LocalBackend(tmp_path)
    result = backend.send("email", "outreach_intro", "a@example.org", {"first_name": "Amina", "council": "Newham",
                                                                       "phone": "020 0000 0000"}, reference="r")
    saved = json.loads((tmp_path / f"{result.reference}.json").read_text())
    assert "Hello Amina. This is Newham." in saved["body"] and saved["to"] == "a@example.org"
    with pytest.raises(notify.NotifyError):
        backend.send("pigeon", "outreach_intro", "x", {}, reference="r")


def test_backend_from_env(monkeypatch):
    monkeypatch.delenv("BOROUGHS_NOTIFY_API_KEY", raising=False)
    assert notify.backend_from_env().name == "local"
    monkeypatch.setenv("BOROUGHS_NOTIFY_API_KEY", API_KEY)
    monkeypatch.setenv("BOROUGHS_NOTIFY_TEMPLATE_OUTREACH_INTRO", TEMPLATES["outreach_intro"])
    b = notify.backend_from_env()
    assert isinstance(b, notify.GovUkNotifyBackend) and b.template_ids["outreach_intro"] == TEMPLATES["outreach_intro"]
