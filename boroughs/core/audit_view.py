"""Reading the audit trail: filters, pages and names a person would use (issue 17).

``boroughs.core.audit`` writes and verifies the chain; this module only reads it. Filters (person,
organisation, action, object, dates) are applied in the database and the result comes a page at a time.

Objects are named as a person would name them ("resident 1307, Newham", "proposal 'Digital Buddies',
Covid Innovation Fund 2021", a person's name rather than "user 18"). The core names people and
organisations; each area registers the names of its own objects with :func:`register_namer` (the core
knows no area). Names never include a resident's personal details: a resident is named by their number
and council only.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from boroughs.core.models import AuditEvent, Organisation, User

PER_PAGE = 50
Namer = Callable[[Session, list[str]], dict[str, str]]
_NAMERS: dict[str, Namer] = {}


def register_namer(namer: Namer, *object_types: str) -> None:
    """Name objects of these ``object_type``s: ``namer(session, ids)`` returns ``{id: name}`` for those it knows."""
    for t in object_types:
        _NAMERS[t] = namer


def number_ids(ids: list[str]) -> list[int]:
    """The ids a namer is given, as numbers (ids that are not numbers name nothing)."""
    return [int(i) for i in ids if i.isdigit()]


def humanise(object_type: str) -> str:
    """``support_link_run`` → ``link run``: the fallback when no area names the type. A table's name starts
    with its area's name (see :mod:`boroughs.core.db`), which is left out."""
    from boroughs.core.db import Base

    if object_type in Base.metadata.tables and "_" in object_type:
        object_type = object_type.split("_", 1)[1]
    return object_type.replace("_", " ")


_ORG_PREFIX = re.compile(r"^(London Borough of|Royal Borough of|City of|The)\s+", re.I)


def short_org_name(name: str) -> str:
    """``London Borough of Newham`` → ``Newham``; other names unchanged."""
    return _ORG_PREFIX.sub("", name).strip() or name


def _int_ids(ids: Iterable[str]) -> list[int]:
    return [int(i) for i in ids if str(i).isdigit()]


def _users(session: Session, ids: list[str]) -> dict[str, str]:
    rows = session.execute(select(User.id, User.name, User.email).where(User.id.in_(_int_ids(ids))))
    return {str(i): (name or email) for i, name, email in rows}


def _organisations(session: Session, ids: list[str]) -> dict[str, str]:
    rows = session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(_int_ids(ids))))
    return {str(i): name for i, name in rows}


register_namer(_users, "user", "core_user")
register_namer(_organisations, "organisation", "core_organisation")


