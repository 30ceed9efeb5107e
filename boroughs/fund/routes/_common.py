"""What the fund's pages share: the confirmation messages, redirects, reading a form, and the one pattern
every form post follows (make the change; if a rule refuses it, keep nothing and show the page again with
the reason).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from boroughs.core.models import Organisation, OrgKind, User
from boroughs.core.permissions import can, orgs_where
from boroughs.web.deps import form_data

Form = dict[str, Any]

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
    "call-saved": "The call's details were saved.",
    "strand-saved": "The strand was saved.",
    "strand-removed": "The strand was removed.",
    "criterion-saved": "The criterion was saved.",
    "criterion-removed": "The criterion was removed.",
}


def done(request: Request) -> str | None:
    """The confirmation to show after a redirect (``?done=...``), if any."""
    return DONE.get(request.query_params.get("done", ""))


def go(url: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"{url}?done={done}", status_code=303)


def fields(form: FormData) -> Form:
    """A posted form's text fields, without the CSRF token."""
    return {k: v for k, v in form.multi_items() if k != "csrf_token" and isinstance(v, str)}


def posted(data: FormData = Depends(form_data)) -> Form:
    """The posted form's text fields, as a route's dependency: ``form: Form = Depends(posted)``."""
    return fields(data)


def status(error: str | None = None, errors: dict[str, str] | None = None) -> int:
    """422 when a page is shown again because of a problem, 200 otherwise."""
    return 422 if error or errors else 200


def attempt(db: Session, change: Callable[[], object], *, refused: tuple[type[Exception], ...],
            again: Callable[[Exception], Response], url: str, done: str) -> Response:
    """Make a change and go to ``url`` with the ``done`` message; when one of the ``refused`` errors stops
    it, roll the request back and answer with ``again(error)`` (the form's page, saying why)."""
    try:
        change()
    except refused as exc:
        db.rollback()
        return again(exc)
    return go(url, done)


def reason(exc: Exception) -> str:
    """An error's message as a page shows it (a workflow's KeyError names the step in quotes)."""
    return str(exc).strip("'\"")


def unique(orgs: list[Organisation]) -> list[Organisation]:
    seen, out = set(), []
    for o in orgs:
        if o.id not in seen:
            seen.add(o.id)
            out.append(o)
    return out


def user_councils(user: User | None, action: str) -> list[Organisation]:
    if user is None:
        return []
    ids = orgs_where(user, action)
    return [m.organisation for m in user.memberships
            if m.organisation_id in ids and m.organisation.kind == OrgKind.COUNCIL][: len(ids)]


def fund_bodies(user: User | None, action: str = "fund.call.manage") -> list[Organisation]:
    """The fund bodies in which the user may take ``action``, each once."""
    return unique([m.organisation for m in getattr(user, "memberships", [])
                   if can(user, action, m.organisation_id) and m.organisation.kind == OrgKind.FUND_BODY])
