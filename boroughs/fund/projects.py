"""After the award: Double Diamond stage gates with evidence, the information-governance gate, progress
reports against outcome measures, the lessons register, the replication register, and links to the
Boroughs areas a project produced.

Links to other areas are by area name, id and URL only (``AreaLink``): the fund never imports another
area's code or reads its tables.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core.db import utcnow
from boroughs.core.errors import NotFound, PermissionDenied, ValidationFailed
from boroughs.core.models import OrgKind
from boroughs.core.permissions import can, require
from boroughs.fund._common import get_org, log
from boroughs.fund.models import (
    Adoption,
    AreaLink,
    Award,
    Evidence,
    Gate,
    Lesson,
    Measure,
    Output,
    Project,
    Report,
    ReportValue,
)
from boroughs.fund.proposals import SIGNING_KINDS, org_ids
from boroughs.fund.workflows import PROJECT

STAGES = ("discover", "define", "develop", "deliver")
STAGE_HELP = {
    "discover": "Understand the problem and the people who experience it.",
    "define": "Agree the specific challenge and the outcomes to aim for.",
    "develop": "Try out and test possible solutions with the people they are for.",
    "deliver": "Put the chosen solution into use, measure it and share it.",
}
EVIDENCE_STAGES = (*STAGES, "ig")
OUTPUT_KINDS = {"code": "Code", "playbook": "Playbook", "dataset": "Dataset", "service_pattern": "Service pattern"}
ADOPTION_STATUSES = {"interested": "Interested", "adopting": "Adopting", "adopted": "Adopted"}
AREAS = {"inclusion": "Digital inclusion map", "support": "Preventative support", "fund": "Fund"}
REPORTS_PER_PROJECT = 4
REPORT_INTERVAL_MONTHS = 3
DPIA_OK = ("Complete", "Not needed (no personal data)")


def get_project(session: Session, project_id: int) -> Project:
    p = session.get(Project, project_id)
    if p is None:
        raise NotFound(f"There is no project {project_id}.")
    return p


def list_projects(session: Session) -> list[Project]:
    return list(session.execute(select(Project).order_by(Project.id)).scalars())


def _add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def start_project(session: Session, award: Award) -> Project:
    """Create the project for an award, with its schedule of progress reports."""
    proposal = award.proposal
    project = Project(proposal_id=proposal.id, award_id=award.id, title=proposal.title,
                      stage=PROJECT.initial, is_data_project=proposal.is_data_project,
                      start_date=award.award_date)
    session.add(project)
    session.flush()
    for i in range(1, REPORTS_PER_PROJECT + 1):
        session.add(Report(project_id=project.id, period=i,
                           due_date=_add_months(award.award_date, i * REPORT_INTERVAL_MONTHS)))
    session.flush()
    return project


def owners(project: Project) -> dict[str, list[int]]:
    return {
        "lead": [project.proposal.lead_org_id],
        "partnership": org_ids(project.proposal, SIGNING_KINDS),
        "fund_body": [project.proposal.call.fund_body_id],
    }


def may_update(user: Any, project: Project) -> bool:
    return any(can(user, "fund.project.update", o) for o in owners(project)["partnership"]) or can(
        user, "fund.project.manage", project.proposal.call.fund_body_id)


def _require_update(user: Any, project: Project) -> None:
    if not may_update(user, project):
        raise PermissionDenied("Only the project's partners and the fund manager can update this project.")


def _check_url(url: str | None, what: str, *, allow_relative: bool = False) -> str | None:
    if not url:
        return None
    url = url.strip()
    if allow_relative and url.startswith("/") and not url.startswith("//"):
        return url
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValidationFailed(f"The {what} must be a full web address starting with https://.")
    return url


# --- stage gates ---------------------------------------------------------------------------------

def evidence(session: Session, project: Project, stage: str | None = None) -> list[Evidence]:
    q = select(Evidence).where(Evidence.project_id == project.id)
    if stage:
        q = q.where(Evidence.stage == stage)
    return list(session.execute(q.order_by(Evidence.added_at, Evidence.id)).scalars())


def add_evidence(
    session: Session, user: Any, project: Project, *, stage: str, title: str, url: str | None = None,
    description: str = "",
) -> Evidence:
    _require_update(user, project)
    if stage not in EVIDENCE_STAGES:
        raise ValidationFailed("Evidence belongs to a stage: discover, define, develop, deliver, or ig.")
    if not title.strip():
        raise ValidationFailed("Give the evidence a title, like 'User research findings'.")
    if not (url or "").strip() and not description.strip():
        raise ValidationFailed("Give a link to the evidence or describe it.")
    ev = Evidence(project_id=project.id, stage=stage, title=title.strip()[:300],
                  url=_check_url(url, "evidence link"), description=description.strip(),
                  added_by_id=getattr(user, "id", None))
    session.add(ev)
    session.flush()
    log(session, "fund.project.evidence", user, project.proposal.lead_org_id, project, stage=stage)
    return ev


def _g_evidence(project: Project) -> str | None:
    from sqlalchemy.orm import object_session

    s = object_session(project)
    assert s is not None
    if evidence(s, project, project.stage):
        return None
    return (f"The {project.stage} gate cannot be passed without evidence. Add evidence for the "
            f"{project.stage} stage (a link or a description of what was done and found) first.")


def _g_ig(project: Project) -> str | None:
    if not project.is_data_project or project.ig_signed_off_at is not None:
        return None
    return ("This is a data project, so it cannot enter deliver until the information-governance gate "
            "has been signed off.")


PROJECT_GUARDS = {"evidence": _g_evidence, "ig_signed_off": _g_ig}


def pass_gate(session: Session, user: Any, project: Project, note: str) -> Gate:
    """Pass the gate that closes the project's current stage, moving it to the next."""
    if not note.strip():
        raise ValidationFailed("Record the gate decision: what the evidence showed and why the project "
                               "may move on.")
    if project.stage not in STAGES:
        raise ValidationFailed("This project has passed all its gates.")
    name = f"pass_{project.stage}"
    new = PROJECT.fire(name, project.stage, user, owners(project), PROJECT_GUARDS, project)
    gate = Gate(project_id=project.id, stage=project.stage, decision_note=note.strip(),
                passed_by_id=getattr(user, "id", None))
    session.add(gate)
    old, project.stage = project.stage, new
    session.flush()
    log(session, f"fund.project.{name}", user, project.proposal.call.fund_body_id, project, before=old, after=new)
    return gate


