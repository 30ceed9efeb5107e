"""Partnership proposals: the outcomes-based form, partners and commitments, co-editing, versions,
sign-off and submission.

Co-editing works field by field. Every save names the version the editor started from
(``base_version``). If another partner has saved since, the save still goes through when the two edits
touched different fields (they are merged); if both changed the same field, nothing is saved and
:class:`EditConflict` says which fields and who changed them, so no one's words are silently lost.
Every save, autosaves included, is kept as a :class:`ProposalVersion`.

Partners sign off a particular version. Any later change means they must sign off again before the
lead can submit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from boroughs.core.db import utcnow
from boroughs.core.errors import NotFound, PermissionDenied, ValidationFailed
from boroughs.core.models import Organisation, OrgKind, User
from boroughs.core.permissions import can, require
from boroughs.fund._common import check_amount, gbp, get_org, log
from boroughs.fund.calls import accepting_proposals
from boroughs.fund.models import Call, Measure, Partner, Proposal, ProposalVersion, Strand
from boroughs.fund.workflows import PROPOSAL


@dataclass(frozen=True)
class FormField:
    key: str
    label: str
    hint: str
    required: bool = True
    data_only: bool = False
    choices: tuple[str, ...] = ()


# The outcomes-based form, in the order it is shown. ``data_only`` sections are the information-
# governance plan, required only for data projects.
FORM_FIELDS: tuple[FormField, ...] = (
    FormField("problem", "The problem", "What is going wrong, and what evidence do you have?"),
    FormField("who_affected", "Who experiences it", "Which residents or staff, and how many?"),
    FormField("outcomes", "Outcomes sought", "The real-world changes you want to see, one per line."),
    FormField("approach", "Approach", "What you will do, stage by stage, to reach those outcomes."),
    FormField("replication_plan", "Replication plan",
              "What other boroughs could reuse (code, playbook, dataset, service pattern) and how."),
    FormField("ig_lawful_basis", "Lawful basis", "The UK GDPR lawful basis for each use of personal data.",
              data_only=True),
    FormField("ig_dpia_status", "Data protection impact assessment",
              "Where your DPIA has got to.", data_only=True,
              choices=("Not started", "In progress", "Complete", "Not needed (no personal data)")),
    FormField("ig_data_sharing", "Data sharing agreement",
              "Which organisations share what, under which agreement.", data_only=True),
    FormField("ig_ethics", "Ethics", "Risks of harm or bias and how you will manage them.", data_only=True),
    FormField("ig_security", "Security", "Where the data is held and who can reach it.", data_only=True),
    FormField("ig_datastore", "Sharing through the London Datastore",
              "Which outputs you will publish openly, and in what form.", data_only=True),
)
FORM_KEYS = {f.key for f in FORM_FIELDS}
TOP_FIELDS = ("title", "summary", "strand_id", "is_data_project", "amount_requested")
EDITABLE = set(TOP_FIELDS) | FORM_KEYS | {"measures"}
SIGNING_KINDS = ("lead", "partner", "vcs")
PARTNER_KINDS = {
    "lead": "Lead council",
    "partner": "Partner council",
    "vcs": "Voluntary and community sector partner",
    "interested": "Interested borough",
}
MAX_TEXT = 20_000


class EditConflict(ValidationFailed):
    """Two partners changed the same field: the later save is refused, naming the fields."""

    def __init__(self, fields: dict[str, str], current_version: int) -> None:
        self.fields = fields
        self.current_version = current_version
        named = "; ".join(f"{_field_label(k)} (changed by {who})" for k, who in sorted(fields.items()))
        super().__init__(
            f"Someone else changed the same part of this proposal while you were editing: {named}. "
            f"Your changes to those parts were not saved. Reload version {current_version}, "
            "then make your changes again."
        )


def _field_label(key: str) -> str:
    for f in FORM_FIELDS:
        if f.key == key:
            return f.label
    return {"title": "Title", "summary": "Summary", "strand_id": "Strand",
            "is_data_project": "Data project", "amount_requested": "Amount requested",
            "measures": "Outcome measures"}.get(key, key)


@dataclass
class SaveResult:
    version: int
    changed: list[str] = field(default_factory=list)
    merged_from: list[int] = field(default_factory=list)


# --- reading -------------------------------------------------------------------------------------

def get_proposal(session: Session, proposal_id: int) -> Proposal:
    p = session.get(Proposal, proposal_id)
    if p is None:
        raise NotFound(f"There is no proposal {proposal_id}.")
    return p


def org_ids(proposal: Proposal, kinds: tuple[str, ...] = ("lead", "partner", "vcs", "interested")) -> list[int]:
    return [p.organisation_id for p in proposal.partners if p.kind in kinds]


def owners(proposal: Proposal) -> dict[str, list[int]]:
    return {
        "lead": [proposal.lead_org_id],
        "partnership": org_ids(proposal, SIGNING_KINDS),
        "fund_body": [proposal.call.fund_body_id],
    }


def may_edit(user: Any, proposal: Proposal) -> bool:
    return any(can(user, "fund.proposal.edit", o) for o in org_ids(proposal, SIGNING_KINDS))


def may_view(user: Any, proposal: Proposal) -> bool:
    """Partners (including interested boroughs) and the fund body's managers see a proposal; panel
    members see it through the assessment pages, which apply recusal."""
    if any(can(user, "fund.proposal.view", o) for o in org_ids(proposal)):
        return True
    return can(user, "fund.proposals.manage", proposal.call.fund_body_id)


def require_view(user: Any, proposal: Proposal) -> None:
    if not may_view(user, proposal):
        raise PermissionDenied("You can only see proposals your organisation is part of.")


def proposals_for(session: Session, user: Any) -> list[Proposal]:
    """Proposals any of the user's organisations is part of, newest first."""
    ids = {m.organisation_id for m in getattr(user, "memberships", [])}
    if not ids:
        return []
    mine = select(Partner.proposal_id).where(Partner.organisation_id.in_(ids))
    q = select(Proposal).where(Proposal.id.in_(mine)).order_by(Proposal.updated_at.desc())
    return list(session.execute(q).scalars())


