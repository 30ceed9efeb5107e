"""Notifications that are sent (issue 15): the outbox is written in the caller's transaction, the worker sends
through real servers on 127.0.0.1 (SMTP via aiosmtpd, a GOV.UK Notify stand-in), retries with backoff, and
concurrent workers never send a message twice — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from boroughs.core import notify
from boroughs.core.db import session_factory, utcnow
from boroughs.core.models import OrgKind, Role
from boroughs.core.notify import (
    FileBackend,
    NotifyBackend,
    OutboxAttempt,
    OutboxMessage,
    Outgoing,
    Policy,
    SmtpBackend,
)
from boroughs.core.organisations import add_membership, create_organisation, create_user, invite
from tests.core.notify_servers import (
    API_KEY,
    BAD_REQUEST,
    SERVER_ERROR,
    SERVICE_ID,
    free_port,
)

FAST = Policy(max_attempts=3, retry_seconds=60, retry_max_seconds=600, lease_seconds=300, batch_size=5)


def _queue(engine, n: int = 1, to: str = "officer@newham.gov.uk") -> list[int]:
    with session_factory(engine)() as db, db.begin():
        org = create_organisation(db, "Newham", OrgKind.COUNCIL, ons_code="E09000025")
        ids = []
        for i in range(n):
            m = notify.enqueue(db, "core.invitation", to.replace("@", f"+{i}@") if n > 1 else to, {
                "name": f"Person {i}", "inviter": "Ada", "organisation": "Newham", "role": "council officer",
                "expires": "8 December 2026", "link": notify.link(f"/invitations/token{i}")},
                organisation_id=org.id, reference=f"test-{i}")
            assert m is not None
            ids.append(m.id)
    return ids


def _statuses(engine) -> dict[int, tuple[str, int]]:
    with Session(engine) as db:
        return {m.id: (m.status, m.attempts) for m in db.scalars(select(OutboxMessage))}


def test_a_rolled_back_change_sends_nothing(engine, tmp_path):
    db = session_factory(engine)()
    org = create_organisation(db, "Newham", OrgKind.COUNCIL, ons_code="E09000025")
    invite(db, org, "new.officer@newham.gov.uk", "New Officer", Role.COUNCIL_OFFICER)
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 1  # queued in the same transaction
    db.rollback()
    db.close()
    counts = notify.run_once(engine, FileBackend(tmp_path), FAST)
    assert counts.claimed == 0 and _statuses(engine) == {}
    assert list(tmp_path.iterdir()) == []


def test_an_invitation_is_emailed_through_a_real_smtp_server(engine, smtp_server, monkeypatch):
    monkeypatch.setenv("BOROUGHS_NOTIFY_PUBLIC_URL", "https://boroughs.newham.gov.uk/")
    with session_factory(engine)() as db, db.begin():
        org = create_organisation(db, "Newham", OrgKind.COUNCIL, ons_code="E09000025")
        admin = create_user(db, "ada@newham.gov.uk", "Ada Admin", "orchard-violet-kettle")
        add_membership(db, admin, org, Role.COUNCIL_ADMIN)
        _, token = invite(db, org, "New.Officer@newham.gov.uk", "New Officer", Role.COUNCIL_OFFICER, actor=admin)
    backend = SmtpBackend(smtp_server.host, smtp_server.port, sender="Boroughs <no-reply@newham.gov.uk>",
                          starttls=False, username="boroughs", password="s3cret")
    counts = notify.run_once(engine, backend, FAST)
    assert (counts.delivered, counts.failed, counts.retrying) == (1, 0, 0)
    [mail] = smtp_server.to("new.officer@newham.gov.uk")
    assert mail["Subject"] == "You have been invited to Boroughs"
    text = mail.get_content()
    assert f"https://boroughs.newham.gov.uk/invitations/{token}" in text and "Ada Admin has invited you" in text
    with Session(engine) as db:
        m = db.scalar(select(OutboxMessage))
        assert m.status == "delivered" and m.attempts == 1 and m.backend == "smtp"
        assert m.provider_id == mail["Message-ID"] and m.delivered_at is not None
        assert token not in m.body and m.personalisation == {}  # the one-time link is not kept once sent
        [attempt] = db.scalars(select(OutboxAttempt)).all()
        assert attempt.ok and attempt.provider_id == mail["Message-ID"]


def test_retries_back_off_exponentially_then_fail(engine, tmp_path):
    [mid] = _queue(engine)
    dead = SmtpBackend("127.0.0.1", free_port(), sender="b@newham.gov.uk", starttls=False, timeout=2)
    t0 = utcnow()
    counts = notify.run_once(engine, dead, FAST, now=t0)
    assert counts.retrying == 1 and "could not reach the mail server" in counts.errors[0]
    with Session(engine) as db:
        m = db.get(OutboxMessage, mid)
        assert m.status == "retrying" and m.attempts == 1
        assert m.next_attempt_at == t0 + dt.timedelta(seconds=60)
    # not due yet: nothing is claimed
    assert notify.run_once(engine, dead, FAST, now=t0 + dt.timedelta(seconds=59)).claimed == 0
    t1 = t0 + dt.timedelta(seconds=61)
    assert notify.run_once(engine, dead, FAST, now=t1).retrying == 1
    with Session(engine) as db:
        assert db.get(OutboxMessage, mid).next_attempt_at == t1 + dt.timedelta(seconds=120)  # doubled
    t2 = t1 + dt.timedelta(seconds=121)
    assert notify.run_once(engine, dead, FAST, now=t2).failed == 1  # third attempt is the last
    assert notify.run_once(engine, FileBackend(tmp_path), FAST, now=t2 + dt.timedelta(days=1)).claimed == 0
    with Session(engine) as db:
        m = db.get(OutboxMessage, mid)
        assert m.status == "failed" and m.attempts == 3 and "could not reach" in m.last_error
        assert [a.ok for a in m.attempt_log] == [False, False, False]


def test_a_recipient_the_server_refuses_fails_at_once(engine, smtp_server):
    _queue(engine, to="nobody@newham.gov.uk")
    smtp_server.refuse.add("nobody@newham.gov.uk")
    backend = SmtpBackend(smtp_server.host, smtp_server.port, sender="b@newham.gov.uk", starttls=False)
    counts = notify.run_once(engine, backend, FAST)
    assert counts.failed == 1 and "550" in counts.errors[0]
    assert list(_statuses(engine).values()) == [("failed", 1)]


def test_a_crashed_worker_s_messages_are_sent_when_its_lease_runs_out(engine, tmp_path):
    [mid] = _queue(engine)
    t0 = utcnow()
    token, batch = notify.claim(engine, FAST, now=t0)  # this worker "dies" without recording anything
    assert [m.id for m in batch] == [mid]
    assert notify.run_once(engine, FileBackend(tmp_path), FAST, now=t0 + dt.timedelta(seconds=10)).claimed == 0
    counts = notify.run_once(engine, FileBackend(tmp_path), FAST, now=t0 + dt.timedelta(seconds=301))
    assert counts.delivered == 1
    # the first worker coming back cannot overwrite the outcome
    assert notify.record(engine, token, batch[0], "local", provider_id="late") == "lost"
    assert _statuses(engine)[mid] == ("delivered", 2)


class _CountingBackend:
    name = "counting"

    def __init__(self) -> None:
        self.sent: list[int] = []
        self.lock = threading.Lock()

    def send(self, message: Outgoing) -> str:
        time.sleep(0.002)  # let the workers overlap
        with self.lock:
            self.sent.append(message.id)
        return f"c{message.id}"


def test_concurrent_workers_never_send_a_message_twice(engine):
    ids = _queue(engine, n=60)
    backend = _CountingBackend()
    policy = Policy(max_attempts=3, retry_seconds=60, retry_max_seconds=600, lease_seconds=300, batch_size=4)
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def work() -> None:
        try:
            start.wait()
            notify.run_once(engine, backend, policy)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sorted(backend.sent) == sorted(ids)  # every message once, none twice
    assert set(_statuses(engine).values()) == {("delivered", 1)}
    with Session(engine) as db:
        assert db.scalar(select(func.count()).select_from(OutboxAttempt)) == 60


def test_the_file_backend_and_the_background_worker(engine, tmp_path):
    [mid] = _queue(engine)
    worker = notify.BackgroundWorker(engine, FileBackend(tmp_path), FAST, poll_seconds=0.05).start()
    try:
        deadline = time.monotonic() + 20
        while _statuses(engine)[mid][0] != "delivered" and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
    assert not worker.alive
    saved = json.loads((tmp_path / f"message-{mid:08d}.json").read_text())
    assert saved["to"] == "officer@newham.gov.uk" and saved["subject"] == "You have been invited to Boroughs"
    assert "Person 0" in saved["body"]


def test_dedupe_key_queues_a_message_once(session):
    values = {"name": "A", "inviter": "B", "organisation": "C", "role": "r", "expires": "x", "link": "y"}
    assert notify.enqueue(session, "core.invitation", "a@b.org", values, dedupe_key="k1") is not None
    assert notify.enqueue(session, "core.invitation", "a@b.org", values, dedupe_key="k1") is None
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_templates_refuse_values_they_do_not_name(session):
    with pytest.raises(ValueError, match="not allowed \\['dob'\\]"):
        notify.enqueue(session, "core.invitation", "a@b.org", {"name": "A", "inviter": "B", "organisation": "C",
                                                              "role": "r", "expires": "x", "link": "y",
                                                              "dob": "1970-01-01"})
    with pytest.raises(ValueError, match="missing \\['link'\\]"):
        notify.render("core.invitation", {"name": "A", "inviter": "B", "organisation": "C", "role": "r",
                                          "expires": "x"})
    subject, _ = notify.render("core.invitation", {"name": "A\r\nBcc: x@evil.test", "inviter": "B",
                                                   "organisation": "C", "role": "r", "expires": "x", "link": "y"})
    assert "\n" not in subject


# ------------------------------------------------------------------------------------------ GOV.UK Notify

def test_notify_backend_sends_through_gds_client_with_a_valid_jwt(engine, notify_standin):
    [mid] = _queue(engine)
    backend = NotifyBackend(API_KEY, base_url=notify_standin.url, email_template_id="e-general",
                            template_ids={"core.sms_only": "unused"})
    counts = notify.run_once(engine, backend, FAST)
    assert counts.delivered == 1, counts.errors
    [req] = notify_standin.requests
    assert req["path"] == "/v2/notifications/email"
    assert req["claims"]["iss"] == SERVICE_ID and isinstance(req["claims"]["iat"], int)
    assert req["headers"]["User-agent"].startswith("NOTIFY-API-PYTHON-CLIENT/")
    body = req["body"]
    assert body["email_address"] == "officer@newham.gov.uk" and body["template_id"] == "e-general"
    assert body["reference"] == "test-0"
    assert set(body["personalisation"]) == {"subject", "body"}
    assert body["personalisation"]["subject"] == "You have been invited to Boroughs"
    with Session(engine) as db:
        m = db.get(OutboxMessage, mid)
        assert m.provider_id == "740e5834-3a29-46b4-9a6f-000000000001" and m.backend == "govuk_notify"


def test_notify_own_template_gets_the_personalisation(engine, notify_standin):
    _queue(engine)
    backend = NotifyBackend(API_KEY, base_url=notify_standin.url, template_ids={"core.invitation": "t-invite"})
    assert notify.run_once(engine, backend, FAST).delivered == 1
    body = notify_standin.requests[0]["body"]
    assert body["template_id"] == "t-invite"
    assert body["personalisation"]["link"] == "http://127.0.0.1:8000/invitations/token0"


def test_notify_refusals_and_outages(engine, notify_standin):
    _queue(engine, n=2)
    notify_standin.script[:] = [(400, BAD_REQUEST), (500, SERVER_ERROR)]
    backend = NotifyBackend(API_KEY, base_url=notify_standin.url, email_template_id="e")
    counts = notify.run_once(engine, backend, FAST)
    assert (counts.failed, counts.retrying) == (1, 1)
    assert "team-only API key" in counts.errors[0] and "(500)" in counts.errors[1]
    wrong = NotifyBackend(API_KEY[:-36] + "00000000-0000-0000-0000-000000000000", base_url=notify_standin.url,
                          email_template_id="e")
    later = utcnow() + dt.timedelta(hours=1)
    counts = notify.run_once(engine, wrong, FAST, now=later)
    assert counts.retrying == 1 and "(403)" in counts.errors[0] and "signature" in counts.errors[0]
    offline = NotifyBackend(API_KEY, base_url=f"http://127.0.0.1:{free_port()}", email_template_id="e")
    with pytest.raises(notify.SendFailure, match="could not reach GOV.UK Notify") as exc:
        offline.send(Outgoing(1, "email", "a@b.org", "core.invitation", "s", "b"))
    assert not exc.value.permanent


def test_backend_from_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("BOROUGHS_NOTIFY_OUTBOX", str(tmp_path))
    from boroughs.config import reset_settings

    reset_settings()
    b = notify.backend_from_settings()
    assert isinstance(b, FileBackend) and b.folder == tmp_path
    monkeypatch.setenv("BOROUGHS_NOTIFY_BACKEND", "smtp")
    monkeypatch.setenv("BOROUGHS_SMTP_HOST", "smtp.newham.gov.uk")
    monkeypatch.setenv("BOROUGHS_SMTP_PORT", "2525")
    reset_settings()
    b = notify.backend_from_settings()
    assert isinstance(b, SmtpBackend) and (b.host, b.port, b.starttls) == ("smtp.newham.gov.uk", 2525, True)
    monkeypatch.setenv("BOROUGHS_NOTIFY_BACKEND", "govuk_notify")
    reset_settings()
    with pytest.raises(ValueError, match="BOROUGHS_NOTIFY_API_KEY"):
        notify.backend_from_settings()
    monkeypatch.setenv("BOROUGHS_NOTIFY_API_KEY", API_KEY)
    monkeypatch.setenv("BOROUGHS_NOTIFY_TEMPLATE_IDS", '{"core.invitation": "t1"}')
    reset_settings()
    b = notify.backend_from_settings()
    assert isinstance(b, NotifyBackend) and b.template_ids == {"core.invitation": "t1"}
    monkeypatch.setenv("BOROUGHS_NOTIFY_BACKEND", "pigeon")
    reset_settings()
    with pytest.raises(ValueError, match="local, smtp or govuk_notify"):
        notify.backend_from_settings()


def test_every_message_template_is_documented():
    import boroughs.fund.messages
    import boroughs.support.referrals.messages  # noqa: F401
    doc = (Path(__file__).resolve().parents[2] / "docs" / "notifications.md").read_text()
    for key, template in notify.TEMPLATES.items():
        assert f"`{key}`" in doc, f"document the message template {key} in docs/notifications.md"
        row = next(line for line in doc.splitlines() if line.startswith(f"| `{key}`"))
        documented = {f.strip().strip("`") for f in row.rsplit("|", 2)[1].split(",")}
        assert documented == set(template.fields), f"{key}: docs say {sorted(documented)}"


def test_notify_run_once_and_status_commands(engine, monkeypatch, tmp_path, smtp_server):
    from typer.testing import CliRunner

    from boroughs.app import cli as app

    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("BOROUGHS_NOTIFY_BACKEND", "smtp")
    monkeypatch.setenv("BOROUGHS_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("BOROUGHS_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("BOROUGHS_SMTP_STARTTLS", "false")
    monkeypatch.setenv("BOROUGHS_NOTIFY_EMAIL_FROM", "Newham Boroughs <boroughs@newham.gov.uk>")
    _queue(engine, n=2)
    runner = CliRunner()
    result = runner.invoke(app, ["notify", "run", "--once"])
    assert result.exit_code == 0, result.output
    assert "Sent 2 message(s) through smtp; 0 to try again later, 0 failed." in " ".join(result.output.split())
    assert sorted(m["To"] for m in smtp_server.messages) == ["officer+0@newham.gov.uk", "officer+1@newham.gov.uk"]
    assert smtp_server.messages[0]["From"] == "Newham Boroughs <boroughs@newham.gov.uk>"
    status = " ".join(runner.invoke(app, ["notify", "status"]).output.split())
    assert "Delivered: 2" in status and "Waiting to send: 0" in status
    monkeypatch.setenv("BOROUGHS_NOTIFY_BACKEND", "carrier-pigeon")
    from boroughs.config import reset_settings

    reset_settings()
    bad = runner.invoke(app, ["notify", "run", "--once"])
    assert bad.exit_code == 1 and "local, smtp or govuk_notify" in " ".join(bad.output.split())


def test_serve_runs_the_worker_in_a_background_thread(engine, monkeypatch, tmp_path):
    import uvicorn
    from typer.testing import CliRunner

    from boroughs.app import cli as app

    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("BOROUGHS_NOTIFY_WORKER_IN_SERVE", "true")
    monkeypatch.setenv("BOROUGHS_NOTIFY_OUTBOX", str(tmp_path))
    monkeypatch.setenv("BOROUGHS_NOTIFY_POLL_SECONDS", "0.05")
    [mid] = _queue(engine)
    seen: dict[str, object] = {}

    def fake_run(app_, **kwargs):  # the server itself is not under test: only that the worker runs beside it
        deadline = time.monotonic() + 20
        while not (tmp_path / f"message-{mid:08d}.json").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        seen["threads"] = [t.name for t in threading.enumerate()]

    monkeypatch.setattr(uvicorn, "run", fake_run)
    result = CliRunner().invoke(app, ["serve", "--no-migrate"])
    assert result.exit_code == 0, result.output
    assert "boroughs-notify" in seen["threads"]
    assert _statuses(engine)[mid] == ("delivered", 1)
    assert "boroughs-notify" not in [t.name for t in threading.enumerate()]  # stopped with the server


def test_smtp_with_starttls_and_a_council_ca(engine, starttls_smtp_server, monkeypatch):
    server, ca_file = starttls_smtp_server
    _queue(engine)
    # without the council's CA the server's certificate is not trusted: nothing is sent, the message waits
    untrusted = SmtpBackend(server.host, server.port, sender="b@newham.gov.uk", starttls=True,
                            username="boroughs", password="s3cret", timeout=10)
    counts = notify.run_once(engine, untrusted, FAST)
    assert counts.retrying == 1 and "CERTIFICATE_VERIFY_FAILED" in counts.errors[0]
    # a server that insists on STARTTLS refuses a plain session
    plain = SmtpBackend(server.host, server.port, sender="b@newham.gov.uk", starttls=False, timeout=10)
    with pytest.raises(notify.SendFailure, match="530") as refused:
        plain.send(Outgoing(1, "email", "a@newham.gov.uk", "core.invitation", "s", "b"))
    assert not refused.value.permanent  # Boroughs' set-up is at fault, not the message: it will be retried
    monkeypatch.setenv("BOROUGHS_NOTIFY_BACKEND", "smtp")
    monkeypatch.setenv("BOROUGHS_SMTP_HOST", server.host)
    monkeypatch.setenv("BOROUGHS_SMTP_PORT", str(server.port))
    monkeypatch.setenv("BOROUGHS_SMTP_CA_FILE", ca_file)
    monkeypatch.setenv("BOROUGHS_SMTP_USERNAME", "boroughs")
    monkeypatch.setenv("BOROUGHS_SMTP_PASSWORD", "s3cret")
    from boroughs.config import reset_settings

    reset_settings()
    counts = notify.run_once(engine, notify.backend_from_settings(), FAST, now=utcnow() + dt.timedelta(hours=1))
    assert counts.delivered == 1, counts.errors
    assert [m["To"] for m in server.messages] == ["officer@newham.gov.uk"]
