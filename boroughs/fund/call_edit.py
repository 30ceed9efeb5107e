"""Changing a call after it is set up: its details, strands and criteria (issue 17).

What may change depends on how far the call has gone, so that nobody's proposal is judged against rules
that moved under it:

- **Details** (title, summary, guidance, dates, review): while the call is being drafted or is open.
  The total budget and the fewest councils per partnership: not once assessment has started, and the
  total never below what the strands need (``calls.update_call`` holds those rules).
- **Strands**: title and description at any time before the call closes. A strand's budget can be
  raised or lowered, but never below what is already awarded from it, and the strands together never
  above the call's total. The award limit never below the largest award already made from the strand,
  nor above the strand's budget. A strand that any proposal has chosen cannot be removed, and its short
  name cannot change.
- **Criteria**: wording while drafting or open. Weights, and removing a criterion, only until the first
  proposal is submitted (proposals are written against the rubric), and never once anyone has scored it.

Form validation collects *every* problem, keyed by the form field it belongs to, so that the page can list
them all in the GOV.UK error summary with a link to each field (:func:`call_form_errors`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from boroughs.core.errors import ValidationFailed
from boroughs.core.permissions import require
from boroughs.fund import calls
from boroughs.fund._common import SLUG_RE, check_amount, gbp, log
from boroughs.fund.models import Award, Call, Criterion, Proposal, Score, Strand

DETAIL_PHASES = ("drafting", "open")
STRAND_PHASES = ("drafting", "open", "assessment", "decision", "delivery")
RUBRIC_PHASES = ("drafting", "open")


class FormErrors(ValidationFailed):
    """Several problems with one form, each keyed by the id of the field it is about (in page order)."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__(" ".join(errors.values()))


# --- checking the call form (create and edit) ------------------------------------------------------

def parse_date(value: str) -> dt.datetime | None:
    """A YYYY-MM-DD date as the end of that day in UTC; None when empty; ValueError when not a date."""
    if not value.strip():
        return None
    day = dt.date.fromisoformat(value.strip())
    return dt.datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=dt.UTC)


def _amount(errors: dict[str, str], field: str, value: Any, what: str) -> int | None:
    try:
        return check_amount(value, what)
    except ValidationFailed as exc:
        errors[field] = str(exc)
        return None


def call_form_errors(session: Session, form: dict[str, Any], *, call: Call | None = None
                     ) -> tuple[dict[str, Any], dict[str, str]]:
    """Check a submitted call form whole. Returns (clean values, {field id: message}), every problem listed.

    ``call`` is the call being edited (None when creating one): the short name, fund body and prefix are
    then fixed, and the budget is checked against the strands.
    """
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    if call is None:
        try:
            clean["fund_body_id"] = int(form.get("fund_body_id") or 0)
        except ValueError:
            clean["fund_body_id"] = 0
        if not clean["fund_body_id"]:
            errors["fund_body_id"] = "Choose the fund body that runs the call."
    title = str(form.get("title", "")).strip()
    if not title:
        errors["title"] = "Enter a title for the call."
    elif len(title) > 200:
        errors["title"] = "The title must be 200 characters or fewer."
    clean["title"] = title
    if call is None:
        slug = str(form.get("slug", "")).strip()
        if not SLUG_RE.match(slug):
            errors["slug"] = ("Enter a short name using lower-case letters, numbers and single hyphens, "
                              "like inclusion-2027.")
        elif len(slug) > 80:
            errors["slug"] = "The short name must be 80 characters or fewer."
        elif session.execute(select(Call.id).where(Call.slug == slug)).first():
            errors["slug"] = f"A call with the short name {slug} already exists: choose another."
        clean["slug"] = slug
    clean["summary"] = str(form.get("summary", ""))
    clean["guidance"] = str(form.get("guidance", ""))
    total = _amount(errors, "total_budget", form.get("total_budget", ""), "The total budget")
    if total is not None and call is not None:
        needed = sum(s.budget for s in call.strands)
        if total < needed:
            errors["total_budget"] = (f"The total budget cannot be less than the strands' budgets together "
                                      f"({gbp(needed)}): lower a strand's budget first.")
    clean["total_budget"] = total
    try:
        clean["deadline"] = parse_date(str(form.get("deadline", "")))
    except ValueError:
        errors["deadline"] = "Enter the deadline as a date like 2027-02-01."
    if (clean.get("deadline") and clean["deadline"] < dt.datetime.now(dt.UTC)
            and (call is None or clean["deadline"] != call.deadline)):
        errors["deadline"] = ("The deadline must be in the future." if call is None else
                              "The new deadline must be in the future. To stop accepting proposals now, use "
                              "Close submissions on the call's page.")
    try:
        clean["min_partner_councils"] = int(str(form.get("min_partner_councils") or "2").strip())
        if not 1 <= clean["min_partner_councils"] <= 33:
            raise ValueError
    except ValueError:
        errors["min_partner_councils"] = "Enter the fewest councils in a partnership as a whole number from 1 to 33."
    if call is None:
        prefix = str(form.get("grant_prefix") or "360G-boroughs").strip()
        if not prefix.startswith("360G-"):
            errors["grant_prefix"] = "The 360Giving prefix must start with 360G- (your registered prefix)."
        clean["grant_prefix"] = prefix
    clean["blind_review"] = form.get("blind_review") == "yes"
    return clean, errors