def snapshot(proposal: Proposal) -> dict[str, Any]:
    data: dict[str, Any] = {k: getattr(proposal, k) for k in TOP_FIELDS}
    for key in FORM_KEYS:
        data[key] = (proposal.form or {}).get(key, "")
    data["measures"] = [
        {"outcome": m.outcome, "name": m.name, "unit": m.unit, "baseline": m.baseline, "target": m.target}
        for m in proposal.measures
    ]
    data["partners"] = [
        {"organisation_id": p.organisation_id, "organisation": p.organisation.name, "kind": p.kind,
         "role": p.role, "officer_days": p.officer_days, "match_funding": p.match_funding,
         "budget": p.budget, "budget_purpose": p.budget_purpose}
        for p in proposal.partners
    ]
    return data


def versions(session: Session, proposal: Proposal) -> list[ProposalVersion]:
    return list(session.execute(
        select(ProposalVersion).where(ProposalVersion.proposal_id == proposal.id)
        .order_by(ProposalVersion.number.desc())
    ).scalars())


# --- creating and editing ------------------------------------------------------------------------

def create_proposal(
    session: Session, user: Any, call: Call, *, lead_org_id: int, title: str, strand_id: int | None = None,
    is_fictional: bool = False,
) -> Proposal:
    require(user, "fund.proposal.create", lead_org_id)
    lead = get_org(session, lead_org_id)
    if lead.kind != OrgKind.COUNCIL:
        raise ValidationFailed(f"{lead.name} is not a council: a proposal must be led by a council.")
    reason = accepting_proposals(call)
    if reason:
        raise ValidationFailed(reason)
    if not title.strip():
        raise ValidationFailed("Give the proposal a title.")
    if strand_id is not None:
        _check_strand(call, strand_id)
    n = session.execute(select(func.count(Proposal.id)).where(Proposal.call_id == call.id)).scalar_one()
    proposal = Proposal(
        call=call, lead_org_id=lead_org_id, title=title.strip()[:200], strand_id=strand_id,
        reference=f"{call.id}-{n + 1:03d}", form={}, version=1, is_fictional=is_fictional,
        created_by_id=getattr(user, "id", None), updated_by_id=getattr(user, "id", None),
    )
    session.add(proposal)
    session.flush()
    session.add(Partner(proposal=proposal, organisation_id=lead_org_id, kind="lead", position=0))
    session.flush()
    session.refresh(proposal)
    _store_version(session, user, proposal, ["title"], autosave=False)
    log(session, "fund.proposal.create", user, lead_org_id, proposal, call_id=call.id)
    return proposal


