"""After the award: gates with evidence, the IG gate, progress reports, lessons, replication (issue 8)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from boroughs.core.errors import PermissionDenied, ValidationFailed
from boroughs.fund import decisions, projects
from boroughs.fund.models import Project

from . import factories as f


def _project(session: Session, w: f.World, *, data: bool = False) -> Project:
    call = f.open_call(session, w)
    p = f.submitted(session, w, call, data=data)
    f.in_assessment(session, w, call, [p])
    decisions.decide(session, w.manager, call, [(p.id, 60_000)])
    return projects.list_projects(session)[0]


def test_gate_closed_without_evidence_is_refused(session: Session) -> None:
    w = f.world(session)
    proj = _project(session, w)
    with pytest.raises(ValidationFailed, match="discover gate cannot be passed without evidence"):
        projects.pass_gate(session, w.manager, proj, "Looks fine")
    projects.add_evidence(session, w.officer["brent"], proj, stage="discover", title="Interviews",
                          description="24 resident interviews")
    with pytest.raises(ValidationFailed, match="Record the gate decision"):
        projects.pass_gate(session, w.manager, proj, " ")
    gate = projects.pass_gate(session, w.manager, proj, "Clear evidence of need")
    assert gate.stage == "discover" and proj.stage == "define"
    # evidence for one stage does not open the next
    with pytest.raises(ValidationFailed, match="define gate"):
        projects.pass_gate(session, w.manager, proj, "x")


def test_partners_cannot_pass_their_own_gate(session: Session) -> None:
    w = f.world(session)
    proj = _project(session, w)
    projects.add_evidence(session, w.officer["barnet"], proj, stage="discover", title="E", url="https://e.org/")
    with pytest.raises(PermissionDenied, match="fund manager"):
        projects.pass_gate(session, w.head["barnet"], proj, "We are happy")


def test_ig_gate_blocks_deliver_for_data_projects(session: Session) -> None:
    w = f.world(session)
    proj = _project(session, w, data=True)
    proj.stage = "develop"
    projects.add_evidence(session, w.officer["barnet"], proj, stage="develop", title="Prototype tested",
                          url="https://example.org/p")
    with pytest.raises(ValidationFailed, match="cannot enter deliver until the information-governance gate"):
        projects.pass_gate(session, w.manager, proj, "Prototype works")
    with pytest.raises(ValidationFailed, match="Add information-governance evidence"):
        projects.sign_off_ig(session, w.manager, proj, "checked")
    projects.add_evidence(session, w.officer["barnet"], proj, stage="ig", title="Signed DSA and DPIA",
                          url="https://example.org/ig")
    projects.record_dpia(session, w.officer["barnet"], proj, "In progress")
    with pytest.raises(ValidationFailed, match="DPIA is recorded as 'In progress'"):
        projects.sign_off_ig(session, w.manager, proj, "checked")
    projects.record_dpia(session, w.officer["barnet"], proj, "Complete")
    with pytest.raises(PermissionDenied):
        projects.sign_off_ig(session, w.head["barnet"], proj, "checked")
    projects.sign_off_ig(session, w.manager, proj, "DSA signed by all five boroughs; DPIA complete")
    projects.pass_gate(session, w.manager, proj, "Prototype works")
    assert proj.stage == "deliver"


def test_non_data_project_has_no_ig_gate(session: Session) -> None:
    w = f.world(session)
    proj = _project(session, w)
    with pytest.raises(ValidationFailed, match="not a data project"):
        projects.sign_off_ig(session, w.manager, proj, "x")


def test_progress_reports_against_measures(session: Session) -> None:
    w = f.world(session)
    proj = _project(session, w)
    measure = proj.proposal.measures[0]  # baseline 0, target 5
    sched = projects.reports(session, proj)
    assert [r.period for r in sched] == [1, 2, 3, 4]
    assert sched[0].due_date.month != sched[1].due_date.month
    with pytest.raises(ValidationFailed, match="Give the current value of 'Boroughs using the map'"):
        projects.file_report(session, w.officer["barnet"], proj, period=1, narrative="Started", values={})
    with pytest.raises(ValidationFailed, match="must be a number"):
        projects.file_report(session, w.officer["barnet"], proj, period=1, narrative="Started",
                             values={measure.id: "two"})
    with pytest.raises(PermissionDenied):
        projects.file_report(session, w.officer["newham"], proj, period=1, narrative="x", values={measure.id: 1})
    projects.file_report(session, w.officer["brent"], proj, period=1, narrative="Two boroughs live",
                         values={measure.id: "2"})
    with pytest.raises(ValidationFailed, match="already filed"):
        projects.file_report(session, w.officer["brent"], proj, period=1, narrative="again", values={measure.id: 3})
    prog = projects.progress(session, proj)
    assert prog[0].latest == 2 and prog[0].percent_of_way == 40.0
    assert projects.next_report(session, proj).period == 2  # type: ignore[union-attr]


def test_lessons_register_and_replication(session: Session) -> None:
    w = f.world(session)
    proj = _project(session, w)
    projects.add_lesson(session, w.officer["barnet"], proj, title="Start with the data you have",
                        body="Waiting for perfect data cost us a month.", tags=["Data", " data ", "pace"])
    assert [lesson.tags for lesson in projects.lessons_register(session, tag="data")] == [["data", "pace"]]
    out = projects.add_output(session, w.officer["barnet"], proj, kind="code", title="Map code",
                              url="https://github.com/example/map")
    with pytest.raises(ValidationFailed, match="one of: code, playbook"):
        projects.add_output(session, w.officer["barnet"], proj, kind="poster", title="x")
    # another borough (Sutton) records an adoption; only Sutton's people may record it for Sutton
    with pytest.raises(PermissionDenied):
        projects.record_adoption(session, w.officer["newham"], out, organisation_id=w.councils["sutton"].id,
                                 status="adopted")
    projects.record_adoption(session, w.officer["sutton"], out, organisation_id=w.councils["sutton"].id,
                             status="adopting", url="https://sutton.example/map")
    projects.record_adoption(session, w.officer["sutton"], out, organisation_id=w.councils["sutton"].id,
                             status="adopted")
    reg = projects.replication_register(session)
    assert [(o.title, [(a.organisation.name, a.status) for a in ads]) for o, _p, ads in reg] == [
        ("Map code", [("Sutton", "adopted")])]
    with pytest.raises(ValidationFailed, match="full web address"):
        projects.add_output(session, w.officer["barnet"], proj, kind="code", title="x", url="javascript:alert(1)")


def test_link_to_the_area_it_produced(session: Session) -> None:
    w = f.world(session)
    proj = _project(session, w)
    projects.link_area(session, w.manager, proj, area="inclusion", url="/map", label="The map")
    projects.link_area(session, w.manager, proj, area="inclusion", url="/map?borough=E09000003", label="Map")
    links = projects.area_links(session, proj)
    assert [(x.area, x.url) for x in links] == [("inclusion", "/map?borough=E09000003")]
    with pytest.raises(ValidationFailed, match="one of these areas"):
        projects.link_area(session, w.manager, proj, area="elsewhere", url="/x", label="x")
    with pytest.raises(ValidationFailed, match="full web address"):
        projects.link_area(session, w.manager, proj, area="support", url="//evil.example", label="x")
