"""The demo round: LOTI's real 2021 Covid Innovation Fund, loaded by ``boroughs demo seed``.

What is loaded comes from the public record (LOTI's announcement of the winners and its weeknotes, and
the press coverage of February 2021):

- the Covid Innovation Fund, launched in December 2020, deadline 1 February 2021, winners announced
  17 February 2021: £150,000 in two £75,000 strands, *smarter use of data* and a *digitally-enabled
  initiative*;
- the two funded projects, £75,000 each: the interactive demographic map of digital exclusion by Barnet,
  Brent, Kensington and Chelsea, Southwark and Westminster (with interest from Kingston and Sutton), and
  preventative support for vulnerable residents by Newham and Hackney with their voluntary sectors;
- each project linked to the Boroughs area it became: the map (``/map``) and the support service
  (``/support``).

Eight proposals were submitted. The six that were not funded are *not* invented here. Anything the public
record does not say (the split of each budget between partners, outcome measures, gate evidence) is left
empty and labelled as not recorded. ``seed_demo`` is idempotent: it finds organisations by ONS code or
slug and the round by its slug, and creates only what is missing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core import audit
from boroughs.core.models import Organisation, OrgKind, Role, User
from boroughs.core.organisations import add_membership
from boroughs.fund._london import BY_ONS
from boroughs.fund.models import (
    Adoption,
    AreaLink,
    Award,
    Call,
    Criterion,
    Output,
    Partner,
    Project,
    Proposal,
    Strand,
)
from boroughs.fund.proposals import snapshot

CALL_SLUG = "covid-innovation-fund-2021"
FUND_SLUG = "loti"
NOT_RECORDED = "Not recorded in the public announcement."

BARNET, BRENT, KC, SOUTHWARK, WESTMINSTER = "E09000003", "E09000005", "E09000020", "E09000028", "E09000033"
KINGSTON, SUTTON, NEWHAM, HACKNEY = "E09000021", "E09000029", "E09000025", "E09000012"

ROUND: dict[str, Any] = {
    "title": "Covid Innovation Fund",
    "summary": ("£150,000 to support London boroughs' response to the pandemic by funding two collaborative "
                "projects: half for a project making smarter use of data, half for a digitally-enabled "
                "initiative. LOTI also gives hands-on support and shares what the projects learn."),
    "guidance": ("Proposals come from groups of boroughs working together on a problem that has grown because "
                 "of the Covid-19 pandemic. Start from the outcomes you want for residents. Every project "
                 "should be designed so that other boroughs can reuse what it makes.\n\n"
                 "Eight proposals were submitted to this round. Only the two funded proposals are shown in "
                 "this demonstration."),
    "opens_at": dt.datetime(2020, 12, 1, tzinfo=dt.UTC),
    "deadline": dt.datetime(2021, 2, 1, 23, 59, 59, tzinfo=dt.UTC),
    "decision_date": dt.date(2021, 2, 17),
    "strands": [
        ("smarter-use-of-data", "Smarter use of data", "A project making smarter use of data."),
        ("digitally-enabled-initiative", "Digitally-enabled initiative", "A digitally-enabled initiative."),
    ],
}

PROJECTS: list[dict[str, Any]] = [
    {
        "ref": "2021-MAP",
        "strand": "smarter-use-of-data",
        "title": "Tackling digital exclusion with an interactive demographic map of user needs",
        "summary": ("Build on the boroughs' richer data models to show where digital exclusion is, who it "
                    "affects and what forms it takes, so that support can be targeted."),
        "lead": BARNET,
        "partners": [BRENT, KC, SOUTHWARK, WESTMINSTER],
        "interested": [KINGSTON, SUTTON],
        "data": True,
        "form": {
            "problem": ("Thousands of Londoners are excluded from education and employment because they lack "
                        "the skills or devices to get online, and exclusion grows as services move online."),
            "who_affected": ("Priority groups include vulnerable people over 65, low-income families, people "
                             "who are unemployed and Londoners with disabilities."),
            "outcomes": "Boroughs understand the distribution and different forms of digital exclusion.",
            "approach": "An interactive demographic map of user needs, built from open and borough data.",
            "replication_plan": ("A publicly available map on the London Datastore that every borough can "
                                 "use and test."),
        },
        "area": ("inclusion", "/map", "The digital exclusion map"),
        "output": ("dataset", "Interactive map of digital exclusion",
                   "The map of who is likely to be digitally excluded and why, by small area."),
    },
    {
        "ref": "2021-SUPPORT",
        "strand": "digitally-enabled-initiative",
        "title": "Preventative support for vulnerable residents in partnership with voluntary sector organisations",
        "summary": ("Help residents whose vulnerabilities grew in the pandemic before they reach crisis, by "
                    "councils and their local voluntary sectors identifying needs early and acting together."),
        "lead": NEWHAM,
        "partners": [HACKNEY],
        "interested": [],
        "data": True,
        "form": {
            "problem": ("Residents whose vulnerabilities have been made worse by the pandemic can reach "
                        "crisis point before anyone intervenes."),
            "who_affected": ("Residents at risk of problem debt, poor mental health while isolated or "
                             "shielding, eviction, or bereaved by Covid-19."),
            "outcomes": "Needs are identified proactively and residents are helped early.",
            "approach": ("Councils and their voluntary sectors work in more joined-up ways to spot needs and "
                         "intervene early."),
            "replication_plan": "A service pattern other councils can adopt with their own VCS partners.",
        },
        "area": ("support", "/support", "The preventative support service"),
        "output": ("service_pattern", "Preventative support with the voluntary sector",
                   "The pattern of linked council records, explainable flags and referrals to VCS partners."),
    },
]


def _council(session: Session, ons_code: str) -> Organisation:
    org = session.execute(select(Organisation).where(Organisation.ons_code == ons_code)).scalar_one_or_none()
    if org is None:
        b = BY_ONS[ons_code]
        org = Organisation(slug=b.name.lower().replace(" ", "-"), name=b.name, kind=OrgKind.COUNCIL.value,
                           ons_code=ons_code, is_demo=True)
        session.add(org)
        session.flush()
    return org


def _fund_body(session: Session) -> Organisation:
    org = session.execute(select(Organisation).where(Organisation.slug == FUND_SLUG)).scalar_one_or_none()
    if org is None:
        org = Organisation(slug=FUND_SLUG, name="London Office of Technology and Innovation",
                           kind=OrgKind.FUND_BODY.value, website="https://loti.london", is_demo=True)
        session.add(org)
        session.flush()
    return org


# A demo panel member who is also a Newham officer, so recusal shows on any Newham proposal.
RECUSAL_DEMO_EMAIL = "panel@newham.demo.boroughs.test"


def seed_demo(session: Session) -> dict[str, int]:
    """Load the 2021 round and the fund's demo panel membership (idempotent). Returns what was created."""
    created = {"calls": 0, "proposals": 0, "awards": 0, "panel_memberships": 0}
    body = _fund_body(session)
    nina = session.execute(select(User).where(User.email == RECUSAL_DEMO_EMAIL)).scalar_one_or_none()
    if nina is not None and not any(m.organisation_id == body.id for m in nina.memberships):
        add_membership(session, nina, body, Role.PANEL_MEMBER)
        created["panel_memberships"] += 1
    existing = session.execute(select(Call).where(Call.slug == CALL_SLUG)).scalar_one_or_none()
    if existing is not None:
        return created
    created["calls"] = 1
    created["proposals"] = created["awards"] = len(PROJECTS)
    seed_round(session, body)
    return created


