"""Funded projects: each project's page and its stage gates, evidence, progress reports, lessons, outputs
and links; the open lessons and replication registers across every project."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from boroughs.core.errors import NotFound, PermissionDenied, ValidationFailed
from boroughs.core.models import OrgKind, User
from boroughs.core.permissions import can
from boroughs.fund import award_checks, blind, projects
from boroughs.fund.models import Output, Project
from boroughs.fund.proposals import FORM_FIELDS
from boroughs.fund.routes._common import Form, attempt, done, posted, status, unique
from boroughs.fund.workflows import PROJECT
from boroughs.web.deps import get_db, require_user
from boroughs.web.templating import render

router = APIRouter()

REFUSED = (ValidationFailed, ValueError, NotFound)


@router.get("/fund/projects")
def project_list(request: Request, db: Session = Depends(get_db)) -> Response:
    """The funded projects."""
    return render(request, "fund/projects.html", {"page_title": "Funded projects",
                                                  "projects": projects.list_projects(db), "PROJECT": PROJECT,
                                                  "hidden": lambda p: blind.hidden_from(request.state.user, p),
                                                  "HIDDEN": blind.HIDDEN})


def _project_page(request: Request, db: Session, project_id: int, error: str | None = None) -> Response:
    user = request.state.user
    project = projects.get_project(db, project_id)
    body = project.proposal.call.fund_body_id
    councils = [m.organisation for m in getattr(user, "memberships", [])
                if m.organisation.kind == OrgKind.COUNCIL and can(user, "fund.adoption.record", m.organisation_id)]
    partner_ids = set(projects.owners(project)["partnership"])
    return render(request, "fund/project.html", {
        "page_title": project.title, "project": project, "p": project.proposal, "stages": projects.STAGES,
        "STAGE_HELP": projects.STAGE_HELP, "evidence": projects.evidence(db, project),
        "gates": projects.gates(db, project), "reports": projects.reports(db, project),
        "progress": projects.progress(db, project), "lessons": [x for x in projects.lessons_register(db)
                                                                 if x.project_id == project.id],
        "outputs": projects.outputs(db, project), "links": projects.area_links(db, project),
        "may_update": bool(user) and projects.may_update(user, project),
        "is_partner": bool(user) and any(can(user, "fund.project.update", o) for o in partner_ids),
        "manager": can(user, "fund.project.manage", body),
        "gate_name": f"pass_{project.stage}" if project.stage in projects.STAGES else None,
        "adopters": unique(councils), "OUTPUT_KINDS": projects.OUTPUT_KINDS,
        "ADOPTION_STATUSES": projects.ADOPTION_STATUSES, "AREAS": projects.AREAS, "PROJECT": PROJECT,
        "dpia_choices": next(f.choices for f in FORM_FIELDS if f.key == "ig_dpia_status"),
        "error": error, "done": done(request), "partners_hidden": blind.hidden_from(user, project.proposal),
        "HIDDEN": blind.HIDDEN, "share_problem": award_checks.share_problem(project.award),
    }, status(error))


@router.get("/fund/projects/{project_id}")
def project_page(request: Request, project_id: int, db: Session = Depends(get_db)) -> Response:
    """A funded project: its gates, reports, evidence, lessons and outputs."""
    return _project_page(request, db, project_id)


def _project_action(request: Request, db: Session, project_id: int, done: str,
                    fn: Callable[[Session, User, Project, Form], object], form: Form) -> Response:
    """A change made on the project's page: back to it, with the message or the reason it was refused."""
    project = projects.get_project(db, project_id)
    user = request.state.user
    return attempt(db, lambda: fn(db, user, project, form), refused=REFUSED,
                   again=lambda exc: _project_page(request, db, project_id, str(exc)),
                   url=f"/fund/projects/{project_id}", done=done)


def _one_field(fn: Callable[[Session, User, Project, str], object],
               key: str) -> Callable[[Session, User, Project, dict[str, Any]], object]:
    """A project change that takes one field of the form."""
    return lambda d, u, pr, f: fn(d, u, pr, f.get(key, ""))


@router.post("/fund/projects/{project_id}/evidence")
def add_evidence(request: Request, project_id: int, db: Session = Depends(get_db),
                 user: User = Depends(require_user), form: Form = Depends(posted)) -> Response:
    """Add evidence to a project."""
    return _project_action(request, db, project_id, "evidence", lambda d, u, pr, f: projects.add_evidence(
        d, u, pr, stage=f.get("stage", ""), title=f.get("title", ""), url=f.get("url") or None,
        description=f.get("description", "")), form=form)


@router.post("/fund/projects/{project_id}/gate")
def pass_gate(request: Request, project_id: int, db: Session = Depends(get_db),
              user: User = Depends(require_user), form: Form = Depends(posted)) -> Response:
    """Pass a project through its next Double Diamond gate."""
    return _project_action(request, db, project_id, "gate", _one_field(projects.pass_gate, "note"), form=form)


@router.post("/fund/projects/{project_id}/ig")
def sign_off_ig(request: Request, project_id: int, db: Session = Depends(get_db),
                user: User = Depends(require_user), form: Form = Depends(posted)) -> Response:
    """Sign off a project's information-governance gate."""
    return _project_action(request, db, project_id, "ig", _one_field(projects.sign_off_ig, "note"), form=form)


