"""Notification backends for outreach messages to residents: GOV.UK Notify through GDS's client, against a
local stand-in for Notify's API on 127.0.0.1 that checks the client's JWT and the request's shape (issue 15;
before, the JWT was hand-signed and tested against httpx mocks), and the local backend (issue 6)."""

from __future__ import annotations

import json

import pytest

from boroughs.config import reset_settings
from boroughs.support.outreach import notify
from tests.core.notify_servers import (
    API_KEY,
    BAD_REQUEST,
    SERVICE_ID,
    free_port,
)

TEMPLATES = {"outreach_intro": "f33517ff-2a88-4f6e-b855-c550268ce08a"}
AUTH_ERROR_WRONG_KEY = API_KEY[:-36] + "00000000-0000-0000-0000-000000000000"


def test_sms_is_sent_with_a_signed_token_and_the_documented_body(notify_standin):
    backend = notify.GovUkNotifyBackend(API_KEY, TEMPLATES, base_url=notify_standin.url)
    result = backend.send("sms", "outreach_intro", "07700 900123", {"first_name": "Amina"}, reference="case-1-1")
    assert result.backend == "govuk_notify" and result.reference == "740e5834-3a29-46b4-9a6f-000000000001"
    assert result.detail == {"notify_reference": "case-1-1"}
    [req] = notify_standin.requests
    assert req["path"] == "/v2/notifications/sms"
    assert req["body"] == {"template_id": TEMPLATES["outreach_intro"], "reference": "case-1-1",
                           "phone_number": "07700 900123", "personalisation": {"first_name": "Amina"}}
    assert req["claims"]["iss"] == SERVICE_ID  # the stand-in checked the signature with GDS's decoder


def test_email_and_letter_bodies(notify_standin):
    backend = notify.GovUkNotifyBackend(API_KEY, TEMPLATES, base_url=notify_standin.url)
    backend.send("email", "outreach_intro", "amina@example.org", {"first_name": "Amina"}, reference="r1")
    notify_standin.script.append((201, {"id": "1c3e0a1c-0000-4000-8000-000000000002", "reference": "r2",
                                        "content": {"subject": "S", "body": "B"}, "uri": "u",
                                        "template": {"id": TEMPLATES["outreach_intro"], "version": 1, "uri": "u"},
                                        "scheduled_for": None}))
    backend.send("letter", "outreach_intro", {"address_line_1": "Amina Begum", "address_line_2": "1 High Street",
                                              "postcode": "E13 9AA"}, {"first_name": "Amina"}, reference="r2")
    email, letter = notify_standin.requests
    assert email["body"]["email_address"] == "amina@example.org"
    assert letter["path"] == "/v2/notifications/letter"
    assert letter["body"]["personalisation"]["postcode"] == "E13 9AA"
    assert letter["body"]["personalisation"]["first_name"] == "Amina"


def test_refusals_become_clear_errors(notify_standin):
    notify_standin.script.append((400, BAD_REQUEST))
    backend = notify.GovUkNotifyBackend(API_KEY, TEMPLATES, base_url=notify_standin.url)
    with pytest.raises(notify.NotifyError, match="team-only API key"):
        backend.send("sms", "outreach_intro", "07700 900123", {}, reference="x")
    wrong = notify.GovUkNotifyBackend(AUTH_ERROR_WRONG_KEY, TEMPLATES, base_url=notify_standin.url)
    with pytest.raises(notify.NotifyError, match=r"\(403\).*signature"):
        wrong.send("sms", "outreach_intro", "07700 900123", {}, reference="x")


def test_network_failure_and_missing_template_and_bad_key():
    backend = notify.GovUkNotifyBackend(API_KEY, TEMPLATES, base_url=f"http://127.0.0.1:{free_port()}")
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
    reset_settings()
    assert notify.backend_from_env().name == "local"
    monkeypatch.setenv("BOROUGHS_NOTIFY_API_KEY", API_KEY)
    monkeypatch.setenv("BOROUGHS_NOTIFY_TEMPLATE_OUTREACH_INTRO", TEMPLATES["outreach_intro"])
    reset_settings()
    b = notify.backend_from_env()
    assert isinstance(b, notify.GovUkNotifyBackend) and b.template_ids["outreach_intro"] == TEMPLATES["outreach_intro"]