def seed_round(session: Session, body: Organisation) -> Call:
    """The 2021 round itself (not idempotent on its own: ``seed_demo`` checks first)."""
    for code in BY_ONS:
        _council(session, code)
    call = Call(
        fund_body_id=body.id, slug=CALL_SLUG, title=ROUND["title"], summary=ROUND["summary"],
        guidance=ROUND["guidance"], phase="closed", opens_at=ROUND["opens_at"], deadline=ROUND["deadline"],
        decision_date=ROUND["decision_date"], total_budget=150_000, min_partner_councils=2,
        grant_prefix="360G-LOTI", is_demo=True,
    )
    session.add(call)
    session.flush()
    strands = {}
    for i, (slug, title, desc) in enumerate(ROUND["strands"]):
        strands[slug] = Strand(call_id=call.id, slug=slug, title=title, description=desc, budget=75_000,
                               award_limit=75_000, position=i)
        session.add(strands[slug])
    # The round's assessment criteria were not published; these are the platform's default rubric.
    for i, (title, weight) in enumerate([("Outcomes for residents", 3), ("Collaboration between boroughs", 2),
                                         ("Replicability", 2), ("Deliverability", 1)]):
        session.add(Criterion(call_id=call.id, title=title, weight=weight, position=i,
                              guidance="Default rubric: the 2021 round's own criteria are not recorded here."))
    session.flush()
    for spec in PROJECTS:
        _seed_project(session, call, strands[spec["strand"]], spec)
    audit.record(session, "fund.demo.seed", organisation_id=body.id, object_type="fund_call", object_id=call.id,
                 detail={"call": CALL_SLUG})
    return call


