from sqlalchemy.orm import Session

from boroughs.fund import assessment, decisions, projects

from . import factories as f


def test_happy_path(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    p = f.submitted(session, w, call, lead="barnet", partners=("brent",))
    f.in_assessment(session, w, call, [p])
    for m in w.panel:
        for c in call.criteria:
            assessment.score(session, m, p, c.id, 4, "Good")
    r = assessment.result(session, p)
    assert r.weighted == 4
    decisions.decide(session, w.manager, call, [(p.id, 75_000)])
    assert p.state == "awarded"
    proj = projects.list_projects(session)[0]
    projects.add_evidence(session, w.officer["barnet"], proj, stage="discover", title="Research", url="https://example.org/r")
    projects.pass_gate(session, w.manager, proj, "Good research")
    assert proj.stage == "define"
