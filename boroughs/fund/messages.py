"""The messages the fund sends (issue 15), queued in the outbox in the same transaction as the change:
sign-off requests, panel assignments, and progress reports due and overdue (``boroughs fund remind-reports``,
run daily by the scheduler). They carry titles, dates and a link; nothing else."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core import notify
from boroughs.core.models import Organisation, User
from boroughs.fund.models import Assignment, Project, Proposal, Report

notify.register_template("fund.signoff.request", "Please sign off ((proposal))", """
Hello,

((organisation)) is a partner in the proposal "((proposal))" to ((call)). Version ((version)) is ready and
needs ((organisation))'s sign-off before the lead council can submit it.

Read it and sign it off here:

((link))
""", "to each partner that has not signed off the current version")

notify.register_template("fund.panel.assigned", "You have a proposal to assess", """
Hello ((name)),

You have been asked to assess the proposal "((proposal))" for ((call)).

If you have a conflict of interest, declare it before you read the proposal. Start here:

((link))
""", "to a panel member when a proposal is assigned to them")

notify.register_template("fund.report.due", "Progress report ((period)) for ((project)) is due on ((due))", """
Hello,

Progress report ((period)) for the funded project "((project))" is due on ((due)).

File it here:

((link))
""", "to the lead council when a progress report falls due")

notify.register_template("fund.report.overdue", "Progress report ((period)) for ((project)) is overdue", """
Hello,

Progress report ((period)) for the funded project "((project))" was due on ((due)) and has not been filed.
Please file it as soon as you can, or tell the fund team why it is late.

((link))
""", "to the lead council when a progress report is overdue")


def request_sign_offs(db: Session, proposal: Proposal, *, except_org_id: int | None = None) -> int:
    """Ask each signing partner that has not signed off the current version (once per version)."""
    from boroughs.fund.proposals import SIGNING_KINDS

    sent = 0
    for partner in proposal.partners:
        if partner.kind not in SIGNING_KINDS or partner.organisation_id == except_org_id:
            continue
        if partner.signed_off_version == proposal.version:
            continue
        org = db.get(Organisation, partner.organisation_id)
        users = notify.members_who_may(db, partner.organisation_id, "fund.proposal.signoff")
        values = {"organisation": org.name if org else "Your organisation", "proposal": proposal.title,
                  "call": proposal.call.title, "version": str(proposal.version),
                  "link": notify.link(f"/fund/proposals/{proposal.id}")}
        sent += len(notify.enqueue_to_users(
            db, "fund.signoff.request", users, values, organisation_id=partner.organisation_id,
            reference=f"proposal-{proposal.id}",
            dedupe_key=f"fund.signoff:{proposal.id}:v{proposal.version}:o{partner.organisation_id}"))
    return sent


def panel_assigned(db: Session, assignment: Assignment, proposal: Proposal) -> None:
    member = db.get(User, assignment.user_id)
    if member is None or not member.is_active:
        return
    values = {"name": member.name, "proposal": proposal.title, "call": proposal.call.title,
              "link": notify.link(f"/fund/proposals/{proposal.id}/assess")}
    notify.enqueue(db, "fund.panel.assigned", member.email, values, organisation_id=proposal.call.fund_body_id,
                   user_id=member.id, reference=f"assignment-{assignment.id}",
                   dedupe_key=f"fund.panel.assigned:{assignment.id}")


def remind_reports(db: Session, *, today: dt.date | None = None, days_ahead: int | None = None) -> dict[str, int]:
    """Queue 'due' messages for reports due within ``days_ahead`` days and 'overdue' ones for reports past
    their date, each once per report and person. Safe to run as often as you like."""
    from boroughs.config import get_settings
    from boroughs.core.db import utcnow

    today = today or utcnow().date()
    ahead = get_settings().report_due_days if days_ahead is None else days_ahead
    counts = {"due": 0, "overdue": 0}
    rows = db.execute(select(Report, Project).join(Project, Project.id == Report.project_id)
                      .where(Report.submitted_at.is_(None), Report.due_date <= today + dt.timedelta(days=ahead))
                      .order_by(Report.due_date, Report.id)).all()
    for report, project in rows:
        kind = "overdue" if report.due_date < today else "due"
        lead = project.proposal.lead_org_id
        users = notify.members_who_may(db, lead, "fund.project.update")
        values = {"period": str(report.period), "project": project.title, "due": f"{report.due_date:%d %B %Y}",
                  "link": notify.link(f"/fund/projects/{project.id}/reports/{report.period}")}
        counts[kind] += len(notify.enqueue_to_users(
            db, f"fund.report.{kind}", users, values, organisation_id=lead, reference=f"report-{report.id}",
            dedupe_key=f"fund.report.{kind}:{report.id}"))
    return counts
