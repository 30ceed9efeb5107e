"""The fund's pages: calls, proposals, assessment, decisions, projects and the open registers.

Every page checks permissions on the server through the services (which call
``boroughs.core.permissions``); the templates only hide buttons people could not use anyway. A form that
breaks a rule is shown again with the reason, and nothing from that request is kept.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from boroughs.core.errors import BoroughsError, NotFound, PermissionDenied, ValidationFailed
from boroughs.core.models import Organisation, OrgKind, User
from boroughs.core.permissions import can, orgs_where
from boroughs.fund import (
    assessment,
    award_checks,
    blind,
    calls,
    decisions,
    giving360,
    panel,
    projects,
    proposals,
)
from boroughs.fund import permissions as _permissions
from boroughs.fund.models import Call, Output, Proposal
from boroughs.fund.proposals import FORM_FIELDS, PARTNER_KINDS, EditConflict
from boroughs.fund.workflows import CALL, PROJECT, PROPOSAL
from boroughs.web.deps import form_data, get_db, require_user
from boroughs.web.templating import render

assert _permissions
router = APIRouter()
NAV = [{"text": "Fund", "href": "/fund"}]

DONE: dict[str, str] = {
    "created": "Saved.",
    "saved": "Your changes were saved.",
    "partner": "The partnership was updated.",
    "signed": "You signed off this version for your organisation.",
    "submit": "The proposal was submitted. Every partner signed it off.",
    "transition": "Done.",
    "assigned": "The panel was assigned. Members from organisations in the partnership were recused automatically.",
    "scored": "Your scores were saved.",
    "conflict": "Your conflict of interest was recorded. You are recused from this proposal.",
    "moderated": "The moderation note was saved.",
    "decided": "The decisions were recorded and the funded projects were set up.",
    "evidence": "The evidence was added.",
    "gate": "The gate was passed. The project has moved to its next stage.",
    "ig": "The information-governance gate was signed off.",
    "report": "The progress report was filed.",
    "lesson": "The lesson was added to the register.",
    "output": "The output was added to the replication register.",
    "adoption": "Your council's adoption was recorded.",
    "link": "The link was saved.",
}


def _done(request: Request) -> str | None:
    return DONE.get(request.query_params.get("done", ""))


def _go(url: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"{url}?done={done}", status_code=303)


def _form(form: FormData) -> dict[str, Any]:
    return {k: v for k, v in form.multi_items() if k != "csrf_token" and isinstance(v, str)}


def _call(db: Session, slug: str) -> Call:
    return calls.get_call(db, slug)


def _proposal(db: Session, pid: int) -> Proposal:
    return proposals.get_proposal(db, pid)


def _user_councils(user: User | None, action: str) -> list[Organisation]:
    if user is None:
        return []
    ids = orgs_where(user, action)
    return [m.organisation for m in user.memberships
            if m.organisation_id in ids and m.organisation.kind == OrgKind.COUNCIL][: len(ids)]


def _unique(orgs: list[Organisation]) -> list[Organisation]:
    seen, out = set(), []
    for o in orgs:
        if o.id not in seen:
            seen.add(o.id)
            out.append(o)
    return out


# --- fund home, calls ----------------------------------------------------------------------------

@router.get("/fund")
def fund_home(request: Request, db: Session = Depends(get_db)) -> Response:
    """The fund's home page: its calls, proposals and projects."""
    user = request.state.user
    all_calls = calls.list_calls(db)
    mine = proposals.proposals_for(db, user) if user else []
    to_assess = assessment.proposals_to_assess(db, user) if user else []
    manages = [c for c in all_calls if user and can(user, "fund.call.manage", c.fund_body_id)]
    bodies = [m.organisation for m in getattr(user, "memberships", [])
              if can(user, "fund.call.manage", m.organisation_id) and m.organisation.kind == OrgKind.FUND_BODY]
    return render(request, "fund/home.html", {
        "page_title": "Collaborative fund", "calls": [c for c in all_calls if c.phase != "drafting" or c in manages],
        "mine": mine, "to_assess": to_assess, "fund_bodies": _unique(bodies), "done": _done(request),
        "PROPOSAL": PROPOSAL, "CALL": CALL,
    })