def gates(session: Session, project: Project) -> list[Gate]:
    return list(session.execute(select(Gate).where(Gate.project_id == project.id).order_by(Gate.id)).scalars())


def sign_off_ig(session: Session, user: Any, project: Project, note: str) -> Project:
    """Sign off the information-governance gate of a data project."""
    require(user, "fund.project.ig_signoff", project.proposal.call.fund_body_id)
    if not project.is_data_project:
        raise ValidationFailed("This is not a data project, so it has no information-governance gate.")
    if project.ig_signed_off_at is not None:
        raise ValidationFailed("The information-governance gate is already signed off.")
    if not evidence(session, project, "ig"):
        raise ValidationFailed("Add information-governance evidence (for example the signed data sharing "
                               "agreement and the completed DPIA) before signing off.")
    dpia = (project.proposal.form or {}).get("ig_dpia_status", "")
    if dpia not in DPIA_OK:
        raise ValidationFailed(f"The DPIA is recorded as '{dpia or 'not stated'}'. It must be complete "
                               "before the information-governance gate is signed off.")
    if not note.strip():
        raise ValidationFailed("Record what was checked.")
    project.ig_signed_off_at = utcnow()
    project.ig_signed_off_by_id = getattr(user, "id", None)
    project.ig_note = note.strip()
    session.flush()
    log(session, "fund.project.ig_signoff", user, project.proposal.call.fund_body_id, project)
    return project


def record_dpia(session: Session, user: Any, project: Project, status: str) -> None:
    """Update the DPIA status after the award (the form's other IG answers stay as submitted)."""
    _require_update(user, project)
    from boroughs.fund.proposals import FORM_FIELDS

    choices = next(f.choices for f in FORM_FIELDS if f.key == "ig_dpia_status")
    if status not in choices:
        raise ValidationFailed(f"Choose one of: {', '.join(choices)}.")
    form = dict(project.proposal.form or {})
    form["ig_dpia_status"] = status
    project.proposal.form = form
    session.flush()
    log(session, "fund.project.dpia", user, project.proposal.lead_org_id, project, status=status)