def _check_strand(call: Call, strand_id: Any) -> int:
    try:
        sid = int(strand_id)
    except (TypeError, ValueError):
        raise ValidationFailed("Choose one of the call's strands.") from None
    if sid not in {s.id for s in call.strands}:
        raise ValidationFailed("That strand is not part of this call: choose one of the call's strands.")
    return sid


def _require_draft(proposal: Proposal) -> None:
    if proposal.state != "draft":
        raise ValidationFailed(
            f"This proposal is {PROPOSAL.label(proposal.state).lower()}, so it can no longer be changed."
        )


def _require_edit(user: Any, proposal: Proposal) -> None:
    if not may_edit(user, proposal):
        raise PermissionDenied("Only people in the partnership's organisations can edit this proposal.")


def _clean(proposal: Proposal, key: str, value: Any) -> Any:
    if key in FORM_KEYS or key in ("title", "summary"):
        text = "" if value is None else str(value)
        if len(text) > MAX_TEXT:
            raise ValidationFailed(f"{_field_label(key)} is too long: keep it under {MAX_TEXT:,} characters.")
        if key == "title":
            if not text.strip():
                raise ValidationFailed("The title cannot be empty.")
            text = text.strip()[:200]
        fdef = next((f for f in FORM_FIELDS if f.key == key), None)
        if fdef and fdef.choices and text and text not in fdef.choices:
            raise ValidationFailed(f"{fdef.label}: choose one of {', '.join(fdef.choices)}.")
        return text
    if key == "strand_id":
        return None if value in (None, "") else _check_strand(proposal.call, value)
    if key == "is_data_project":
        return value in (True, "true", "yes", "on", "1", 1)
    if key == "amount_requested":
        return check_amount(value or 0, "The amount requested", allow_zero=True)
    if key == "measures":
        return _clean_measures(value)
    raise ValidationFailed(f"{key!r} is not part of the proposal form.")


