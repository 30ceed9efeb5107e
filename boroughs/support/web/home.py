"""``/support``: the support area's front page — what it does, and for a signed-in person the parts of it
their roles open, per organisation."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core import permissions
from boroughs.core.models import Organisation
from boroughs.web.deps import get_db
from boroughs.web.templating import render

router = APIRouter(include_in_schema=False)

# (action needed in the organisation, link text, path with {slug}, description)
COUNCIL_LINKS = [
    ("support.outreach.view", "Outreach worklist", "/support/{slug}/outreach",
     "Residents flagged by the early-warning rules, assigned to officers, with contacts and needs."),
    ("support.rules.view", "Early-warning rules", "/support/{slug}/rules",
     "Write and preview rules; a manager approves them before they go live."),
    ("support.resident.view", "Find a resident", "/support/{slug}/residents",
     "One view of each resident, linked from the council's records. Every view is recorded with its purpose."),
    ("support.linkage.review", "Review uncertain matches", "/support/{slug}/review",
     "Decide whether two records are the same person."),
    ("support.fairness.view", "Fairness monitor", "/support/{slug}/fairness",
     "Who the rules flag and who they miss, by age, sex, ethnicity, disability and ward."),
    ("support.evaluation.view", "Evaluation", "/support/{slug}/evaluation",
     "What happened next for the residents each rule flagged."),
    ("support.optout.record", "Objections to profiling", "/support/{slug}/opt-outs",
     "Residents who objected are never flagged."),
    ("support.concern.review", "Concerns", "/support/{slug}/concerns",
     "Concerns raised by VCS partners and by residents through the public form."),
    ("support.ig.sar", "Subject access and retention", "/support/{slug}/information-governance",
     "Export everything held on a resident; see and run the retention of shared data."),
]
GENERAL_LINKS = [
    ("support.referral.view_sent", "Referrals sent", "/support/referrals",
     "Referrals your council made to VCS services, and what happened."),
    ("support.referral.inbox", "Referral inbox", "/support/vcs/referrals",
     "Referrals made to your organisation: accept or decline, record contact and outcomes."),
    ("support.agreement.view", "Data sharing agreements", "/support/agreements",
     "What may be shared, with whom, for which purpose, and for how long."),
    ("support.concern.raise", "Raise a concern", "/support/concerns/new",
     "Tell a council about a resident you are worried about."),
]


@router.get("/support", response_class=HTMLResponse)
def support_home(request: Request, db: Session = Depends(get_db)) -> HTMLResponse:
    """The support area's home page."""
    user = request.state.user
    sections = []
    general = []
    if user is not None:
        org_ids = sorted({m.organisation_id for m in user.memberships})
        orgs = {o.id: o for o in db.scalars(select(Organisation).where(Organisation.id.in_(org_ids)))}
        for oid in org_ids:
            org = orgs[oid]
            links = [
                {"text": text, "href": path.format(slug=org.slug), "description": desc}
                for action, text, path, desc in COUNCIL_LINKS
                if org.kind == "council" and permissions.can(user, action, oid)
            ]
            if links:
                sections.append({"organisation": org, "links": links})
        general = [
            {"text": text, "href": path, "description": desc}
            for action, text, path, desc in GENERAL_LINKS
            if permissions.orgs_where(user, action)
        ]
    return render(request, "support/home.html", {"page_title": "Preventative support", "sections": sections,
                                                  "general": general})