# --- progress reports ----------------------------------------------------------------------------

def reports(session: Session, project: Project) -> list[Report]:
    return list(session.execute(select(Report).where(Report.project_id == project.id)
                                .order_by(Report.period)).scalars())


def next_report(session: Session, project: Project) -> Report | None:
    return next((r for r in reports(session, project) if r.submitted_at is None), None)


def file_report(
    session: Session, user: Any, project: Project, *, period: int, narrative: str,
    values: dict[int, Any], notes: dict[int, str] | None = None,
) -> Report:
    """File a scheduled progress report with a value for every outcome measure."""
    if not any(can(user, "fund.project.update", o) for o in owners(project)["partnership"]):
        raise PermissionDenied("Only the project's partners file its progress reports.")
    report = next((r for r in reports(session, project) if r.period == period), None)
    if report is None:
        raise NotFound(f"This project has no report {period} in its schedule.")
    if report.submitted_at is not None:
        raise ValidationFailed(f"Report {period} was already filed on {report.submitted_at:%d %B %Y}.")
    if not narrative.strip():
        raise ValidationFailed("Describe progress since the last report.")
    measures = project.proposal.measures
    cleaned: dict[int, float] = {}
    for m in measures:
        raw = values.get(m.id)
        if raw in (None, ""):
            raise ValidationFailed(f"Give the current value of '{m.name}'.")
        try:
            cleaned[m.id] = float(str(raw).replace(",", ""))
        except ValueError:
            raise ValidationFailed(f"The value of '{m.name}' must be a number.") from None
    stray = set(values) - {m.id for m in measures}
    if stray:
        raise ValidationFailed("Some values are for measures that are not part of this project.")
    for mid, v in cleaned.items():
        report.values.append(ReportValue(measure_id=mid, value=v, note=(notes or {}).get(mid, "")))
    report.narrative = narrative.strip()
    report.submitted_at = utcnow()
    report.submitted_by_id = getattr(user, "id", None)
    session.flush()
    log(session, "fund.project.report", user, project.proposal.lead_org_id, project, period=period)
    return report


@dataclass
class MeasureProgress:
    measure: Measure
    latest: float | None

    @property
    def percent_of_way(self) -> float | None:
        """How far from baseline to target the latest value is (0–100+), or None."""
        m = self.measure
        if self.latest is None or m.baseline is None or m.target is None or m.target == m.baseline:
            return None
        return round((self.latest - m.baseline) / (m.target - m.baseline) * 100, 1)


def progress(session: Session, project: Project) -> list[MeasureProgress]:
    latest: dict[int, float] = {}
    for r in reports(session, project):
        if r.submitted_at is None:
            continue
        for v in r.values:
            latest[v.measure_id] = v.value
    return [MeasureProgress(m, latest.get(m.id)) for m in project.proposal.measures]


# --- lessons -------------------------------------------------------------------------------------

def add_lesson(
    session: Session, user: Any, project: Project, *, title: str, body: str, stage: str | None = None,
    tags: list[str] | None = None,
) -> Lesson:
    _require_update(user, project)
    if not title.strip() or not body.strip():
        raise ValidationFailed("A lesson needs a title and what was learned.")
    stage = stage or project.stage
    if stage not in (*STAGES, "completed"):
        raise ValidationFailed("Choose the stage the lesson came from.")
    clean_tags = sorted({t.strip().lower() for t in (tags or []) if t.strip()})
    lesson = Lesson(project_id=project.id, stage=stage, title=title.strip()[:300], body=body.strip(),
                    tags=clean_tags, added_by_id=getattr(user, "id", None))
    session.add(lesson)
    session.flush()
    log(session, "fund.project.lesson", user, project.proposal.lead_org_id, project)
    return lesson


def lessons_register(session: Session, *, tag: str | None = None, stage: str | None = None) -> list[Lesson]:
    lessons = list(session.execute(select(Lesson).order_by(Lesson.added_at.desc(), Lesson.id.desc())).scalars())
    if tag:
        lessons = [lesson for lesson in lessons if tag.lower() in lesson.tags]
    if stage:
        lessons = [lesson for lesson in lessons if lesson.stage == stage]
    return lessons


