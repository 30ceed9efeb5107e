"""The errors real records carry, put into synthetic ones: typing slips, swapped and shortened names, old
addresses, corrupted dates of birth, missing identifiers."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from boroughs.support.records import names as nm
from boroughs.support.synth.people import INWARD_LETTERS, SYNTHETIC, Address, Person

# --------------------------------------------------------------------------------------------------------
# errors real records carry


def _typo(rng: random.Random, s: str) -> str:
    if len(s) < 3:
        return s
    i = rng.randrange(1, len(s))
    kind = rng.random()
    letters = "abcdefghijklmnopqrstuvwxyz"
    if kind < 0.3:  # substitution
        return s[:i] + rng.choice(letters) + s[i + 1:]
    if kind < 0.55:  # deletion
        return s[:i] + s[i + 1:]
    if kind < 0.8 and i < len(s) - 1:  # transposition
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    return s[:i] + rng.choice(letters) + s[i:]  # insertion


@dataclass(frozen=True)
class _Profile:
    """How carefully a source's records are kept, and which fields it holds."""

    typo: float
    nickname: float
    dob_missing: float
    dob_error: float
    ni: float
    phone: float
    email: float
    uprn: float
    case: str = "title"


PROFILES: dict[str, _Profile] = {
    "council_tax": _Profile(0.02, 0.05, 0.5, 0.01, 0.2, 0.6, 0.5, 1.0, "upper"),
    "rent": _Profile(0.02, 0.05, 0.0, 0.01, 0.6, 0.8, 0.5, 1.0),
    "hb_ctr": _Profile(0.01, 0.02, 0.0, 0.005, 1.0, 0.7, 0.4, 0.9),
    "fsm": _Profile(0.03, 0.08, 0.3, 0.02, 0.3, 0.8, 0.6, 0.5),
    "asc_contact": _Profile(0.05, 0.15, 0.15, 0.03, 0.3, 0.6, 0.2, 0.3),
    "homelessness": _Profile(0.05, 0.12, 0.1, 0.03, 0.5, 0.8, 0.4, 0.3),
    "vcs_concern": _Profile(0.07, 0.25, 0.45, 0.04, 0.05, 0.6, 0.3, 0.0, "lower"),
}


def _corrupt_dob(rng: random.Random, dob: dt.date) -> str:
    kind = rng.random()
    if kind < 0.4 and dob.day <= 12 and dob.day != dob.month:  # swapped day and month
        return f"{dob.year:04d}-{dob.day:02d}-{dob.month:02d}"
    if kind < 0.7:  # one digit of the day wrong
        day = min(28, max(1, dob.day + rng.choice((-1, 1, 10, -10))))
        return f"{dob.year:04d}-{dob.month:02d}-{day:02d}"
    if kind < 0.85:  # year off by one
        return f"{dob.year + rng.choice((-1, 1)):04d}-{dob.month:02d}-{dob.day:02d}"
    return f"{dob.year:04d}-{dob.month:02d}-01"  # first of the month as a placeholder


def person_fields(rng: random.Random, p: Person, addr: Address, profile: _Profile, *, old: bool) -> dict[str, str]:
    first = p.first_name
    last = p.former_last_name if (old and p.former_last_name) else p.last_name
    if rng.random() < profile.nickname:
        options = nm.variants_of_first_name().get(first)
        if options:
            first = rng.choice(options)
    if rng.random() < 0.3:
        options = nm.variants_of_surname().get(last)
        if options:
            last = rng.choice(options)
    if rng.random() < profile.typo:
        first = _typo(rng, first)
    if rng.random() < profile.typo:
        last = _typo(rng, last)
    if rng.random() < 0.005:
        first, last = last, first
    if profile.case == "upper":
        first, last = first.upper(), last.upper()
    elif profile.case == "lower" and rng.random() < 0.5:
        first, last = first.lower(), last.lower()
    if rng.random() < profile.dob_missing:
        dob = ""
    elif rng.random() < profile.dob_error:
        dob = _corrupt_dob(rng, p.dob)
    else:
        dob = p.dob.isoformat()
    postcode = addr.postcode
    r = rng.random()
    if r < 0.01:
        postcode = postcode.replace(" ", "")
    elif r < 0.015:  # a wrong letter in the inward code: still a well-formed postcode
        postcode = postcode[:-1] + rng.choice(INWARD_LETTERS)
    elif r < 0.025:
        postcode = ""
    line_1 = addr.line_1 if rng.random() > profile.typo else _typo(rng, addr.line_1)
    return {
        "first_name": first,
        "last_name": last,
        "dob": dob,
        "address_line_1": line_1,
        "address_line_2": addr.line_2,
        "postcode": postcode,
        "uprn": addr.uprn if rng.random() < profile.uprn else "",
        "national_id": p.ni if (p.ni and rng.random() < profile.ni) else "",
        "phone": p.phone if (p.phone and rng.random() < profile.phone) else "",
        "email": p.email if (p.email and rng.random() < profile.email) else "",
        "sex": p.sex,
        "ethnicity": p.ethnicity if rng.random() < 0.8 else "Not stated",
        "disability": "yes" if p.disabled else "no",
        "lsoa21_code": addr.lsoa21_code,
        "synthetic": SYNTHETIC,
    }