def edit_call(session: Session, user: Any, call: Call, form: dict[str, Any]) -> Call:
    """Change a call's details from the edit form; every problem is reported at once (:class:`FormErrors`)."""
    require(user, "fund.call.manage", call.fund_body_id)
    if call.phase not in DETAIL_PHASES:
        raise ValidationFailed("A call's details cannot change once assessment has started.")
    clean, errors = call_form_errors(session, form, call=call)
    if call.phase != "drafting" and clean.get("blind_review") != call.blind_review and has_submitted(session, call):
        errors["blind_review"] = ("Blind review cannot be switched on or off once proposals have been submitted: "
                                  "partners wrote them expecting the review the call promised.")
    if errors:
        raise FormErrors(errors)
    changes = {k: clean[k] for k in ("title", "summary", "guidance", "deadline", "blind_review")
               if clean[k] != getattr(call, k)}
    for k in ("total_budget", "min_partner_councils"):
        if clean[k] != getattr(call, k):
            changes[k] = clean[k]
    if changes:
        calls.update_call(session, user, call, **changes)
    return call


# --- strands -------------------------------------------------------------------------------------

def has_submitted(session: Session, call: Call) -> bool:
    return session.execute(select(Proposal.id).where(
        Proposal.call_id == call.id, Proposal.submitted_at.is_not(None))).first() is not None


def strand_proposals(session: Session, strand: Strand) -> int:
    """How many proposals (in any state, drafts and withdrawn ones included) have chosen this strand."""
    return int(session.execute(select(func.count(Proposal.id)).where(Proposal.strand_id == strand.id)).scalar_one())


def largest_award(session: Session, strand: Strand) -> int:
    return int(session.execute(select(func.coalesce(func.max(Award.amount), 0))
                               .where(Award.strand_id == strand.id)).scalar_one())