# --- replication ---------------------------------------------------------------------------------

def add_output(
    session: Session, user: Any, project: Project, *, kind: str, title: str, url: str | None = None,
    description: str = "", licence: str = "",
) -> Output:
    _require_update(user, project)
    if kind not in OUTPUT_KINDS:
        raise ValidationFailed(f"An output is one of: {', '.join(OUTPUT_KINDS.values()).lower()}.")
    if not title.strip():
        raise ValidationFailed("Give the output a title.")
    out = Output(project_id=project.id, kind=kind, title=title.strip()[:300],
                 url=_check_url(url, "output link"), description=description.strip(), licence=licence.strip())
    session.add(out)
    session.flush()
    log(session, "fund.project.output", user, project.proposal.lead_org_id, project, kind=kind)
    return out


def outputs(session: Session, project: Project | None = None) -> list[Output]:
    q = select(Output).order_by(Output.id)
    if project is not None:
        q = q.where(Output.project_id == project.id)
    return list(session.execute(q).scalars())


def record_adoption(
    session: Session, user: Any, output: Output, *, organisation_id: int, status: str,
    url: str | None = None, note: str = "",
) -> Adoption:
    """A borough records that it is interested in, adopting, or has adopted an output."""
    require(user, "fund.adoption.record", organisation_id)
    get_org(session, organisation_id, OrgKind.COUNCIL, "Adoptions are recorded by councils.")
    if status not in ADOPTION_STATUSES:
        raise ValidationFailed("Choose interested, adopting or adopted.")
    existing = session.execute(select(Adoption).where(Adoption.output_id == output.id,
                                                      Adoption.organisation_id == organisation_id)
                               ).scalar_one_or_none()
    link = _check_url(url, "adoption link")
    if existing:
        existing.status, existing.url, existing.note = status, link or existing.url, note.strip() or existing.note
        existing.recorded_at = utcnow()
        adoption = existing
    else:
        adoption = Adoption(output_id=output.id, organisation_id=organisation_id, status=status, url=link,
                            note=note.strip(), recorded_by_id=getattr(user, "id", None))
        session.add(adoption)
    session.flush()
    log(session, "fund.adoption.record", user, organisation_id, output, status=status)
    return adoption


def replication_register(session: Session) -> list[tuple[Output, Project, list[Adoption]]]:
    rows = []
    for out in outputs(session):
        project = session.get(Project, out.project_id)
        assert project is not None
        rows.append((out, project, sorted(out.adoptions, key=lambda a: a.organisation.name)))
    return rows


# --- links to other areas ------------------------------------------------------------------------

def link_area(
    session: Session, user: Any, project: Project, *, area: str, url: str, label: str, ref: str = ""
) -> AreaLink:
    """Link a project to the Boroughs area it produced (by name, id and URL; no import of that area)."""
    if not (can(user, "fund.project.manage", project.proposal.call.fund_body_id)
            or any(can(user, "fund.project.update", o) for o in owners(project)["partnership"])):
        raise PermissionDenied("Only the project's partners and the fund manager can link it to an area.")
    if area not in AREAS:
        raise ValidationFailed(f"Link to one of these areas: {', '.join(AREAS)}.")
    if not label.strip():
        raise ValidationFailed("Give the link a label.")
    clean = _check_url(url, "area link", allow_relative=True)
    assert clean is not None
    existing = session.execute(select(AreaLink).where(AreaLink.project_id == project.id, AreaLink.area == area,
                                                      AreaLink.ref == ref)).scalar_one_or_none()
    if existing:
        existing.url, existing.label = clean, label.strip()
        link = existing
    else:
        link = AreaLink(project_id=project.id, area=area, ref=ref, url=clean, label=label.strip())
        session.add(link)
    session.flush()
    log(session, "fund.project.link", user, project.proposal.call.fund_body_id, project, area=area, url=clean)
    return link


def area_links(session: Session, project: Project) -> list[AreaLink]:
    return list(session.execute(select(AreaLink).where(AreaLink.project_id == project.id)
                                .order_by(AreaLink.id)).scalars())
