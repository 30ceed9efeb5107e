"""Builders for fund tests: organisations, people with roles, a call, and proposals at any step."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from boroughs.core.db import utcnow
from boroughs.core.models import Membership, Organisation, OrgKind, Role, User
from boroughs.fund import calls, partnership, proposals, submission
from boroughs.fund.models import Call, Proposal


def org(session: Session, kind: OrgKind, name: str, *, ons_code: str | None = None, slug: str | None = None
        ) -> Organisation:
    o = Organisation(slug=slug or name.lower().replace(" ", "-"), name=name, kind=kind.value, ons_code=ons_code)
    session.add(o)
    session.flush()
    return o


def person(session: Session, email: str, name: str, *roles: tuple[Organisation, Role]) -> User:
    u = User(email=email, name=name)
    session.add(u)
    session.flush()
    for o, r in roles:
        session.add(Membership(user_id=u.id, organisation_id=o.id, role=r.value))
    session.flush()
    session.refresh(u)
    return u


@dataclass
class World:
    fund: Organisation
    councils: dict[str, Organisation]
    vcs: Organisation
    manager: User
    panel: list[User]  # independent panel members
    panel_brent: User  # on the panel and a Brent officer: recused from Brent's proposals
    officer: dict[str, User] = field(default_factory=dict)
    head: dict[str, User] = field(default_factory=dict)  # council managers (sign off, submit)
    vcs_manager: User | None = None


COUNCILS = {
    "barnet": ("Barnet", "E09000003"), "brent": ("Brent", "E09000005"), "newham": ("Newham", "E09000025"),
    "hackney": ("Hackney", "E09000012"), "sutton": ("Sutton", "E09000029"),
}


def world(session: Session) -> World:
    fund = org(session, OrgKind.FUND_BODY, "LOTI", slug="loti")
    councils = {k: org(session, OrgKind.COUNCIL, n, ons_code=c) for k, (n, c) in COUNCILS.items()}
    vcs = org(session, OrgKind.VCS, "Community Links")
    w = World(
        fund=fund, councils=councils, vcs=vcs,
        manager=person(session, "manager@loti.test", "Fran Manager", (fund, Role.FUND_MANAGER)),
        panel=[person(session, f"panel{i}@loti.test", f"Panel Member {i}", (fund, Role.PANEL_MEMBER))
               for i in (1, 2)],
        panel_brent=person(session, "panel.brent@brent.test", "Bea Brent",
                           (fund, Role.PANEL_MEMBER), (councils["brent"], Role.COUNCIL_OFFICER)),
    )
    for k, o in councils.items():
        w.officer[k] = person(session, f"officer@{k}.test", f"{o.name} Officer", (o, Role.COUNCIL_OFFICER))
        w.head[k] = person(session, f"head@{k}.test", f"{o.name} Head", (o, Role.COUNCIL_MANAGER))
    w.vcs_manager = person(session, "manager@vcs.test", "Vic VCS", (vcs, Role.VCS_MANAGER))
    return w


def open_call(session: Session, w: World, *, blind: bool = False, budget: int = 150_000) -> Call:
    call = calls.create_call(
        session, w.manager, fund_body_id=w.fund.id, slug="covid-innovation", title="Covid Innovation Fund",
        total_budget=budget, deadline=utcnow() + dt.timedelta(days=30), blind_review=blind,
        grant_prefix="360G-test",
    )
    calls.add_strand(session, w.manager, call, slug="data", title="Smarter use of data", budget=75_000,
                     award_limit=75_000)
    calls.add_strand(session, w.manager, call, slug="digital", title="Digitally-enabled initiative",
                     budget=75_000, award_limit=75_000)
    calls.add_criterion(session, w.manager, call, title="Impact on residents", weight=3)
    calls.add_criterion(session, w.manager, call, title="Replicability", weight=2)
    calls.add_criterion(session, w.manager, call, title="Deliverability", weight=1)
    calls.transition_call(session, w.manager, call, "open")
    return call


FORM: dict[str, Any] = {
    "summary": "Map who is digitally excluded and why.",
    "problem": "Services moved online; many residents cannot follow.",
    "who_affected": "Residents over 65, low-income families, disabled Londoners.",
    "outcomes": "Officers target support where it is needed.",
    "approach": "Discover, define, develop, deliver with residents.",
    "replication_plan": "Open code and a playbook any borough can reuse.",
    "measures": [{"outcome": "Better targeting", "name": "Boroughs using the map", "unit": "boroughs",
                  "baseline": 0, "target": 5}],
}
IG = {"ig_lawful_basis": "Public task", "ig_dpia_status": "Complete", "ig_data_sharing": "London IG framework",
      "ig_ethics": "Bias review", "ig_security": "Council cloud", "ig_datastore": "Aggregates only"}


def draft(session: Session, w: World, call: Call, *, lead: str = "barnet", partners: tuple[str, ...] = ("brent",),
          strand: int = 0, amount: int = 75_000, data: bool = False, title: str = "Digital exclusion map",
          ) -> Proposal:
    p = proposals.create_proposal(session, w.officer[lead], call, lead_org_id=w.councils[lead].id, title=title)
    changes = dict(FORM, strand_id=call.strands[strand].id, amount_requested=amount, is_data_project=data)
    if data:
        changes.update(IG)
    proposals.save_draft(session, w.officer[lead], p, changes, base_version=p.version)
    share = amount // (len(partners) + 1)
    lead_partner = p.partners[0]
    partnership.update_partner(session, w.officer[lead], p, lead_partner.id, role="Lead", budget=amount - share * len(partners))
    for k in partners:
        partnership.add_partner(session, w.officer[lead], p, organisation_id=w.councils[k].id, kind="partner",
                              role="Partner", officer_days=10, budget=share)
    return p


def sign_all(session: Session, w: World, p: Proposal) -> None:
    for partner in p.partners:
        if partner.kind in ("lead", "partner"):
            key = next(k for k, o in w.councils.items() if o.id == partner.organisation_id)
            submission.sign_off(session, w.head[key], p, partner.organisation_id)


def submitted(session: Session, w: World, call: Call, **kw: Any) -> Proposal:
    p = draft(session, w, call, **kw)
    sign_all(session, w, p)
    lead = kw.get("lead", "barnet")
    submission.submit(session, w.head[lead], p)
    return p


def in_assessment(session: Session, w: World, call: Call, proposals_: list[Proposal]) -> None:
    """Close submissions, send proposals to the panel, assign every non-recused member."""
    from boroughs.fund import assessment

    if call.phase == "open":
        calls.transition_call(session, w.manager, call, "close_submissions")
    for p in proposals_:
        submission.transition(session, w.manager, p, "start_assessment")
        assessment.assign_all_eligible(session, w.manager, p)
