"""The demo round: LOTI's real 2021 Covid Innovation Fund (issue 8)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from boroughs.core.models import Organisation, OrgKind
from boroughs.fund import calls, projects
from boroughs.fund.demo import CALL_SLUG, seed_demo
from boroughs.fund.models import Award, Proposal
from boroughs.fund.opendata import giving360


def test_seed_loads_the_2021_round_once(session: Session) -> None:
    first = seed_demo(session)
    assert first["calls"] == 1 and first["awards"] == 2
    assert seed_demo(session)["calls"] == 0
    call = calls.get_call(session, CALL_SLUG)
    assert call.total_budget == 150_000
    assert [(s.title, s.budget) for s in call.strands] == [("Smarter use of data", 75_000),
                                                           ("Digitally-enabled initiative", 75_000)]
    assert session.query(Proposal).count() == 2  # the six unfunded proposals are not invented
    assert sorted(a.amount for a in session.query(Award)) == [75_000, 75_000]
    councils = session.query(Organisation).filter_by(kind=OrgKind.COUNCIL.value).count()
    assert councils == 33


def test_partners_and_links(session: Session) -> None:
    seed_demo(session)
    by_title = {p.title: p for p in session.query(Proposal)}
    m = next(p for t, p in by_title.items() if "map" in t)
    s = next(p for t, p in by_title.items() if "Preventative" in t)

    def names(p: Proposal, kind: str) -> list[str]:
        return sorted(x.organisation.ons_code or "" for x in p.partners if x.kind == kind)

    assert names(m, "lead") == ["E09000003"]
    assert names(m, "partner") == ["E09000005", "E09000020", "E09000028", "E09000033"]
    assert names(m, "interested") == ["E09000021", "E09000029"]
    assert names(s, "lead") == ["E09000025"] and names(s, "partner") == ["E09000012"]
    links = {pr.proposal_id: [(x.area, x.url) for x in projects.area_links(session, pr)]
             for pr in projects.list_projects(session)}
    assert links[m.id] == [("inclusion", "/map")] and links[s.id] == [("support", "/support")]
    reg = projects.replication_register(session)
    assert sorted(a.organisation.ons_code or "" for _o, _p, ads in reg for a in ads) == ["E09000021", "E09000029"]


def test_demo_round_exports_as_valid_360giving(session: Session) -> None:
    seed_demo(session)
    pkg = giving360.export_package(session)
    assert giving360.validate(pkg) == []
    assert {g["recipientOrganization"][0]["id"] for g in pkg["grants"]} == {"GB-LAE-BNE", "GB-LAE-NWM"}
    assert all(g["awardDate"] == "2021-02-17" for g in pkg["grants"])