@router.get("/fund/calls/new")
def new_call(request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """The form to create a call."""
    return _new_call_page(request, user)


def _new_call_page(request: Request, user: User, error: str | None = None, values: dict[str, Any] | None = None,
                   errors: dict[str, str] | None = None) -> Response:
    bodies = _unique([m.organisation for m in user.memberships
                      if can(user, "fund.call.manage", m.organisation_id) and m.organisation.kind == OrgKind.FUND_BODY])
    if not bodies:
        raise PermissionDenied("Only a fund manager can open a call.")
    return render(request, "fund/call_new.html", {"page_title": "Set up a call", "bodies": bodies, "error": error,
                                                  "errors": errors or {}, "values": values or {}},
                  422 if error or errors else 200)


def _call_page(request: Request, db: Session, slug: str, error: str | None = None, *,
               errors: dict[str, str] | None = None, strand_values: dict[str, Any] | None = None,
               criterion_values: dict[str, Any] | None = None) -> Response:
    call = _call(db, slug)
    user = request.state.user
    manager = can(user, "fund.call.manage", call.fund_body_id)
    if call.phase == "drafting" and not manager:
        raise NotFound(f"There is no call {slug!r}.")
    strands = [(s, calls.committed(db, s)) for s in call.strands]
    leads = _unique(_user_councils(user, "fund.proposal.create"))
    return render(request, "fund/call.html", {
        "page_title": call.title, "call": call, "strands": strands, "manager": manager, "leads": leads,
        "accepting": calls.accepting_proposals(call), "public": calls.public_proposals(db, call),
        "transitions": CALL.available(call.phase, user, {"fund_body": [call.fund_body_id]}) if user else [],
        "CALL": CALL, "error": error, "done": _done(request), "errors": errors or {},
        "strand_values": strand_values or {}, "criterion_values": criterion_values or {},
    }, 422 if error or errors else 200)


@router.get("/fund/calls/{slug}")
def call_page(request: Request, slug: str, db: Session = Depends(get_db)) -> Response:
    """A call: its strands, criteria, dates and proposals."""
    return _call_page(request, db, slug)


@router.post("/fund/calls/{slug}/transition")
def call_transition(request: Request, slug: str, db: Session = Depends(get_db),
                          user: User = Depends(require_user), data: FormData = Depends(form_data)) -> Response:
    """Move a call to its next state (open, close, ...)."""
    form = _form(data)
    call = _call(db, slug)
    try:
        calls.transition_call(db, user, call, form.get("name", ""))
    except (ValidationFailed, KeyError) as exc:
        db.rollback()
        return _call_page(request, db, slug, str(exc).strip("'\""))
    return _go(f"/fund/calls/{slug}", "transition")


@router.get("/fund/calls/{slug}/proposals")
def submitted_proposals(request: Request, slug: str, db: Session = Depends(get_db)) -> Response:
    """The public list of every submitted proposal, after the deadline."""
    call = _call(db, slug)
    if call.phase == "drafting":
        raise NotFound(f"There is no call {slug!r}.")
    return render(request, "fund/public_proposals.html", {
        "page_title": f"Proposals submitted to {call.title}", "call": call,
        "public": calls.public_proposals(db, call), "partnership_names": proposals.partnership_names,
        "hidden": lambda p: blind.hidden_from(request.state.user, p), "HIDDEN": blind.HIDDEN,
    })


@router.post("/fund/calls/{slug}/proposals")
def start_proposal(request: Request, slug: str, db: Session = Depends(get_db),
                         user: User = Depends(require_user), data: FormData = Depends(form_data)) -> Response:
    """Start a proposal to a call."""
    form = _form(data)
    call = _call(db, slug)
    try:
        p = proposals.create_proposal(db, user, call, lead_org_id=int(form.get("lead_org_id") or 0),
                                      title=form.get("title", ""),
                                      strand_id=int(form["strand_id"]) if form.get("strand_id") else None)
    except (ValidationFailed, ValueError) as exc:
        db.rollback()
        return _call_page(request, db, slug, str(exc))
    return _go(f"/fund/proposals/{p.id}", "created")


# --- proposals -----------------------------------------------------------------------------------

def _proposal_page(request: Request, db: Session, pid: int, error: str | None = None) -> Response:
    user = request.state.user
    p = _proposal(db, pid)
    proposals.require_view(user, p)
    my_signable = [x for x in p.partners if x.kind in proposals.SIGNING_KINDS
                   and can(user, "fund.proposal.signoff", x.organisation_id)]
    councils = db.execute(select(Organisation).where(Organisation.kind.in_([OrgKind.COUNCIL.value, OrgKind.VCS.value]))
                          .order_by(Organisation.kind, Organisation.name)).scalars().all()
    in_partnership = set(proposals.org_ids(p))
    return render(request, "fund/proposal.html", {
        "page_title": p.title, "p": p, "call": p.call, "editable": p.state == "draft" and proposals.may_edit(user, p),
        "my_signable": my_signable, "missing_fields": proposals.missing_fields(p),
        "eligibility": proposals.eligibility_problems(p), "missing_signoffs": proposals.missing_sign_offs(p),
        "transitions": [t for t in PROPOSAL.available(p.state, user, proposals.owners(p)) if t.name not in ("award", "decline")],
        "candidates": [o for o in councils if o.id not in in_partnership], "PARTNER_KINDS": PARTNER_KINDS,
        "FORM_FIELDS": FORM_FIELDS, "PROPOSAL": PROPOSAL, "error": error, "done": _done(request),
        "may_partner": any(can(user, "fund.proposal.partners", o) for o in proposals.org_ids(p, ("lead", "partner"))),
    }, 422 if error else 200)


@router.get("/fund/proposals/{pid}")
def proposal_page(request: Request, pid: int, db: Session = Depends(get_db),
                  user: User = Depends(require_user)) -> Response:
    """A proposal: its partners, budget, sign-offs and state."""
    return _proposal_page(request, db, pid)


def _edit_page(request: Request, db: Session, pid: int, error: str | None = None,
               values: dict[str, Any] | None = None) -> Response:
    user = request.state.user
    p = _proposal(db, pid)
    proposals.require_view(user, p)
    if not proposals.may_edit(user, p):
        raise PermissionDenied("Only people in the partnership's organisations can edit this proposal.")
    data = proposals.snapshot(p)
    if values:
        data.update({k: v for k, v in values.items() if k in data})
    measures = [*list(data["measures"]), {"outcome": "", "name": "", "unit": "", "baseline": None, "target": None}]
    return render(request, "fund/proposal_edit.html", {
        "page_title": f"Edit: {p.title}", "p": p, "data": data, "measures": measures, "FORM_FIELDS": FORM_FIELDS,
        "error": error,
    }, 422 if error else 200)


@router.get("/fund/proposals/{pid}/edit")
def edit_proposal(request: Request, pid: int, db: Session = Depends(get_db),
                  user: User = Depends(require_user)) -> Response:
    """The form to edit a proposal."""
    return _edit_page(request, db, pid)


def _changes_from_form(form: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key in ("title", "summary", "strand_id", "amount_requested", *(f.key for f in FORM_FIELDS)):
        if key in form:
            changes[key] = form[key]
    changes["is_data_project"] = form.get("is_data_project") == "yes"
    measures = []
    i = 0
    while f"measure_{i}_name" in form:
        measures.append({k: form.get(f"measure_{i}_{k}", "") for k in ("outcome", "name", "unit", "baseline", "target")})
        i += 1
    changes["measures"] = measures
    return changes


@router.post("/fund/proposals/{pid}/edit")
def save_proposal(request: Request, pid: int, db: Session = Depends(get_db),
                        user: User = Depends(require_user), data: FormData = Depends(form_data)) -> Response:
    """Save a proposal's changes (refused if someone else changed it meanwhile)."""
    form = _form(data)
    p = _proposal(db, pid)
    try:
        proposals.save_draft(db, user, p, _changes_from_form(form), base_version=int(form.get("base_version") or 0))
    except (ValidationFailed, ValueError) as exc:
        db.rollback()
        return _edit_page(request, db, pid, str(exc), None if isinstance(exc, EditConflict) else form)
    return _go(f"/fund/proposals/{pid}", "saved")


class AutosaveIn(BaseModel):
    base_version: int
    changes: dict[str, Any]


class AutosaveOut(BaseModel):
    version: int
    changed: list[str]
    merged_from: list[int]


@router.post("/api/v1/fund/proposals/{pid}/autosave", response_model=AutosaveOut)
def autosave(pid: int, body: AutosaveIn, request: Request, db: Session = Depends(get_db),
             user: User = Depends(require_user)) -> Any:
    """Autosave a draft (the edit page calls this as partners type). 409 when a partner changed the same part."""
    p = _proposal(db, pid)
    try:
        r = proposals.save_draft(db, user, p, body.changes, base_version=body.base_version, autosave=True)
    except EditConflict as exc:
        return JSONResponse({"detail": str(exc), "fields": sorted(exc.fields), "version": exc.current_version},
                            status_code=409)
    return AutosaveOut(version=r.version, changed=r.changed, merged_from=r.merged_from)


@router.post("/fund/proposals/{pid}/partners")
def add_partner(request: Request, pid: int, db: Session = Depends(get_db),
                      user: User = Depends(require_user), data: FormData = Depends(form_data)) -> Response:
    """Add a partner organisation to a proposal."""
    form = _form(data)
    p = _proposal(db, pid)
    try:
        proposals.add_partner(db, user, p, organisation_id=int(form.get("organisation_id") or 0),
                              kind=form.get("kind", ""), role=form.get("role", ""),
                              officer_days=form.get("officer_days") or 0, match_funding=form.get("match_funding") or 0,
                              budget=form.get("budget") or 0, budget_purpose=form.get("budget_purpose", ""))
    except (ValidationFailed, ValueError, NotFound) as exc:
        db.rollback()
        return _proposal_page(request, db, pid, str(exc))
    return _go(f"/fund/proposals/{pid}", "partner")


@router.post("/fund/proposals/{pid}/partners/{partner_id}")
def update_partner(request: Request, pid: int, partner_id: int, db: Session = Depends(get_db),
                         user: User = Depends(require_user), data: FormData = Depends(form_data)) -> Response:
    """Change or remove a partner of a proposal."""
    form = _form(data)
    p = _proposal(db, pid)
    try:
        if form.get("remove") == "yes":
            proposals.remove_partner(db, user, p, partner_id)
        else:
            proposals.update_partner(db, user, p, partner_id, **{
                k: form[k] for k in ("role", "officer_days", "match_funding", "budget", "budget_purpose") if k in form})
    except ValidationFailed as exc:
        db.rollback()
        return _proposal_page(request, db, pid, str(exc))
    return _go(f"/fund/proposals/{pid}", "partner")


@router.post("/fund/proposals/{pid}/sign-off")
def sign_off(request: Request, pid: int, db: Session = Depends(get_db),
                   user: User = Depends(require_user), data: FormData = Depends(form_data)) -> Response:
    """Sign off a proposal on behalf of a partner organisation."""
    form = _form(data)
    p = _proposal(db, pid)
    try:
        if int(form.get("version") or 0) != p.version:
            raise ValidationFailed("The proposal changed while you were reading it. Read the new version, then "
                                   "sign it off.")
        proposals.sign_off(db, user, p, int(form.get("organisation_id") or 0))
    except (ValidationFailed, ValueError) as exc:
        db.rollback()
        return _proposal_page(request, db, pid, str(exc))
    return _go(f"/fund/proposals/{pid}", "signed")


@router.post("/fund/proposals/{pid}/transition")
def proposal_transition(request: Request, pid: int, db: Session = Depends(get_db),
                              user: User = Depends(require_user), data: FormData = Depends(form_data)) -> Response:
    """Move a proposal to its next state (submit, withdraw, ...)."""
    form = _form(data)
    p = _proposal(db, pid)
    name = form.get("name", "")
    try:
        PROPOSAL.transition(name)
        proposals.transition(db, user, p, name, note=form.get("note", ""))
    except (ValidationFailed, KeyError) as exc:
        db.rollback()
        return _proposal_page(request, db, pid, str(exc).strip("'\""))
    return _go(f"/fund/proposals/{pid}", "submit" if name == "submit" else "transition")


@router.get("/fund/proposals/{pid}/versions")
def proposal_versions(request: Request, pid: int, db: Session = Depends(get_db),
                      user: User = Depends(require_user)) -> Response:
    """A proposal's earlier versions and what changed."""
    p = _proposal(db, pid)
    proposals.require_view(user, p)
    return render(request, "fund/versions.html", {"page_title": f"Versions: {p.title}", "p": p,
                                                  "versions": proposals.versions(db, p)})


# --- assessment ----------------------------------------------------------------------------------

def _manage_page(request: Request, db: Session, slug: str, error: str | None = None) -> Response:
    user = request.state.user
    call = _call(db, slug)
    if not can(user, "fund.proposals.manage", call.fund_body_id):
        raise PermissionDenied("Only the fund's managers can see every proposal.")
    rows = []
    for p in db.execute(select(Proposal).where(Proposal.call_id == call.id).order_by(Proposal.reference)).scalars():
        rows.append({"p": p, "assigned": assessment.assignments(db, p), "conflicts": assessment.conflicts(db, p),
                     "choices": panel.choices(db, p),
                     "transitions": [t for t in PROPOSAL.available(p.state, user, proposals.owners(p))
                                     if t.name not in ("award", "decline")]})
    return render(request, "fund/manage.html", {
        "page_title": f"Proposals to {call.title}", "call": call, "rows": rows,
        "panel": assessment.panel_members(db, call), "PROPOSAL": PROPOSAL, "error": error, "done": _done(request),
    }, 422 if error else 200)


@router.get("/fund/calls/{slug}/manage")
def manage(request: Request, slug: str, db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """Manage a call: assign panel members and move proposals through assessment."""
    return _manage_page(request, db, slug)


@router.post("/fund/proposals/{pid}/manage-transition")
def manage_transition(request: Request, pid: int, db: Session = Depends(get_db),
                            user: User = Depends(require_user), data: FormData = Depends(form_data)) -> Response:
    """Move a proposal through assessment (from the call's manage page)."""
    form = _form(data)
    p = _proposal(db, pid)
    try:
        PROPOSAL.transition(form.get("name", ""))
        proposals.transition(db, user, p, form.get("name", ""))
    except (ValidationFailed, KeyError) as exc:
        db.rollback()
        return _manage_page(request, db, p.call.slug, str(exc).strip("'\""))
    return _go(f"/fund/calls/{p.call.slug}/manage", "transition")


@router.get("/fund/assess")
def to_assess(request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """The proposals a panel member has to assess."""
    return render(request, "fund/assess_list.html", {
        "page_title": "Proposals to assess", "items": assessment.proposals_to_assess(db, user), "user": user,
        "display_partners": assessment.display_partners,
    })


def _assess_page(request: Request, db: Session, pid: int, error: str | None = None) -> Response:
    user = request.state.user
    p = _proposal(db, pid)
    call = p.call
    if not (can(user, "fund.panel.score", call.fund_body_id) or can(user, "fund.moderate", call.fund_body_id)):
        raise PermissionDenied("Only the fund's panel can assess proposals.")
    reason = assessment.recusal_reason(db, user, p)
    if reason:
        raise PermissionDenied(f"You are recused from this proposal: you cannot see it on the panel or score it. "
                               f"{reason}")
    if not can(user, "fund.moderate", call.fund_body_id) and not assessment.is_assigned(db, user, p):
        raise PermissionDenied("You have not been assigned this proposal, so you cannot open it. The fund manager "
                               "assigns proposals to panel members.")
    mine = {s.criterion_id: s for s in db.execute(select(assessment.Score).where(
        assessment.Score.proposal_id == p.id, assessment.Score.user_id == user.id)).scalars()}
    return render(request, "fund/assess.html", {
        "page_title": f"Assess: {p.title}", "p": p, "call": call, "mine": mine,
        "assigned": assessment.is_assigned(db, user, p), "partners": assessment.display_partners(p, user),
        "FORM_FIELDS": FORM_FIELDS, "error": error, "done": _done(request),
    }, 422 if error else 200)


@router.get("/fund/proposals/{pid}/assess")
def assess(request: Request, pid: int, db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """The assessment form for a proposal (a panel member's scores against the rubric)."""
    return _assess_page(request, db, pid)


@router.post("/fund/proposals/{pid}/assess")
def score(request: Request, pid: int, db: Session = Depends(get_db),
                user: User = Depends(require_user), data: FormData = Depends(form_data)) -> Response:
    """Save a panel member's scores for a proposal."""
    form = _form(data)
    p = _proposal(db, pid)
    try:
        for c in p.call.criteria:
            assessment.score(db, user, p, c.id, form.get(f"score_{c.id}", ""), form.get(f"comment_{c.id}", ""))
    except ValidationFailed as exc:
        db.rollback()
        return _assess_page(request, db, pid, str(exc))
    return _go(f"/fund/proposals/{pid}/assess", "scored")


@router.post("/fund/proposals/{pid}/conflict")
def declare(request: Request, pid: int, db: Session = Depends(get_db),
                  user: User = Depends(require_user), data: FormData = Depends(form_data)) -> Response:
    """Declare a conflict of interest with a proposal (the panel member is recused)."""
    form = _form(data)
    p = _proposal(db, pid)
    try:
        assessment.declare_conflict(db, user, p, form.get("reason", ""))
    except ValidationFailed as exc:
        db.rollback()
        return _assess_page(request, db, pid, str(exc))
    return _go("/fund/assess", "conflict")


def _moderation_page(request: Request, db: Session, slug: str, error: str | None = None) -> Response:
    user = request.state.user
    call = _call(db, slug)
    results = []
    for strand in call.strands:
        ranked = assessment.ranking(db, call, ("in_assessment", "awarded", "not_funded")).get(strand.id, [])
        visible = [r for r in ranked if assessment.may_see_scores(db, user, r.proposal) is None]
        hidden = len(ranked) - len(visible)
        results.append((strand, visible, hidden))
    if not (can(user, "fund.moderate", call.fund_body_id) or can(user, "fund.panel.score", call.fund_body_id)):
        raise PermissionDenied("Only the fund's managers and panel can see the scores.")
    return render(request, "fund/moderation.html", {
        "page_title": f"Moderation: {call.title}", "call": call, "results": results,
        "moderator": can(user, "fund.moderate", call.fund_body_id), "WIDE": assessment.WIDE_SPREAD,
        "error": error, "done": _done(request),
    }, 422 if error else 200)


@router.get("/fund/calls/{slug}/moderation")
def moderation(request: Request, slug: str, db: Session = Depends(get_db),
               user: User = Depends(require_user)) -> Response:
    """A call's moderation page: panel scores side by side."""
    return _moderation_page(request, db, slug)


@router.post("/fund/proposals/{pid}/moderate")
def moderate(request: Request, pid: int, db: Session = Depends(get_db),
                   user: User = Depends(require_user), data: FormData = Depends(form_data)) -> Response:
    """Record a moderated score for a proposal."""
    form = _form(data)
    p = _proposal(db, pid)
    try:
        assessment.moderate(db, user, p, form.get("note", ""))
    except ValidationFailed as exc:
        db.rollback()
        return _moderation_page(request, db, p.call.slug, str(exc))
    return _go(f"/fund/calls/{p.call.slug}/moderation", "moderated")


def _decisions_page(request: Request, db: Session, slug: str, error: str | None = None,
                    values: dict[str, Any] | None = None) -> Response:
    user = request.state.user
    call = _call(db, slug)
    if not can(user, "fund.decide", call.fund_body_id):
        raise PermissionDenied("Only the fund's managers make award decisions.")
    ranked = assessment.ranking(db, call, ("in_assessment", "awarded", "not_funded"))
    strands = [(s, ranked.get(s.id, []), calls.committed(db, s)) for s in call.strands]
    return render(request, "fund/decisions.html", {
        "page_title": f"Decisions: {call.title}", "call": call, "strands": strands, "values": values or {},
        "awards": {a.proposal_id: a for a in decisions.awards(db, call)}, "error": error, "done": _done(request),
        "share_problem": award_checks.share_problem,
    }, 422 if error else 200)


@router.get("/fund/calls/{slug}/decisions")
def decisions_page(request: Request, slug: str, db: Session = Depends(get_db),
                   user: User = Depends(require_user)) -> Response:
    """A call's decisions page: award or decline proposals within each strand's budget."""
    return _decisions_page(request, db, slug)


@router.post("/fund/calls/{slug}/decisions")
def decide(request: Request, slug: str, db: Session = Depends(get_db),
                 user: User = Depends(require_user), data: FormData = Depends(form_data)) -> Response:
    """Record award decisions for a call's proposals."""
    form = _form(data)
    call = _call(db, slug)
    awards, declines = [], []
    for key, value in form.items():
        if key.startswith("decision_"):
            pid = int(key.removeprefix("decision_"))
            if value == "award":
                awards.append((pid, form.get(f"amount_{pid}", "")))
            elif value == "decline":
                declines.append(pid)
    try:
        decisions.decide(db, user, call, awards, declines=declines, note=form.get("note", ""))
    except (ValidationFailed, NotFound) as exc:
        db.rollback()
        return _decisions_page(request, db, slug, str(exc), form)
    return _go(f"/fund/calls/{slug}/decisions", "decided")


# --- projects ------------------------------------------------------------------------------------

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
        "adopters": _unique(councils), "OUTPUT_KINDS": projects.OUTPUT_KINDS,
        "ADOPTION_STATUSES": projects.ADOPTION_STATUSES, "AREAS": projects.AREAS, "PROJECT": PROJECT,
        "dpia_choices": next(f.choices for f in FORM_FIELDS if f.key == "ig_dpia_status"),
        "error": error, "done": _done(request), "partners_hidden": blind.hidden_from(user, project.proposal),
        "HIDDEN": blind.HIDDEN, "share_problem": award_checks.share_problem(project.award),
    }, 422 if error else 200)


@router.get("/fund/projects/{project_id}")
def project_page(request: Request, project_id: int, db: Session = Depends(get_db)) -> Response:
    """A funded project: its gates, reports, evidence, lessons and outputs."""
    return _project_page(request, db, project_id)


def _project_action(request: Request, db: Session, project_id: int, done: str, fn: Any,
                    data: FormData) -> Response:
    form = _form(data)
    project = projects.get_project(db, project_id)
    user = request.state.user
    try:
        fn(db, user, project, form)
    except (ValidationFailed, ValueError, NotFound) as exc:
        db.rollback()
        return _project_page(request, db, project_id, str(exc))
    return _go(f"/fund/projects/{project_id}", done)


@router.post("/fund/projects/{project_id}/evidence")
def add_evidence(request: Request, project_id: int, db: Session = Depends(get_db),
                       user: User = Depends(require_user), data: FormData = Depends(form_data)) -> Response:
    """Add evidence to a project."""
    return _project_action(request, db, project_id, "evidence", lambda d, u, pr, f: projects.add_evidence(
        d, u, pr, stage=f.get("stage", ""), title=f.get("title", ""), url=f.get("url") or None,
        description=f.get("description", "")), data=data)


@router.post("/fund/projects/{project_id}/gate")
def pass_gate(request: Request, project_id: int, db: Session = Depends(get_db),
                    user: User = Depends(require_user), data: FormData = Depends(form_data)) -> Response:
    """Pass a project through its next Double Diamond gate."""
    return _project_action(request, db, project_id, "gate",
                                 lambda d, u, pr, f: projects.pass_gate(d, u, pr, f.get("note", "")), data=data)


@router.post("/fund/projects/{project_id}/ig")
def sign_off_ig(request: Request, project_id: int, db: Session = Depends(get_db),
                      user: User = Depends(require_user), data: FormData = Depends(form_data)) -> Response:
    """Sign off a project's information-governance gate."""
    return _project_action(request, db, project_id, "ig",
                                 lambda d, u, pr, f: projects.sign_off_ig(d, u, pr, f.get("note", "")), data=data)


@router.post("/fund/projects/{project_id}/dpia")
def record_dpia(request: Request, project_id: int, db: Session = Depends(get_db),
                      user: User = Depends(require_user), data: FormData = Depends(form_data)) -> Response:
    """Record the state of a project's data protection impact assessment."""
    return _project_action(request, db, project_id, "saved",
                                 lambda d, u, pr, f: projects.record_dpia(d, u, pr, f.get("status", "")), data=data)


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
    }, 422 if error else 200)


@router.post("/fund/projects/{project_id}/reports/{period}")
def file_report(request: Request, project_id: int, period: int, db: Session = Depends(get_db),
                      user: User = Depends(require_user), data: FormData = Depends(form_data)) -> Response:
    """File a project's progress report for one period."""
    form = _form(data)
    project = projects.get_project(db, project_id)
    values = {m.id: form.get(f"value_{m.id}", "") for m in project.proposal.measures}
    notes = {m.id: form.get(f"note_{m.id}", "") for m in project.proposal.measures}
    try:
        projects.file_report(db, user, project, period=period, narrative=form.get("narrative", ""),
                             values=values, notes=notes)
    except (ValidationFailed, NotFound) as exc:
        db.rollback()
        return _report_page(request, db, project_id, period, str(exc), form)
    return _go(f"/fund/projects/{project_id}", "report")


@router.post("/fund/projects/{project_id}/lessons")
def add_lesson(request: Request, project_id: int, db: Session = Depends(get_db),
                     user: User = Depends(require_user), data: FormData = Depends(form_data)) -> Response:
    """Add a lesson a project learned."""
    return _project_action(request, db, project_id, "lesson", lambda d, u, pr, f: projects.add_lesson(
        d, u, pr, title=f.get("title", ""), body=f.get("body", ""),
        tags=[t for t in f.get("tags", "").split(",") if t.strip()]), data=data)


@router.post("/fund/projects/{project_id}/outputs")
def add_output(request: Request, project_id: int, db: Session = Depends(get_db),
                     user: User = Depends(require_user), data: FormData = Depends(form_data)) -> Response:
    """Add an output a project made (for other boroughs to reuse)."""
    return _project_action(request, db, project_id, "output", lambda d, u, pr, f: projects.add_output(
        d, u, pr, kind=f.get("kind", ""), title=f.get("title", ""), url=f.get("url") or None,
        description=f.get("description", ""), licence=f.get("licence", "")), data=data)


@router.post("/fund/projects/{project_id}/links")
def add_link(request: Request, project_id: int, db: Session = Depends(get_db),
                   user: User = Depends(require_user), data: FormData = Depends(form_data)) -> Response:
    """Link a project to an area or an outside resource."""
    return _project_action(request, db, project_id, "link", lambda d, u, pr, f: projects.link_area(
        d, u, pr, area=f.get("area", ""), url=f.get("url", ""), label=f.get("label", ""), ref=f.get("ref", "")), data=data)


@router.post("/fund/outputs/{output_id}/adoptions")
def record_adoption(request: Request, output_id: int, db: Session = Depends(get_db),
                          user: User = Depends(require_user), data: FormData = Depends(form_data)) -> Response:
    """Record that a borough reused a project's output."""
    form = _form(data)
    out = db.get(Output, output_id)
    if out is None:
        raise NotFound("There is no such output.")
    try:
        projects.record_adoption(db, user, out, organisation_id=int(form.get("organisation_id") or 0),
                                 status=form.get("status", ""), url=form.get("url") or None, note=form.get("note", ""))
    except (ValidationFailed, ValueError, NotFound) as exc:
        db.rollback()
        return _project_page(request, db, out.project_id, str(exc))
    return _go(f"/fund/projects/{out.project_id}", "adoption")


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


@router.get("/fund/grants")
def grants(request: Request, db: Session = Depends(get_db)) -> Response:
    """The fund's grants, with other funders' published 360Giving grants beside them."""
    ours = giving360.export_package(db)["grants"]
    return render(request, "fund/grants.html", {"page_title": "Grants", "ours": ours,
                                                "others": giving360.external_grants(db, limit=50)})


@router.get("/fund/grants.json")
def grants_json(db: Session = Depends(get_db)) -> Response:
    """The fund's grants as a 360Giving 1.4.3 package (open data, CC BY 4.0)."""
    pkg = giving360.export_package(db)
    if not pkg["grants"]:
        raise NotFound("No grants have been awarded yet.")
    errors = giving360.validate(pkg)
    if errors:  # never publish what does not validate
        raise BoroughsError("The grants data did not validate: " + "; ".join(errors[:3]))
    return JSONResponse(pkg, headers={"Content-Disposition": 'inline; filename="grants-360giving.json"'})


# --- JSON API ------------------------------------------------------------------------------------

class StrandOut(BaseModel):
    slug: str
    title: str
    budget: int
    award_limit: int
    awarded: int


class CallOut(BaseModel):
    slug: str
    title: str
    fund_body: str
    phase: str
    total_budget: int
    deadline: dt.datetime | None
    strands: list[StrandOut]


@router.get("/api/v1/fund/calls", response_model=list[CallOut])
def api_calls(db: Session = Depends(get_db)) -> Any:
    """Every call that has opened, with its strands, budgets and what is already awarded."""
    return [CallOut(slug=c.slug, title=c.title, fund_body=c.fund_body.name, phase=c.phase,
                    total_budget=c.total_budget, deadline=c.deadline,
                    strands=[StrandOut(slug=s.slug, title=s.title, budget=s.budget, award_limit=s.award_limit,
                                       awarded=calls.committed(db, s)) for s in c.strands])
            for c in calls.list_calls(db) if c.phase != "drafting"]


# --- pages in their own modules (issue 17), included here so the app finds them on this area's router ----------

from boroughs.fund import routes_calls_edit, routes_panel, routes_publish  # noqa: E402

for _sub in (routes_calls_edit, routes_panel, routes_publish):
    router.include_router(_sub.router)