def _clean_measures(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise ValidationFailed("Outcome measures must be a list.")
    out = []
    for i, m in enumerate(value, start=1):
        if not isinstance(m, dict):
            raise ValidationFailed(f"Outcome measure {i} is not in the right form.")
        name = str(m.get("name") or "").strip()
        outcome = str(m.get("outcome") or "").strip()
        if not name and not outcome and m.get("baseline") in (None, "") and m.get("target") in (None, ""):
            continue  # an empty row in the form
        if not name:
            raise ValidationFailed(f"Outcome measure {i}: give the measure a name.")
        nums: dict[str, float | None] = {}
        for k in ("baseline", "target"):
            v = m.get(k)
            if v in (None, ""):
                nums[k] = None
                continue
            try:
                nums[k] = float(str(v).replace(",", ""))
            except ValueError:
                raise ValidationFailed(f"Outcome measure {i}: the {k} must be a number.") from None
        out.append({"outcome": outcome, "name": name[:300], "unit": str(m.get("unit") or "")[:60],
                    "baseline": nums["baseline"], "target": nums["target"]})
    return out


def save_draft(
    session: Session,
    user: Any,
    proposal: Proposal,
    changes: dict[str, Any],
    *,
    base_version: int,
    autosave: bool = False,
) -> SaveResult:
    """Save edits to a draft, merging with other partners' edits field by field."""
    _require_edit(user, proposal)
    _require_draft(proposal)
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationFailed(f"These are not parts of the proposal form: {', '.join(sorted(unknown))}.")
    if base_version > proposal.version or base_version < 1:
        raise ValidationFailed(f"Version {base_version} of this proposal does not exist.")
    current = snapshot(proposal)
    cleaned = {k: _clean(proposal, k, v) for k, v in changes.items()}
    if base_version < proposal.version:
        # A three-way merge: only what this editor changed from the version they started with counts as
        # their change, so a whole form sent back with a partner's newer text untouched keeps that text.
        base = session.execute(select(ProposalVersion.snapshot).where(
            ProposalVersion.proposal_id == proposal.id, ProposalVersion.number == base_version)).scalar_one_or_none()
        if base is not None:
            cleaned = {k: v for k, v in cleaned.items() if k not in base or base[k] != v}
    changed = sorted(k for k, v in cleaned.items() if current.get(k) != v)
    if not changed:
        return SaveResult(proposal.version)
    merged_from: list[int] = []
    if base_version < proposal.version:
        later = session.execute(
            select(ProposalVersion).where(ProposalVersion.proposal_id == proposal.id,
                                          ProposalVersion.number > base_version)
        ).scalars().all()
        clashes: dict[str, str] = {}
        for v in later:
            for k in set(v.changed_fields) & set(changed):
                clashes[k] = v.saved_by.name if v.saved_by else "another editor"
            merged_from.append(v.number)
        if clashes:
            raise EditConflict(clashes, proposal.version)
    for k in changed:
        v = cleaned[k]
        if k in FORM_KEYS:
            form = dict(proposal.form or {})
            form[k] = v
            proposal.form = form
        elif k == "measures":
            proposal.measures.clear()
            session.flush()
            for i, m in enumerate(v):
                proposal.measures.append(Measure(position=i, **m))
        else:
            setattr(proposal, k, v)
    _bump(session, user, proposal, changed, autosave=autosave)
    log(session, "fund.proposal.autosave" if autosave else "fund.proposal.save", user, proposal.lead_org_id,
        proposal, version=proposal.version, fields=changed)
    return SaveResult(proposal.version, changed, sorted(merged_from))


def _bump(session: Session, user: Any, proposal: Proposal, changed: list[str], *, autosave: bool) -> None:
    proposal.version += 1
    proposal.updated_at = utcnow()
    proposal.updated_by_id = getattr(user, "id", None)
    session.flush()
    session.refresh(proposal)
    _store_version(session, user, proposal, changed, autosave=autosave)


def _store_version(session: Session, user: Any, proposal: Proposal, changed: list[str], *, autosave: bool) -> None:
    session.add(ProposalVersion(
        proposal_id=proposal.id, number=proposal.version, snapshot=snapshot(proposal), autosave=autosave,
        saved_by_id=getattr(user, "id", None), changed_fields=changed,
    ))
    session.flush()


def add_partner(
    session: Session,
    user: Any,
    proposal: Proposal,
    *,
    organisation_id: int,
    kind: str,
    role: str = "",
    officer_days: int | str = 0,
    match_funding: int | str = 0,
    budget: int | str = 0,
    budget_purpose: str = "",
) -> Partner:
    """Add a partner council, a VCS partner or an interested borough."""
    _require_partners(user, proposal)
    _require_draft(proposal)
    if kind not in PARTNER_KINDS or kind == "lead":
        raise ValidationFailed("A partner must be a partner council, a VCS partner or an interested borough.")
    org = get_org(session, organisation_id)
    if kind in ("partner", "interested") and org.kind != OrgKind.COUNCIL:
        raise ValidationFailed(f"{org.name} is not a council: add it as a VCS partner instead.")
    if kind == "vcs" and org.kind != OrgKind.VCS:
        raise ValidationFailed(f"{org.name} is not a voluntary or community sector organisation.")
    if organisation_id in org_ids(proposal):
        raise ValidationFailed(f"{org.name} is already in this partnership.")
    commitments = _commitments(kind, officer_days, match_funding, budget)
    partner = Partner(proposal=proposal, organisation_id=organisation_id, kind=kind, role=role.strip(),
                      budget_purpose=budget_purpose.strip(), position=len(proposal.partners), **commitments)
    session.add(partner)
    session.flush()
    _bump(session, user, proposal, ["partners"], autosave=False)
    log(session, "fund.partner.add", user, proposal.lead_org_id, proposal, organisation_id=organisation_id,
        kind=kind)
    return partner


def _commitments(kind: str, officer_days: Any, match_funding: Any, budget: Any) -> dict[str, int]:
    out = {
        "officer_days": check_amount(officer_days or 0, "Officer days", allow_zero=True),
        "match_funding": check_amount(match_funding or 0, "Match funding", allow_zero=True),
        "budget": check_amount(budget or 0, "The partner's share of the budget", allow_zero=True),
    }
    if kind == "interested" and (out["budget"] or out["match_funding"] or out["officer_days"]):
        raise ValidationFailed("An interested borough has no budget or commitments: add it as a partner instead.")
    return out


def _require_partners(user: Any, proposal: Proposal) -> None:
    if not any(can(user, "fund.proposal.partners", o) for o in org_ids(proposal, ("lead", "partner"))):
        raise PermissionDenied("Only officers of the partner councils can change the partnership.")


def update_partner(session: Session, user: Any, proposal: Proposal, partner_id: int, **fields: Any) -> Partner:
    """Change a partner's role, commitments or budget share. Partners may change their own; the lead
    council may change anyone's."""
    _require_draft(proposal)
    partner = next((p for p in proposal.partners if p.id == partner_id), None)
    if partner is None:
        raise NotFound("That organisation is not in this partnership.")
    own = can(user, "fund.proposal.edit", partner.organisation_id)
    lead = can(user, "fund.proposal.partners", proposal.lead_org_id)
    if not (own or lead):
        raise PermissionDenied("You can change your own organisation's commitments, or anyone's if you are "
                               "in the lead council.")
    allowed = {"role", "officer_days", "match_funding", "budget", "budget_purpose"}
    if set(fields) - allowed:
        raise ValidationFailed(f"Only these can be changed: {', '.join(sorted(allowed))}.")
    merged = {
        "officer_days": fields.get("officer_days", partner.officer_days),
        "match_funding": fields.get("match_funding", partner.match_funding),
        "budget": fields.get("budget", partner.budget),
    }
    values = _commitments(partner.kind, **merged)
    before = (partner.role, partner.budget_purpose, partner.officer_days, partner.match_funding, partner.budget)
    partner.role = str(fields.get("role", partner.role)).strip()
    partner.budget_purpose = str(fields.get("budget_purpose", partner.budget_purpose)).strip()
    for k, v in values.items():
        setattr(partner, k, v)
    after = (partner.role, partner.budget_purpose, partner.officer_days, partner.match_funding, partner.budget)
    if before != after:
        _bump(session, user, proposal, ["partners"], autosave=False)
        log(session, "fund.partner.update", user, proposal.lead_org_id, proposal,
            organisation_id=partner.organisation_id)
    return partner


def remove_partner(session: Session, user: Any, proposal: Proposal, partner_id: int) -> None:
    _require_partners(user, proposal)
    _require_draft(proposal)
    partner = next((p for p in proposal.partners if p.id == partner_id), None)
    if partner is None:
        raise NotFound("That organisation is not in this partnership.")
    if partner.kind == "lead":
        raise ValidationFailed("The lead council cannot be removed from its own proposal.")
    proposal.partners.remove(partner)
    session.flush()
    _bump(session, user, proposal, ["partners"], autosave=False)
    log(session, "fund.partner.remove", user, proposal.lead_org_id, proposal,
        organisation_id=partner.organisation_id)


# --- sign-off and submission ---------------------------------------------------------------------

def sign_off(session: Session, user: Any, proposal: Proposal, organisation_id: int) -> Partner:
    """Sign off the current version on behalf of one partner organisation."""
    require(user, "fund.proposal.signoff", organisation_id)
    _require_draft(proposal)
    partner = next((p for p in proposal.partners if p.organisation_id == organisation_id), None)
    if partner is None or partner.kind not in SIGNING_KINDS:
        raise ValidationFailed("Only the lead council and the partners in this proposal sign it off.")
    partner.signed_off_version = proposal.version
    partner.signed_off_at = utcnow()
    partner.signed_off_by_id = getattr(user, "id", None)
    session.flush()
    log(session, "fund.proposal.signoff", user, organisation_id, proposal, version=proposal.version)
    request_sign_offs(session, proposal)  # issue 15: ask the partners still to sign off this version
    return partner


def request_sign_offs(session: Session, proposal: Proposal) -> int:
    """Email every signing partner that has not signed off the current version (once per version)."""
    from boroughs.fund import messages

    return messages.request_sign_offs(session, proposal)


def missing_sign_offs(proposal: Proposal) -> list[Partner]:
    return [p for p in proposal.partners if p.kind in SIGNING_KINDS and p.signed_off_version != proposal.version]


def missing_fields(proposal: Proposal) -> list[str]:
    form = proposal.form or {}
    missing = [f.label for f in FORM_FIELDS
               if f.required and (proposal.is_data_project or not f.data_only)
               and not str(form.get(f.key) or "").strip()]
    if not proposal.summary.strip():
        missing.insert(0, "Summary")
    if proposal.strand_id is None:
        missing.insert(0, "Strand")
    if not proposal.measures:
        missing.append("At least one outcome measure")
    elif any(m.baseline is None or m.target is None for m in proposal.measures):
        missing.append("A baseline and a target for every outcome measure")
    if proposal.amount_requested <= 0:
        missing.append("Amount requested")
    return missing


def eligibility_problems(proposal: Proposal) -> list[str]:
    call = proposal.call
    problems = []
    councils = [p for p in proposal.partners if p.kind in ("lead", "partner")]
    if len(councils) < call.min_partner_councils:
        problems.append(
            f"This call needs at least {call.min_partner_councils} partner councils (including the lead); "
            f"this proposal has {len(councils)}."
        )
    strand: Strand | None = proposal.strand
    if strand is not None and proposal.amount_requested > strand.award_limit:
        problems.append(f"The amount requested ({gbp(proposal.amount_requested)}) is more than the "
                        f"{strand.title} strand's award limit ({gbp(strand.award_limit)}).")
    if call.max_amount_per_proposal and proposal.amount_requested > call.max_amount_per_proposal:
        problems.append(f"The amount requested is more than this call's limit of "
                        f"{gbp(call.max_amount_per_proposal)} a proposal.")
    shares = sum(p.budget for p in proposal.partners)
    if proposal.amount_requested and shares != proposal.amount_requested:
        problems.append(f"The budget by partner adds up to {gbp(shares)}, but the amount requested is "
                        f"{gbp(proposal.amount_requested)}: make them match.")
    return problems


def _g_call_open(p: Proposal) -> str | None:
    return accepting_proposals(p.call)


def _g_form_complete(p: Proposal) -> str | None:
    missing = missing_fields(p)
    return ("The proposal is not finished. Complete: " + "; ".join(missing) + ".") if missing else None


def _g_eligible(p: Proposal) -> str | None:
    problems = eligibility_problems(p)
    return " ".join(problems) if problems else None


def _g_all_signed_off(p: Proposal) -> str | None:
    missing = missing_sign_offs(p)
    if not missing:
        return None
    names = ", ".join(m.organisation.name for m in missing)
    return (f"Every partner must sign off version {p.version} before you submit. Still to sign off: {names}. "
            "Any change to the proposal needs signing off again.")


def _g_call_assessing(p: Proposal) -> str | None:
    if p.call.phase in ("assessment", "decision"):
        return None
    return "Proposals go to the panel once the call's submissions have closed."


def _g_call_deciding(p: Proposal) -> str | None:
    if p.call.phase in ("assessment", "decision"):
        return None
    return "Decisions can only be made while the call is in assessment or decisions."


PROPOSAL_GUARDS = {
    "call_open": _g_call_open,
    "form_complete": _g_form_complete,
    "eligible": _g_eligible,
    "all_signed_off": _g_all_signed_off,
    "call_assessing": _g_call_assessing,
    "call_deciding": _g_call_deciding,
}


def transition(session: Session, user: Any, proposal: Proposal, name: str, *, note: str = "") -> Proposal:
    """Take a workflow step (see ``workflows.PROPOSAL``). Awards go through ``decisions.decide``."""
    if name == "award":
        raise ValidationFailed("Awards are made on the decision screen, which checks the strand's budget.")
    return _fire(session, user, proposal, name, note=note)


def _fire(session: Session, user: Any, proposal: Proposal, name: str, *, note: str = "") -> Proposal:
    new = PROPOSAL.fire(name, proposal.state, user, owners(proposal), PROPOSAL_GUARDS, proposal)
    old = proposal.state
    proposal.state = new
    if name == "submit":
        proposal.submitted_at = utcnow()
    if name == "return_to_draft":
        proposal.submitted_at = None
    session.flush()
    org = proposal.call.fund_body_id if PROPOSAL.transition(name).owner == "fund_body" else proposal.lead_org_id
    log(session, f"fund.proposal.{name}", user, org, proposal, before=old, after=new, note=note or None)
    return proposal


def submit(session: Session, user: Any, proposal: Proposal) -> Proposal:
    return transition(session, user, proposal, "submit")


def partnership_names(proposal: Proposal, kinds: tuple[str, ...] = ("lead", "partner")) -> list[str]:
    return [p.organisation.name for p in proposal.partners if p.kind in kinds]


def user_orgs(user: User | None) -> list[Organisation]:
    return [m.organisation for m in getattr(user, "memberships", [])]


def session_of(obj: Any) -> Session:
    s = object_session(obj)
    assert s is not None
    return s
