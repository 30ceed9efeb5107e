"""A rule type: "known to at least N council services", a number worked out for each resident.

Importing this module registers the signal; then a rule can say
``resident: {field: services_known_to, at_least: 3}``. A part that adds a signal imports its module
from its package's ``__init__.py`` (as ``boroughs/support/entitlements`` does for Pension Credit), so
the signal is there whenever the support area is.
"""

import datetime as dt
from collections.abc import Mapping

import pandas as pd

from boroughs.support.rules.vocabulary import OP_WORDS, ResidentSignal, register_signal
from boroughs.support.rules.vocabulary import SOURCE_LABELS as SERVICES

FIELD = "services_known_to"


def known_to(records: Mapping[str, pd.DataFrame], residents: pd.DataFrame, as_of: dt.date) -> pd.Series:
    """For each resident, how many of the council's services hold a record of them (0: none)."""
    count = pd.Series(0.0, index=residents.index, name=FIELD)
    for source, frame in records.items():
        if source in SERVICES and len(frame):
            count += residents.index.isin(frame["resident_id"]).astype(float)
    return count


def describe(bounds: tuple[tuple[str, float], ...]) -> str:
    """The condition in plain English, for the rule's description and the ATRS record."""
    limits = " and ".join(f"{OP_WORDS[op]} {value:g}" for op, value in bounds)
    return f"known to {limits} council services"


def explain(value: float) -> str:
    """The fact an officer reads on a flag."""
    return f"Known to {value:g} council services"


SIGNAL = register_signal(ResidentSignal(FIELD, known_to, describe, explain, lower=0, upper=len(SERVICES)))
