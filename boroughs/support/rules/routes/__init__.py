"""Pages of early warning: the hub, the rule workbench (versions, drafts, approval, running the rules),
objections to profiling and the fairness monitor with its ATRS draft. Every page is under
``/support/<council slug>/``; each checks its action on the council on the server."""

from __future__ import annotations

import datetime as dt
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
from boroughs.support.rules import engine as rl
from boroughs.support.rules import language as rules_language
from boroughs.support.rules import permissions as rule_permissions
from boroughs.support.rules import service as rules_service
from boroughs.support.rules.models import OptOut, RuleStatus
from boroughs.support.web.pages import council_for as _council
from boroughs.support.web.pages import form_fields, see_other
from boroughs.support.web.pages import page_context as _ctx
from boroughs.web.deps import form_data, get_db, require_user
from boroughs.web.templating import render

assert rule_permissions  # registers the actions

router = APIRouter()


# --------------------------------------------------------------------------------------------------------
# hub


@router.get("/support/early-warning")
def choose_council(request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """Choose the council whose early warning to see."""
    ids = permissions.orgs_where(user, "support.rules.view")
    orgs = list(db.scalars(select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.name)))
    if len(orgs) == 1:
        return see_other(f"/support/{orgs[0].slug}/early-warning")
    return render(request, "support/rules/choose.html", {"orgs": orgs})