@router.post("/fund/projects/{project_id}/dpia")
def record_dpia(request: Request, project_id: int, db: Session = Depends(get_db),
                user: User = Depends(require_user), form: Form = Depends(posted)) -> Response:
    """Record the state of a project's data protection impact assessment."""
    return _project_action(request, db, project_id, "saved", _one_field(projects.record_dpia, "status"), form=form)


@router.get("/fund/projects/{project_id}/reports/{period}")
def report_form(request: Request, project_id: int, period: int, db: Session = Depends(get_db),
                user: User = Depends(require_user)) -> Response:
    """The form for a project's progress report for one period."""
    return _report_page(request, db, project_id, period)


def _report_page(request: Request, db: Session, project_id: int, period: int, error: str | None = None,
                 values: dict[str, Any] | None = None) -> Response:
    user = request.state.user
    project = projects.get_project(db, project_id)
    if not any(can(user, "fund.project.update", o) for o in projects.owners(project)["partnership"]):
        raise PermissionDenied("Only the project's partners file its progress reports.")
    report = next((r for r in projects.reports(db, project) if r.period == period), None)
    if report is None:
        raise NotFound(f"This project has no report {period} in its schedule.")
    return render(request, "fund/report.html", {
        "page_title": f"Progress report {period}: {project.title}", "project": project, "report": report,
        "measures": project.proposal.measures, "values": values or {}, "error": error,
    }, status(error))


@router.post("/fund/projects/{project_id}/reports/{period}")
def file_report(request: Request, project_id: int, period: int, db: Session = Depends(get_db),
                user: User = Depends(require_user), form: Form = Depends(posted)) -> Response:
    """File a project's progress report for one period."""
    project = projects.get_project(db, project_id)
    values = {m.id: form.get(f"value_{m.id}", "") for m in project.proposal.measures}
    notes = {m.id: form.get(f"note_{m.id}", "") for m in project.proposal.measures}
    return attempt(db, lambda: projects.file_report(db, user, project, period=period,
                                                    narrative=form.get("narrative", ""), values=values, notes=notes),
                   refused=(ValidationFailed, NotFound),
                   again=lambda exc: _report_page(request, db, project_id, period, str(exc), form),
                   url=f"/fund/projects/{project_id}", done="report")


@router.post("/fund/projects/{project_id}/lessons")
def add_lesson(request: Request, project_id: int, db: Session = Depends(get_db),
               user: User = Depends(require_user), form: Form = Depends(posted)) -> Response:
    """Add a lesson a project learned."""
    return _project_action(request, db, project_id, "lesson", lambda d, u, pr, f: projects.add_lesson(
        d, u, pr, title=f.get("title", ""), body=f.get("body", ""),
        tags=[t for t in f.get("tags", "").split(",") if t.strip()]), form=form)


@router.post("/fund/projects/{project_id}/outputs")
def add_output(request: Request, project_id: int, db: Session = Depends(get_db),
               user: User = Depends(require_user), form: Form = Depends(posted)) -> Response:
    """Add an output a project made (for other boroughs to reuse)."""
    return _project_action(request, db, project_id, "output", lambda d, u, pr, f: projects.add_output(
        d, u, pr, kind=f.get("kind", ""), title=f.get("title", ""), url=f.get("url") or None,
        description=f.get("description", ""), licence=f.get("licence", "")), form=form)


@router.post("/fund/projects/{project_id}/links")
def add_link(request: Request, project_id: int, db: Session = Depends(get_db),
             user: User = Depends(require_user), form: Form = Depends(posted)) -> Response:
    """Link a project to an area or an outside resource."""
    return _project_action(request, db, project_id, "link", lambda d, u, pr, f: projects.link_area(
        d, u, pr, area=f.get("area", ""), url=f.get("url", ""), label=f.get("label", ""), ref=f.get("ref", "")), form=form)


@router.post("/fund/outputs/{output_id}/adoptions")
def record_adoption(request: Request, output_id: int, db: Session = Depends(get_db),
                    user: User = Depends(require_user), form: Form = Depends(posted)) -> Response:
    """Record that a borough reused a project's output."""
    out = db.get(Output, output_id)
    if out is None:
        raise NotFound("There is no such output.")
    return attempt(db, lambda: projects.record_adoption(
        db, user, out, organisation_id=int(form.get("organisation_id") or 0), status=form.get("status", ""),
        url=form.get("url") or None, note=form.get("note", "")), refused=REFUSED,
        again=lambda exc: _project_page(request, db, out.project_id, str(exc)),
        url=f"/fund/projects/{out.project_id}", done="adoption")


# --- open registers ------------------------------------------------------------------------------

@router.get("/fund/lessons")
def lessons(request: Request, tag: str | None = None, db: Session = Depends(get_db)) -> Response:
    """The lessons register: what funded projects learned, by tag."""
    items = projects.lessons_register(db, tag=tag)
    titles = {p.id: p for p in projects.list_projects(db)}
    return render(request, "fund/lessons.html", {"page_title": "Lessons register", "lessons": items, "tag": tag,
                                                 "projects": titles})


@router.get("/fund/replication")
def replication(request: Request, db: Session = Depends(get_db)) -> Response:
    """The replication register: which boroughs reused which projects' outputs."""
    return render(request, "fund/replication.html", {"page_title": "Replication register",
                                                     "rows": projects.replication_register(db),
                                                     "OUTPUT_KINDS": projects.OUTPUT_KINDS,
                                                     "ADOPTION_STATUSES": projects.ADOPTION_STATUSES})