def strand_errors(session: Session, call: Call, form: dict[str, Any], strand: Strand | None = None
                  ) -> tuple[dict[str, Any], dict[str, str]]:
    """Check a strand form (adding when ``strand`` is None, else changing it); every problem at once.

    Field ids are those of the strand form: ``strand-title``, ``strand-slug``, ``strand-budget``,
    ``strand-limit`` (with ``-<id>`` after them when changing a strand).
    """
    sfx = f"-{strand.id}" if strand else ""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {"description": str(form.get("description", ""))}
    title = str(form.get("title", "")).strip()
    if not title:
        errors[f"strand-title{sfx}"] = "Enter a title for the strand."
    clean["title"] = title
    slug = str(form.get("slug", strand.slug if strand else "")).strip()
    if strand is None or slug != strand.slug:
        if not SLUG_RE.match(slug):
            errors[f"strand-slug{sfx}"] = ("Enter a short name using lower-case letters, numbers and single "
                                           "hyphens, like smarter-use-of-data.")
        elif any(s.slug == slug and s is not strand for s in call.strands):
            errors[f"strand-slug{sfx}"] = f"This call already has a strand called {slug}: choose another short name."
        elif strand is not None and strand_proposals(session, strand):
            errors[f"strand-slug{sfx}"] = ("The short name cannot change: proposals have already chosen this "
                                           "strand.")
    clean["slug"] = slug
    budget = _amount(errors, f"strand-budget{sfx}", form.get("budget", ""), "The strand budget")
    limit = _amount(errors, f"strand-limit{sfx}", form.get("award_limit", ""), "The largest single award")
    if budget is not None:
        others = sum(s.budget for s in call.strands if s is not strand)
        if others + budget > call.total_budget:
            errors[f"strand-budget{sfx}"] = calls.budget_room_message(call, others, budget)
        elif strand is not None:
            awarded = calls.committed(session, strand)
            if budget < awarded:
                errors[f"strand-budget{sfx}"] = (f"The strand budget cannot be less than the {gbp(awarded)} already "
                                                 f"awarded from it.")
    if budget is not None and limit is not None and limit > budget:
        errors[f"strand-limit{sfx}"] = (f"The largest single award ({gbp(limit)}) cannot be more than the "
                                        f"strand's budget ({gbp(budget)}).")
    elif limit is not None and strand is not None:
        biggest = largest_award(session, strand)
        if limit < biggest:
            errors[f"strand-limit{sfx}"] = (f"The largest single award cannot be less than the {gbp(biggest)} "
                                            f"already awarded from this strand.")
    clean["budget"], clean["award_limit"] = budget, limit
    return clean, errors


def _checked_form(session: Session, user: Any, call: Call, form: dict[str, Any], check: Callable[..., Any],
                  item: Any = None, *, phases: tuple[str, ...] | None = None, closed: str = "") -> dict[str, Any]:
    """Who may change the call, whether its phase still allows the change (``phases``, else ``closed`` says
    why not), then the form's problems all at once (``FormErrors``); the clean values when there are none."""
    require(user, "fund.call.manage", call.fund_body_id)
    if phases is not None and call.phase not in phases:
        raise ValidationFailed(closed)
    clean, errors = check(session, call, form, item)
    if errors:
        raise FormErrors(errors)
    return dict(clean)


def add_strand(session: Session, user: Any, call: Call, form: dict[str, Any]) -> Strand:
    """Add a strand from the form, every problem reported at once (the service's own rules still apply)."""
    clean = _checked_form(session, user, call, form, strand_errors, phases=("drafting",),
                          closed="Strands can only be added while the call is being drafted.")
    return calls.add_strand(session, user, call, slug=clean["slug"], title=clean["title"], budget=clean["budget"],
                            award_limit=clean["award_limit"], description=clean["description"])


def update_strand(session: Session, user: Any, strand: Strand, form: dict[str, Any]) -> Strand:
    call = strand.call
    clean = _checked_form(session, user, call, form, strand_errors, strand, phases=STRAND_PHASES,
                          closed="A closed call's strands cannot change.")
    changed = sorted(k for k in ("title", "slug", "description", "budget", "award_limit")
                     if clean[k] != getattr(strand, k))
    before = {k: getattr(strand, k) for k in ("budget", "award_limit")}
    for k in changed:
        setattr(strand, k, clean[k])
    session.flush()
    if changed:
        log(session, "fund.strand.update", user, call.fund_body_id, strand, fields=changed, before=before,
            after={k: getattr(strand, k) for k in ("budget", "award_limit")})
    return strand