@router.get("/support/{slug}/early-warning")
def hub(request: Request, slug: str, db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """A council's early warning: the live rules and the latest run."""
    org = _council(db, slug, user, "support.rules.view")
    live = rules_service.live_version(db, org.id)
    run = rules_service.latest_run(db, org.id)
    return render(request, "support/rules/hub.html", _ctx(org, user, live=live, run=run))


# --------------------------------------------------------------------------------------------------------
# rule workbench


@router.get("/support/{slug}/rules")
def rule_versions(request: Request, slug: str, db: Session = Depends(get_db),
                  user: User = Depends(require_user)) -> Response:
    """The versions of a council's early-warning rules."""
    org = _council(db, slug, user, "support.rules.view")
    vs = rules_service.versions(db, org.id)
    people = {u.id: u.name for u in db.scalars(select(User).where(User.id.in_(
        {v.author_id for v in vs if v.author_id} | {v.decided_by_id for v in vs if v.decided_by_id})))}
    return render(request, "support/rules/versions.html",
                  _ctx(org, user, versions=vs, people=people, labels=RuleStatus.LABELS))


@router.post("/support/{slug}/rules/drafts")
def new_draft(request: Request, slug: str, db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """Start a new draft of the rules."""
    org = _council(db, slug, user, "support.rules.edit")
    v = rules_service.create_draft(db, org.id, user)
    return see_other(f"/support/{org.slug}/rules/{v.id}")


def _version(db: Session, org: Organisation, vid: int) -> Any:
    v = rules_service.get_version(db, vid)
    if v.organisation_id != org.id:
        raise NotFound("There is no such rule set version.")
    return v


def _render_version(request: Request, db: Session, org: Organisation, user: User, v: Any,
                    problems: list[str] | None = None, status_code: int = 200, flash: str | None = None) -> Response:
    parsed = None
    if problems is None:
        problems = rules_service.problems_of(db, v)
    if not problems:
        parsed = rules_service.parse_version(db, v)
    author = db.get(User, v.author_id) if v.author_id else None
    decider = db.get(User, v.decided_by_id) if v.decided_by_id else None
    return render(request, "support/rules/version.html", _ctx(
        org, user, v=v, problems=problems, parsed=parsed, author=author, decider=decider, labels=RuleStatus.LABELS,
        editable=v.status in (RuleStatus.DRAFT, RuleStatus.REJECTED) and permissions.can(user, "support.rules.edit", org.id),
        group_labels=rl.GROUP_LABELS, flash=flash), status_code)


@router.get("/support/{slug}/rules/{vid}")
def rule_version(request: Request, slug: str, vid: int, db: Session = Depends(get_db),
                 user: User = Depends(require_user)) -> Response:
    """A version of the rules, with its preview and approvals."""
    org = _council(db, slug, user, "support.rules.view")
    return _render_version(request, db, org, user, _version(db, org, vid))


@router.get("/support/{slug}/rules/{vid}/file")
def rule_file(slug: str, vid: int, db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """A version of the rules as a YAML file."""
    org = _council(db, slug, user, "support.rules.view")
    v = _version(db, org, vid)
    return PlainTextResponse(rules_service.export_file(db, v), media_type="application/yaml", headers={
        "Content-Disposition": f'attachment; filename="{org.slug}-rules-v{v.version}.yaml"'})


@router.post("/support/{slug}/rules/{vid}")
def rule_action(request: Request, slug: str, vid: int, db: Session = Depends(get_db),
                      user: User = Depends(require_user), data: FormData = Depends(form_data)) -> Response:
    """Save, preview, submit, approve or reject a version of the rules."""
    org = _council(db, slug, user, "support.rules.view")
    v = _version(db, org, vid)
    form = form_fields(data, lists={"case_ids"})
    action = form.get("action", "")
    if action in ("save", "preview", "submit"):
        permissions.require(user, "support.rules.edit", org.id)
        if "body" in form and v.status in (RuleStatus.DRAFT, RuleStatus.REJECTED):
            problems = rules_service.update_draft(db, v, user, str(form["body"]), str(form.get("change_note") or ""))
            if problems:
                return _render_version(request, db, org, user, v, problems, 200)
        if action == "save":
            return _render_version(request, db, org, user, v, flash="Your changes are saved.")
        try:
            if action == "preview":
                rules_service.run_preview(db, v, user)
                return _render_version(request, db, org, user, v, flash="Preview updated.")
            rules_service.submit(db, v, user)
        except rules_language.RuleError as exc:
            return _render_version(request, db, org, user, v, exc.problems, 200)
        return see_other(f"/support/{org.slug}/rules/{v.id}")
    if action in ("approve", "reject"):
        permissions.require(user, "support.rules.approve", org.id)
        try:
            if action == "approve":
                rules_service.approve(db, v, user, str(form.get("decision_note") or ""))
            else:
                rules_service.reject(db, v, user, str(form.get("decision_note") or ""))
        except rules_language.RuleError as exc:
            return _render_version(request, db, org, user, v, exc.problems, 200)
        except ValidationFailed as exc:
            return _render_version(request, db, org, user, v, [str(exc)], 200)
        return see_other(f"/support/{org.slug}/rules/{v.id}")
    raise ValidationFailed("Choose what to do with this version.")


@router.post("/support/{slug}/flags/run")
def run_flags(request: Request, slug: str, db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """Run the live rules now and open outreach cases."""
    org = _council(db, slug, user, "support.flags.run")
    run = rules_service.run_flags(db, org.id, user)
    return see_other(f"/support/{org.slug}/outreach?{urlencode({'run': run.id})}")


@router.get("/support/{slug}/opt-outs")
def opt_outs(request: Request, slug: str, db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """Residents who objected to early-warning profiling."""
    org = _council(db, slug, user, "support.optout.record")
    rows = list(db.scalars(select(OptOut).where(OptOut.organisation_id == org.id).order_by(OptOut.id.desc()).limit(200)))
    audit.record(db, "support.optout.list", actor=user, organisation_id=org.id, object_type="opt_out",
                 purpose="manage objections to profiling")
    return render(request, "support/rules/opt_outs.html", _ctx(org, user, rows=rows,
                                                               sources=rules_service.OPT_OUT_SOURCES,
                                                               today=dt.date.today().isoformat()))


@router.post("/support/{slug}/opt-outs")
def add_opt_out(request: Request, slug: str, db: Session = Depends(get_db),
                      user: User = Depends(require_user), data: FormData = Depends(form_data)) -> Response:
    """Record that a resident objected to early-warning profiling."""
    org = _council(db, slug, user, "support.optout.record")
    form = form_fields(data, lists={"case_ids"})
    rid = str(form.get("resident_id") or "").strip()
    if not rid.isdigit():
        raise ValidationFailed("Enter the resident's number, as shown on their record.")
    try:
        on = dt.date.fromisoformat(str(form.get("objected_on") or ""))
    except ValueError:
        raise ValidationFailed("Enter the date the resident objected, for example 2026-11-27.") from None
    rules_service.record_opt_out(db, org.id, int(rid), objected_on=on, source=str(form.get("source") or ""), user=user,
                                 note=str(form.get("note") or "") or None)
    return see_other(f"/support/{org.slug}/opt-outs")


@router.post("/support/{slug}/opt-outs/{oid}/withdraw")
def withdraw_opt_out(slug: str, oid: int, db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """Withdraw a resident's objection."""
    org = _council(db, slug, user, "support.optout.record")
    row = db.get(OptOut, oid)
    if row is None or row.organisation_id != org.id:
        raise NotFound("There is no such objection.")
    if row.withdrawn_on is None:
        rules_service.withdraw_opt_out(db, row, user)
    return see_other(f"/support/{org.slug}/opt-outs")