def name_objects(session: Session, pairs: Iterable[tuple[str | None, str | None]]) -> dict[tuple[str, str], str]:
    """A readable name for each (object_type, object_id), in one query per object type."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for t, i in pairs:
        if t and i:
            wanted[t].add(i)
    out: dict[tuple[str, str], str] = {}
    for t, ids in wanted.items():
        namer = _NAMERS.get(t)
        names = namer(session, sorted(ids)) if namer else {}
        label = humanise(t)
        for i in ids:
            out[(t, i)] = names.get(i) or f"{label} {i}"
    return out


# --- filters -------------------------------------------------------------------------------------

@dataclass
class AuditFilter:
    person: str = ""
    organisation_id: int | None = None
    action: str = ""  # an exact action, or "<area>.*" for every action of an area
    object_type: str = ""
    object_id: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def query_string(self, **extra: Any) -> str:
        """The filter as URL parameters (for the pages' links), with ``extra`` added."""
        from urllib.parse import urlencode

        params = {"person": self.person, "organisation": self.organisation_id or "", "action": self.action,
                  "object_type": self.object_type, "object_id": self.object_id,
                  "from": self.date_from.isoformat() if self.date_from else "",
                  "to": self.date_to.isoformat() if self.date_to else "", **extra}
        return urlencode({k: v for k, v in params.items() if v not in ("", None)})

    @property
    def active(self) -> bool:
        return bool(self.person or self.organisation_id or self.action or self.object_type or self.object_id
                    or self.date_from or self.date_to)


def _date(value: str, field_name: str, label: str, errors: dict[str, str]) -> dt.date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors[field_name] = f"Enter the {label} as a date like 2026-11-30."
        return None


def parse_filter(params: Mapping[str, str]) -> tuple[AuditFilter, dict[str, str]]:
    """Read the filter from a page's query parameters; problems are keyed by field id."""
    errors: dict[str, str] = {}
    org: int | None = None
    raw_org = str(params.get("organisation", "")).strip()
    if raw_org:
        if raw_org.isdigit() and int(raw_org) < 2**31:
            org = int(raw_org)
        else:
            errors["organisation"] = "Choose an organisation from the list."
    f = AuditFilter(
        person=str(params.get("person", "")).strip()[:200], organisation_id=org,
        action=str(params.get("action", "")).strip()[:80], object_type=str(params.get("object_type", "")).strip()[:80],
        object_id=str(params.get("object_id", "")).strip()[:80],
        date_from=_date(str(params.get("from", "")), "from", "first date", errors),
        date_to=_date(str(params.get("to", "")), "to", "last date", errors),
    )
    if f.date_from and f.date_to and f.date_from > f.date_to:
        errors["to"] = "The last date must be the same as or after the first date."
    if f.object_id and not f.object_type:
        errors["object_type"] = "Choose the kind of object as well as its number."
    return f, errors


def _apply(q: Select[Any], session: Session, f: AuditFilter) -> Select[Any]:
    if f.person:
        if f.person.lower() == "system":
            q = q.where(AuditEvent.actor_id.is_(None))
        else:
            like = f"%{f.person.lower()}%"
            people = select(User.id).where(or_(func.lower(User.name).like(like), func.lower(User.email).like(like)))
            q = q.where(or_(AuditEvent.actor_id.in_(people), func.lower(AuditEvent.actor_email).like(like)))
    if f.organisation_id:
        q = q.where(AuditEvent.organisation_id == f.organisation_id)
    if f.action:
        if f.action.endswith(".*"):
            q = q.where(AuditEvent.action.like(f.action[:-1].replace("%", "").replace("_", "\\_") + "%", escape="\\"))
        else:
            q = q.where(AuditEvent.action == f.action)
    if f.object_type:
        q = q.where(AuditEvent.object_type == f.object_type)
    if f.object_id:
        q = q.where(AuditEvent.object_id == f.object_id)
    if f.date_from:
        q = q.where(AuditEvent.at >= dt.datetime.combine(f.date_from, dt.time(), tzinfo=dt.UTC))
    if f.date_to:
        q = q.where(AuditEvent.at < dt.datetime.combine(f.date_to + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC))
    return q


@dataclass
class Entry:
    event: AuditEvent
    who: str
    organisation: str
    object: str


@dataclass
class AuditPage:
    entries: list[Entry]
    total: int
    page: int
    pages: int
    filter: AuditFilter = field(default_factory=AuditFilter)


def search(session: Session, f: AuditFilter, page: int = 1, per_page: int = PER_PAGE) -> AuditPage:
    """One page of the entries that match ``f``, newest first, with people and objects named."""
    total = int(session.execute(_apply(select(func.count(AuditEvent.id)), session, f)).scalar_one())
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    q = _apply(select(AuditEvent), session, f).order_by(AuditEvent.id.desc()).offset((page - 1) * per_page)
    events = list(session.execute(q.limit(per_page)).scalars())
    people = _users(session, [str(e.actor_id) for e in events if e.actor_id is not None])
    orgs = _organisations(session, [str(e.organisation_id) for e in events if e.organisation_id is not None])
    names = name_objects(session, [(e.object_type, e.object_id) for e in events])
    entries = []
    for e in events:
        if e.actor_id is not None:
            who = people.get(str(e.actor_id)) or e.actor_email or f"a removed account ({e.actor_id})"
        else:
            who = e.actor_email or "the system"
        entries.append(Entry(
            e, who, orgs.get(str(e.organisation_id), "") if e.organisation_id is not None else "",
            names.get((e.object_type, e.object_id), "") if e.object_type and e.object_id else (
                humanise(e.object_type) if e.object_type else ""),
        ))
    return AuditPage(entries, total, page, pages, f)


def choices(session: Session) -> dict[str, list[tuple[str, str]]]:
    """What the filter's lists offer: the organisations, actions and object kinds the trail holds."""
    org_ids = [i for i in session.execute(select(AuditEvent.organisation_id).distinct()).scalars() if i is not None]
    orgs = sorted(_organisations(session, [str(i) for i in org_ids]).items(), key=lambda kv: kv[1])
    actions = sorted(a for a in session.execute(select(AuditEvent.action).distinct()).scalars() if a)
    areas = sorted({a.split(".")[0] for a in actions if "." in a})
    types = sorted(t for t in session.execute(select(AuditEvent.object_type).distinct()).scalars() if t)
    return {
        "organisations": orgs,
        "actions": [(f"{a}.*", f"Every {a} action") for a in areas] + [(a, a) for a in actions],
        "object_types": [(t, humanise(t)) for t in types],
    }