def remove_strand(session: Session, user: Any, strand: Strand) -> None:
    call = strand.call
    require(user, "fund.call.manage", call.fund_body_id)
    if call.phase not in ("drafting", "open"):
        raise ValidationFailed("Strands cannot be removed once assessment has started.")
    n = strand_proposals(session, strand)
    if n:
        raise ValidationFailed(
            f"The {strand.title} strand cannot be removed: {n} proposal{'s have' if n != 1 else ' has'} chosen it. "
            "Change its title or budget instead, or ask the partnerships to choose another strand.")
    log(session, "fund.strand.remove", user, call.fund_body_id, strand, slug=strand.slug, budget=strand.budget)
    call.strands.remove(strand)
    for i, s in enumerate(call.strands):
        s.position = i
    session.flush()


# --- criteria ------------------------------------------------------------------------------------

def _scored(session: Session, crit: Criterion) -> bool:
    return session.execute(select(Score.id).where(Score.criterion_id == crit.id)).first() is not None


def criterion_errors(session: Session, call: Call, form: dict[str, Any], crit: Criterion | None = None
                     ) -> tuple[dict[str, Any], dict[str, str]]:
    sfx = f"-{crit.id}" if crit else ""
    errors: dict[str, str] = {}
    title = str(form.get("title", "")).strip()
    if not title:
        errors[f"criterion-title{sfx}"] = "Enter the criterion."
    try:
        weight = int(str(form.get("weight", "")).strip())
        if not 1 <= weight <= 100:
            raise ValueError
    except ValueError:
        weight = None
        errors[f"criterion-weight{sfx}"] = "Enter the weight as a whole number from 1 to 100."
    if crit is not None and weight is not None and weight != crit.weight:
        if has_submitted(session, call):
            errors[f"criterion-weight{sfx}"] = ("The weight cannot change: proposals have been submitted against "
                                                "this rubric.")
        elif _scored(session, crit):
            errors[f"criterion-weight{sfx}"] = "The weight cannot change: the panel has scored this criterion."
    return {"title": title, "weight": weight, "guidance": str(form.get("guidance", ""))}, errors


def add_criterion(session: Session, user: Any, call: Call, form: dict[str, Any]) -> Criterion:
    clean = _checked_form(session, user, call, form, criterion_errors)
    return calls.add_criterion(session, user, call, title=clean["title"], weight=clean["weight"],
                               guidance=clean["guidance"])


def update_criterion(session: Session, user: Any, crit: Criterion, form: dict[str, Any]) -> Criterion:
    call = crit.call
    clean = _checked_form(session, user, call, form, criterion_errors, crit, phases=RUBRIC_PHASES,
                          closed="The rubric cannot change once assessment has started.")
    changed = sorted(k for k in ("title", "weight", "guidance") if clean[k] != getattr(crit, k))
    for k in changed:
        setattr(crit, k, clean[k])
    session.flush()
    if changed:
        log(session, "fund.criterion.update", user, call.fund_body_id, crit, fields=changed)
    return crit


def remove_criterion(session: Session, user: Any, crit: Criterion) -> None:
    call = crit.call
    require(user, "fund.call.manage", call.fund_body_id)
    if call.phase not in RUBRIC_PHASES:
        raise ValidationFailed("The rubric cannot change once assessment has started.")
    if has_submitted(session, call):
        raise ValidationFailed(f"'{crit.title}' cannot be removed: proposals have been submitted against this "
                               "rubric. You can still reword it.")
    if _scored(session, crit):
        raise ValidationFailed(f"'{crit.title}' cannot be removed: the panel has scored it.")
    log(session, "fund.criterion.remove", user, call.fund_body_id, crit, title=crit.title, weight=crit.weight)
    call.criteria.remove(crit)
    for i, c in enumerate(call.criteria):
        c.position = i
    session.flush()


def get_strand(session: Session, call: Call, strand_id: int) -> Strand:
    from boroughs.core.errors import NotFound

    s = session.get(Strand, strand_id)
    if s is None or s.call_id != call.id:
        raise NotFound("That strand is not part of this call.")
    return s


def get_criterion(session: Session, call: Call, criterion_id: int) -> Criterion:
    from boroughs.core.errors import NotFound

    c = session.get(Criterion, criterion_id)
    if c is None or c.call_id != call.id:
        raise NotFound("That criterion is not part of this call's rubric.")
    return c
