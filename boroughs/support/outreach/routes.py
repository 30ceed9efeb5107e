"""Pages of outreach: worklists, cases and the evaluation dashboard. Every page is under
``/support/<council slug>/``; each checks its action on the council on the server; reads of personal data
are audited with their purpose."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from boroughs.core import audit, permissions
from boroughs.core.errors import NotFound, ValidationFailed
from boroughs.core.models import Organisation, User
from boroughs.support.outreach import evaluation as evaluation_mod
from boroughs.support.outreach import fairness as fairness_mod
from boroughs.support.outreach import permissions as outreach_permissions
from boroughs.support.outreach import service as outreach
from boroughs.support.rules import engine as rl
from boroughs.support.rules import service as rules_service
from boroughs.support.rules import vocabulary as rules_vocabulary
from boroughs.support.web.pages import council_for as _council
from boroughs.support.web.pages import form_fields, see_other
from boroughs.support.web.pages import page_context as _ctx
from boroughs.web.deps import form_data, get_db, require_user
from boroughs.web.templating import render

assert outreach_permissions  # registers the actions

router = APIRouter()


# --------------------------------------------------------------------------------------------------------
# outreach worklist and cases


@router.get("/support/{slug}/outreach")
def worklist(request: Request, slug: str, show: str = "mine", severity: str = "", status: str = "active",
             page: int = 1, run: int | None = None, db: Session = Depends(get_db),
             user: User = Depends(require_user)) -> Response:
    """The outreach worklist: flagged residents to contact."""
    org = _council(db, slug, user, "support.outreach.view")
    manager = permissions.can(user, "support.outreach.assign", org.id)
    if show not in ("mine", "unassigned", "all"):
        show = "mine"
    if status not in ("active", "open", "in_progress", "closed"):
        status = "active"
    if severity not in ("", *rules_vocabulary.SEVERITIES):
        severity = ""
    page = max(1, min(page, 10_000))
    rows, total = outreach.worklist(db, org.id, status=status, severity=severity or None,
                                    assigned_to=user.id if show == "mine" else None, unassigned=show == "unassigned",
                                    page=page)
    team = outreach.officers(db, org.id) if manager else []
    audit.record(db, "support.outreach.worklist", actor=user, organisation_id=org.id, object_type="worklist",
                 purpose="preventative outreach: choose residents to contact",
                 detail={"show": show, "page": page, "rows": len(rows)})
    db.commit()  # the audit entry is the last write: commit now, so the audit chain's lock is not held while rendering
    pages = max(1, -(-total // outreach.PAGE_SIZE))
    return render(request, "support/outreach/worklist.html", _ctx(
        org, user, rows=rows, total=total, page=page, pages=pages, show=show, severity=severity, status=status,
        manager=manager, officers=team, statuses=outreach.STATUSES,
        run=run, query=lambda **kw: urlencode({"show": show, "severity": severity, "status": status, **kw})))


@router.post("/support/{slug}/outreach/assign")
def assign_cases(request: Request, slug: str, db: Session = Depends(get_db),
                       user: User = Depends(require_user), data: FormData = Depends(form_data)) -> Response:
    """Assign outreach cases to an officer."""
    org = _council(db, slug, user, "support.outreach.assign")
    form = form_fields(data, lists={"case_ids"})
    raw = form.get("case_ids") or []
    ids = [int(x) for x in (raw if isinstance(raw, list) else [raw]) if str(x).isdigit()]
    officer = str(form.get("officer_id") or "")
    if not officer.isdigit():
        raise ValidationFailed("Choose the officer to assign the cases to.")
    n = outreach.bulk_assign(db, org.id, ids, int(officer), user)
    back = str(form.get("back") or f"/support/{org.slug}/outreach?show=all")
    if not back.startswith(f"/support/{org.slug}/"):
        back = f"/support/{org.slug}/outreach?show=all"
    sep = "&" if "?" in back else "?"
    return see_other(f"{back}{sep}assigned={n}")


def _case(db: Session, org: Organisation, cid: int) -> Any:
    case = outreach.get_case(db, cid)
    if case.organisation_id != org.id:
        raise NotFound("There is no such outreach case.")
    return case


@router.get("/support/{slug}/outreach/cases/{cid}")
def case_page(request: Request, slug: str, cid: int, db: Session = Depends(get_db),
              user: User = Depends(require_user)) -> Response:
    """An outreach case: why the resident was flagged, contacts, needs and notes."""
    org = _council(db, slug, user, "support.outreach.view")
    return _render_case(request, db, org, user, _case(db, org, cid))


def _render_case(request: Request, db: Session, org: Organisation, user: User, case: Any,
                 errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
                 status_code: int = 200) -> Response:
    """The case page; on a form error it is shown again with a GOV.UK error summary and what was entered."""
    from boroughs.support.records.models import Resident

    resident = db.get(Resident, case.resident_id)
    flags = rules_service.flags_of_resident(db, org.id, case.resident_id)
    latest_run_id = flags[0].run_id if flags else None
    flags = [f for f in flags if f.run_id == latest_run_id]
    opt_out = rules_service.opt_out_in_force(db, org.id, case.resident_id)
    people = {u.id: u.name for u in db.scalars(select(User).where(User.id.in_(
        {case.assigned_to_id, *(c.by_user_id for c in case.contacts), *(n.by_user_id for n in case.notes),
         *(a.to_user_id for a in case.assignments)} - {None})))}
    details = outreach.contact_details(db, case.resident_id)
    referrals = outreach.case_referrals(db, org.id, case.id, case.resident_id)
    audit.record(db, "support.outreach.case_view", actor=user, organisation_id=org.id, object_type="outreach_case",
                 object_id=case.id, purpose="preventative outreach: work the case")
    db.commit()  # release the audit chain's lock before rendering
    manager = permissions.can(user, "support.outreach.assign", org.id)
    may_work = manager or case.assigned_to_id == user.id
    return render(request, "support/outreach/case.html", _ctx(
        org, user, case=case, resident=resident, flags=flags, opt_out=opt_out, people=people, manager=manager,
        may_work=may_work and case.status != "closed", officers=outreach.officers(db, org.id) if manager else [],
        channels=outreach.CHANNELS, outcomes=outreach.OUTCOMES, needs=outreach.NEEDS, levels=outreach.NEED_LEVELS,
        reasons=outreach.CLOSING_REASONS, statuses=outreach.STATUSES, sources=rules_service.OPT_OUT_SOURCES,
        current_needs={n.need: n for n in case.needs}, today=dt.date.today().isoformat(),
        details=details, referrals=referrals, errors=errors or {}, values=values or {},
        may_see_resident=permissions.can(user, "support.resident.view", org.id)), status_code)


# Which field each case form's error belongs to, for the error summary's links (issue 17).
_CASE_ERROR_FIELD = {"contact": "channel", "assign": "assign-officer", "opt-out": "objected_on",
                     "needs": "needs", "note": "note-text", "follow-up": "follow_up_on", "close": "reason"}


@router.post("/support/{slug}/outreach/cases/{cid}/{what}")
def case_action(request: Request, slug: str, cid: int, what: str, db: Session = Depends(get_db),
                user: User = Depends(require_user), raw_form: FormData = Depends(form_data)) -> Response:
    """Act on an outreach case: contact, assign, opt out, needs, note, follow-up or close."""
    org = _council(db, slug, user, "support.outreach.view")
    case = _case(db, org, cid)
    form = form_fields(raw_form, lists={"case_ids"})
    if what not in _CASE_ERROR_FIELD:
        raise NotFound("There is no such action.")
    try:
        _case_action(db, org, user, case, what, form)
    except ValidationFailed as exc:
        db.rollback()
        case = _case(db, org, cid)
        field = _CASE_ERROR_FIELD[what]
        if what == "contact" and form.get("channel") in outreach.CHANNELS:
            field = "outcome" if form.get("outcome") not in outreach.OUTCOMES else "channel"
        return _render_case(request, db, org, user, case, errors={field: str(exc)}, values={what: form},
                            status_code=422)
    return see_other(f"/support/{org.slug}/outreach/cases/{case.id}")


def _case_action(db: Session, org: Organisation, user: User, case: Any, what: str, form: dict[str, Any]) -> None:
    from boroughs.support.outreach.notify import backend_from_env

    if what == "assign":
        permissions.require(user, "support.outreach.assign", org.id)
        officer = str(form.get("officer_id") or "")
        if not officer.isdigit():
            raise ValidationFailed("Choose the officer to assign the case to.")
        outreach.assign(db, case, int(officer), user)
    elif what == "opt-out":
        permissions.require(user, "support.optout.record", org.id)
        try:
            on = dt.date.fromisoformat(str(form.get("objected_on") or ""))
        except ValueError:
            raise ValidationFailed("Enter the date the resident objected, for example 2026-11-27.") from None
        rules_service.record_opt_out(db, org.id, case.resident_id, objected_on=on, source=str(form.get("source") or ""),
                                     user=user, note=str(form.get("note") or "") or None)
    else:
        permissions.require(user, "support.outreach.work", org.id)
        if what == "contact":
            channel = str(form.get("channel") or "")
            send = backend_from_env() if form.get("send_message") == "yes" else None
            outreach.record_contact(db, case, user, channel=channel, outcome=str(form.get("outcome") or ""),
                                    note=str(form.get("note") or ""), send=send, council_name=org.name)
        elif what == "needs":
            chosen = form.get("needs") or []
            chosen = chosen if isinstance(chosen, list) else [chosen]
            outreach.record_needs(db, case, user, {
                n: (str(form.get(f"level_{n}") or "moderate"), str(form.get(f"detail_{n}") or "")) for n in chosen})
        elif what == "note":
            outreach.add_note(db, case, user, str(form.get("text") or ""))
        elif what == "follow-up":
            raw = str(form.get("follow_up_on") or "")
            try:
                follow = dt.date.fromisoformat(raw) if raw else None
            except ValueError:
                raise ValidationFailed("Enter the follow-up date as YYYY-MM-DD, for example 2026-12-04.") from None
            outreach.set_follow_up(db, case, user, follow)
        elif what == "close":
            outreach.close_case(db, case, user, str(form.get("reason") or ""))


# --------------------------------------------------------------------------------------------------------
# evaluation

@router.get("/support/{slug}/evaluation")
def evaluation(request: Request, slug: str, db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """How well the early-warning rules have done: flags against later outcomes."""
    org = _council(db, slug, user, "support.evaluation.view")
    result = evaluation_mod.evaluate_rules(db, org.id)
    return render(request, "support/outreach/evaluation.html", _ctx(org, user, result=result))


@router.get("/support/{slug}/evaluation.csv")
def evaluation_csv(slug: str, db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """The rules' evaluation as CSV."""
    org = _council(db, slug, user, "support.evaluation.view")
    result = evaluation_mod.evaluate_rules(db, org.id)
    return PlainTextResponse(evaluation_mod.evaluation_csv(result), media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{org.slug}-rule-evaluation.csv"'})


# --------------------------------------------------------------------------------------------------------
# fairness


@router.get("/support/{slug}/fairness")
def fairness(request: Request, slug: str, rule: str = "", db: Session = Depends(get_db),
             user: User = Depends(require_user)) -> Response:
    """The fairness monitor: who the rules flag, by protected characteristic."""
    org = _council(db, slug, user, "support.fairness.view")
    try:
        report = fairness_mod.fairness_report(db, org.id, rule_id=rule or None)
    except ValidationFailed as exc:
        return render(request, "support/outreach/fairness.html", _ctx(org, user, report=None, message=str(exc)))
    return render(request, "support/outreach/fairness.html", _ctx(org, user, report=report, rule=rule,
                                                                 group_labels=rl.GROUP_LABELS, message=None))


@router.get("/support/{slug}/fairness.csv")
def fairness_csv(slug: str, rule: str = "", db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """The fairness report as CSV."""
    org = _council(db, slug, user, "support.fairness.view")
    report = fairness_mod.fairness_report(db, org.id, rule_id=rule or None)
    return PlainTextResponse(fairness_mod.report_csv(report), media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{org.slug}-fairness.csv"'})


@router.get("/support/{slug}/fairness/atrs.{fmt}")
def atrs(slug: str, fmt: str, db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """The rules' Algorithmic Transparency Recording Standard record (``json`` or ``md``)."""
    org = _council(db, slug, user, "support.fairness.view")
    report = fairness_mod.fairness_report(db, org.id)
    record = fairness_mod.atrs_record(db, org.id, report=report)
    if fmt == "json":
        return PlainTextResponse(json.dumps(record, indent=2), media_type="application/json", headers={
            "Content-Disposition": f'attachment; filename="{org.slug}-atrs-draft.json"'})
    if fmt == "md":
        return PlainTextResponse(fairness_mod.atrs_markdown(record), media_type="text/markdown", headers={
            "Content-Disposition": f'attachment; filename="{org.slug}-atrs-draft.md"'})
    raise NotFound("Choose json or md.")
