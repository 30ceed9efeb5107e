"""Opening hours: a small, documented subset of OpenStreetMap's ``opening_hours`` syntax, and ORUK schedules.

Accepted (rules separated by ``;``): ``24/7``; ``Mo-Fr 09:00-17:00``; ``Mo,We,Fr 10:00-12:00,13:00-19:30``;
``Sa 10:00-14:00``; ``Su off``. Days are ``Mo Tu We Th Fr Sa Su`` (ranges and lists); times are 24-hour
``HH:MM-HH:MM``. From them Boroughs keeps two facts, the ones an officer asks ("open evenings or
weekends?"): **open evenings** means open after :data:`EVENING` (18:00) on some day; **open weekends**
means open on a Saturday or a Sunday.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
EVENING = 18 * 60  # minutes after midnight: open after this counts as "open evenings"
_TIME = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)-([01]?\d|2[0-4]):([0-5]\d)$")


class HoursError(ValueError):
    """Opening hours that do not follow the accepted syntax (the message says what was expected)."""


@dataclass(frozen=True)
class Hours:
    text: str
    evenings: bool | None  # None: not known (no hours given)
    weekends: bool | None


def _days(spec: str) -> set[int]:
    out: set[int] = set()
    for part in spec.split(","):
        part = part.strip()
        if "-" in part:
            a, _, b = part.partition("-")
            if a not in DAYS or b not in DAYS:
                raise HoursError(f"unknown day in {part!r} (use Mo Tu We Th Fr Sa Su)")
            i, j = DAYS.index(a), DAYS.index(b)
            out.update(range(i, j + 1) if i <= j else [*range(i, 7), *range(0, j + 1)])
        elif part in DAYS:
            out.add(DAYS.index(part))
        else:
            raise HoursError(f"unknown day {part!r} (use Mo Tu We Th Fr Sa Su, e.g. 'Mo-Fr 09:00-17:00')")
    return out


def _minutes(h: str, m: str) -> int:
    return int(h) * 60 + int(m)


def parse(text: str | None) -> Hours:
    """Parse opening hours; blank text means not known. Raises :class:`HoursError` on anything else."""
    text = (text or "").strip()
    if not text:
        return Hours("", None, None)
    if text.lower() in ("24/7", "24 hours"):
        return Hours("24/7", True, True)
    evenings = weekends = False
    for rule in (r.strip() for r in text.split(";")):
        if not rule:
            continue
        day_spec, _, times = rule.partition(" ")
        times = times.strip()
        if not times:
            raise HoursError(f"{rule!r} has no times (expected e.g. 'Mo-Fr 09:00-17:00' or 'Su off')")
        days = _days(day_spec)
        if times.lower() in ("off", "closed"):
            continue
        for span in times.split(","):
            m = _TIME.match(span.strip())
            if not m:
                raise HoursError(f"time {span.strip()!r} is not HH:MM-HH:MM (24-hour clock)")
            start, end = _minutes(m[1], m[2]), _minutes(m[3], m[4])
            if end <= start:
                end += 24 * 60  # past midnight
            if end > EVENING:
                evenings = True
        if days & {5, 6}:
            weekends = True
    return Hours(text, evenings, weekends)


_RRULE_DAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}


def from_schedules(schedules: list[dict[str, object]]) -> Hours:
    """Open Referral UK ``schedule`` objects (``byday`` RRULE codes, ``opens_at``/``closes_at``) as hours."""
    rules: list[str] = []
    evenings = weekends = False
    seen = False
    for s in schedules:
        days = [d.strip().upper()[-2:] for d in str(s.get("byday") or "").split(",") if d.strip()]
        days = [d for d in days if d in _RRULE_DAYS]
        opens = str(s.get("opens_at") or "")[:5]
        closes = str(s.get("closes_at") or "")[:5]
        if not days and not (opens and closes):
            continue
        seen = True
        if any(_RRULE_DAYS[d] >= 5 for d in days):
            weekends = True
        if re.fullmatch(r"\d\d:\d\d", closes):
            end = _minutes(closes[:2], closes[3:])
            if re.fullmatch(r"\d\d:\d\d", opens) and end <= _minutes(opens[:2], opens[3:]):
                end += 24 * 60
            if end > EVENING:
                evenings = True
        names = ",".join(DAYS[_RRULE_DAYS[d]] for d in days)
        rules.append(f"{names} {opens}-{closes}".strip() if opens and closes else names)
    if not seen:
        return Hours("", None, None)
    return Hours("; ".join(rules), evenings, weekends)
