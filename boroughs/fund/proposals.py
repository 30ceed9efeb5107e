"""Partnership proposals: the outcomes-based form, partners and commitments, co-editing, versions,
sign-off and submission.

Co-editing works field by field. Every save names the version the editor started from
(``base_version``). If another partner has saved since, the save still goes through when the two edits
touched different fields (they are merged); if both changed the same field, nothing is saved and
:class:`EditConflict` says which fields and who changed them, so no one's words are silently lost.
Every save, autosaves included, is kept as a :class:`ProposalVersion`.

Partners sign off a particular version. Any later change means they must sign off again before the
lead can submit. The partnership itself is changed through ``boroughs.fund.partnership``; sign-off,
eligibility and the workflow steps are in ``boroughs.fund.submission``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from boroughs.core.db import utcnow
from boroughs.core.errors import NotFound, PermissionDenied, ValidationFailed
from boroughs.core.models import OrgKind
from boroughs.core.permissions import can, require
from boroughs.fund._common import check_amount, get_org, log
from boroughs.fund.calls import accepting_proposals
from boroughs.fund.models import Call, Measure, Partner, Proposal, ProposalVersion
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
    get_org(session, lead_org_id, OrgKind.COUNCIL, "{name} is not a council: a proposal must be led by a council.")
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


def require_draft(proposal: Proposal) -> None:
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
    require_draft(proposal)
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
    bump(session, user, proposal, changed, autosave=autosave)
    log(session, "fund.proposal.autosave" if autosave else "fund.proposal.save", user, proposal.lead_org_id,
        proposal, version=proposal.version, fields=changed)
    return SaveResult(proposal.version, changed, sorted(merged_from))


def bump(session: Session, user: Any, proposal: Proposal, changed: list[str], *, autosave: bool) -> None:
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


def partnership_names(proposal: Proposal, kinds: tuple[str, ...] = ("lead", "partner")) -> list[str]:
    return [p.organisation.name for p in proposal.partners if p.kind in kinds]
