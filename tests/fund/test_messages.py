"""The fund's messages (issue 15): sign-off requests, panel assignments, and progress reports due and overdue
(``boroughs fund remind-reports``), each queued once in the outbox with the change."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from boroughs.core.notify import OutboxMessage
from boroughs.fund import decisions, messages, projects, proposals, submission
from boroughs.fund.models import Report

from . import factories as f


def _outbox(session: Session, template: str) -> list[tuple[str, str]]:
    return [(m.recipient, m.subject) for m in session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == template).order_by(OutboxMessage.id))]


def test_sign_off_asks_the_partners_still_to_sign_once_per_version(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    p = f.draft(session, w, call, partners=("brent", "newham"))
    submission.sign_off(session, w.head["barnet"], p, w.councils["barnet"].id)
    asked = _outbox(session, "fund.signoff.request")
    assert sorted(r for r, _ in asked) == ["head@brent.test", "head@newham.test"]  # not officers, not Barnet
    assert asked[0][1] == "Please sign off Digital exclusion map"
    submission.sign_off(session, w.head["brent"], p, w.councils["brent"].id)
    assert len(_outbox(session, "fund.signoff.request")) == 2  # Newham was already asked for this version
    proposals.save_draft(session, w.officer["barnet"], p, {"summary": "A sharper summary."}, base_version=p.version)
    submission.sign_off(session, w.head["barnet"], p, w.councils["barnet"].id)
    again = _outbox(session, "fund.signoff.request")[2:]
    assert sorted(r for r, _ in again) == ["head@brent.test", "head@newham.test"]  # a new version: asked again
    body = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "head@newham.test")).first().body
    assert f"http://127.0.0.1:8000/fund/proposals/{p.id}" in body and "London Borough" not in body


def test_panel_members_hear_of_their_assignments(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    p = f.submitted(session, w, call, lead="barnet", partners=("brent",))
    f.in_assessment(session, w, call, [p])
    assigned = _outbox(session, "fund.panel.assigned")
    # the Brent officer on the panel is recused from Brent's proposal, so is not told to assess it
    assert sorted(r for r, _ in assigned) == ["panel1@loti.test", "panel2@loti.test"]
    m = session.scalars(select(OutboxMessage).where(OutboxMessage.template == "fund.panel.assigned")).first()
    assert m.organisation_id == w.fund.id and f"/fund/proposals/{p.id}/assess" in m.body


def _project(session: Session, w: f.World):  # type: ignore[no-untyped-def]
    call = f.open_call(session, w)
    p = f.submitted(session, w, call)
    f.in_assessment(session, w, call, [p])
    decisions.decide(session, w.manager, call, [(p.id, 60_000)])
    return projects.list_projects(session)[0]


def test_reports_due_and_overdue_are_reminded_once(session: Session) -> None:
    w = f.world(session)
    proj = _project(session, w)
    first = session.scalars(select(Report).where(Report.project_id == proj.id).order_by(Report.period)).first()
    assert messages.remind_reports(session, today=first.due_date - dt.timedelta(days=30), days_ahead=14) == \
        {"due": 0, "overdue": 0}
    week_before = first.due_date - dt.timedelta(days=7)
    assert messages.remind_reports(session, today=week_before, days_ahead=14) == {"due": 2, "overdue": 0}
    assert messages.remind_reports(session, today=week_before, days_ahead=14) == {"due": 0, "overdue": 0}
    due = _outbox(session, "fund.report.due")
    assert sorted(r for r, _ in due) == ["head@barnet.test", "officer@barnet.test"]  # the lead council
    assert due[0][1] == f"Progress report 1 for {proj.title} is due on {first.due_date:%d %B %Y}"
    assert messages.remind_reports(session, today=first.due_date + dt.timedelta(days=1), days_ahead=14) == \
        {"due": 0, "overdue": 2}
    projects.file_report(session, w.officer["barnet"], proj, period=1, narrative="On track",
                         values={m.id: 1 for m in proj.proposal.measures})
    assert messages.remind_reports(session, today=first.due_date + dt.timedelta(days=2), days_ahead=14) == \
        {"due": 0, "overdue": 0}


def test_remind_reports_command(engine, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    from boroughs.app import cli as app

    result = CliRunner().invoke(app, ["fund", "remind-reports", "--days", "3"])
    assert result.exit_code == 0, result.output
    assert "Queued 0 reminder(s) of reports due and 0 of reports overdue." in " ".join(result.output.split())