def _seed_project(session: Session, call: Call, strand: Strand, spec: dict[str, Any]) -> None:
    lead = _council(session, spec["lead"])
    submitted = ROUND["deadline"] - dt.timedelta(hours=1)
    form = dict(spec["form"])
    form.update({"ig_lawful_basis": NOT_RECORDED, "ig_dpia_status": "", "ig_data_sharing": NOT_RECORDED,
                 "ig_ethics": NOT_RECORDED, "ig_security": NOT_RECORDED, "ig_datastore": NOT_RECORDED})
    p = Proposal(call_id=call.id, strand_id=strand.id, lead_org_id=lead.id, reference=spec["ref"],
                 title=spec["title"], summary=spec["summary"], state="awarded", is_data_project=spec["data"],
                 amount_requested=75_000, form=form, version=1, submitted_at=submitted,
                 created_at=submitted, updated_at=submitted)
    session.add(p)
    session.flush()
    pos = 0
    session.add(Partner(proposal_id=p.id, organisation_id=lead.id, kind="lead", position=pos, budget=75_000,
                        role="Lead council", budget_purpose="The split between partners is not recorded.",
                        signed_off_version=1, signed_off_at=submitted))
    for code in spec["partners"]:
        pos += 1
        session.add(Partner(proposal_id=p.id, organisation_id=_council(session, code).id, kind="partner",
                            role="Partner council", position=pos, signed_off_version=1, signed_off_at=submitted))
    for code in spec["interested"]:
        pos += 1
        session.add(Partner(proposal_id=p.id, organisation_id=_council(session, code).id, kind="interested",
                            role="Interested in reusing the outputs", position=pos))
    session.flush()
    session.refresh(p)
    from boroughs.fund.models import ProposalVersion

    session.add(ProposalVersion(proposal_id=p.id, number=1, snapshot=snapshot(p), saved_at=submitted,
                                changed_fields=[]))
    award = Award(proposal_id=p.id, strand_id=strand.id, amount=75_000, award_date=ROUND["decision_date"],
                  grant_id=f"{call.grant_prefix}-{call.slug}-{spec['ref']}",
                  note="Announced by LOTI on 17 February 2021.",
                  created_at=dt.datetime(2021, 2, 17, 12, 0, tzinfo=dt.UTC))
    session.add(award)
    session.flush()
    project = Project(proposal_id=p.id, award_id=award.id, title=p.title, stage="completed",
                      is_data_project=spec["data"], start_date=ROUND["decision_date"],
                      ig_note="The 2021 project ran before Boroughs; its IG records are held by the councils.")
    session.add(project)
    session.flush()
    area, url, label = spec["area"]
    session.add(AreaLink(project_id=project.id, area=area, ref=url.strip("/"), url=url, label=label))
    kind, title, desc = spec["output"]
    output = Output(project_id=project.id, kind=kind, title=title, url=None, description=desc,
                    licence="Open Government Licence v3.0")
    session.add(output)
    session.flush()
    for code in spec["interested"]:
        session.add(Adoption(output_id=output.id, organisation_id=_council(session, code).id, status="interested",
                             note="Named as interested in the 2021 project."))
    session.flush()
